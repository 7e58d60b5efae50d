resource "aws_s3_bucket" "b" {
  bucket = "${local.name}"
  tags = {
    Name = "${local.name}"
  }
  policy = "${jsonencode({ a = "${x}" })}" # comment
  two = "${a}${b}"
  lit = "x-${a}"
  nested {
    v = "${var.v}"
    cond = "${
      var.x ? 1 : 2
    }"
    paren = "${(var.y)}"
  }
  list = ["${a}"]
  call = "${format("%s", "${b}")}"
}

locals {
  y = "${var.y}"
}

resource aws_s3_bucket bare {
  bucket = "x"
}

data aws_iam_policy_document "mixed" {
  statement {
    actions = ["s3:*"]
  }
}
