locals {
	tabs	=	"x"
  list_of_objects = [
  {a=1,bb=2},
      { name = "n", value = "v" },
  ]
  nested = {
    inner = {
    deep = {
    k = "v" # deep comment
    longer_key = "w"   # another
    }
    }
  }
  calls = merge(var.a,
    var.b,
  {c=3})
  strip = "${~ var.x ~} and %{~ for v in var.l ~}${v}%{~ endfor ~}"
  splat = var.x.*.id
  index = var.m["k"][0]
  logic = a>=b&&c<=d||!e
  neg = -var.x
  sub = var.a-var.b
  dashed-name = 1
  paren = !(a)
  exp = 1e5
  cond = var.x==null?"a":"b"
  json = jsonencode({
  Version = "2012-10-17"
  Statement = [{
  Effect = "Deny"
  Principal = "*"
  }]
  })
  mid = 1 /* mid */ + 2
  unicode_ключ = { "quoted key" = "ü", plain = 1 }
}

resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.deny.json
  depends_on = [aws_s3_bucket_public_access_block.state]
}
