terraform{
required_version=">= 1.10.0"
backend "s3"{
bucket="acme-tfstate"
  key   =   "live/app/terraform.tfstate"     # where
region = "eu-west-1"
encrypt=true
assume_role={role_arn="arn:aws:iam::111122223333:role/state"}

use_lockfile =true
  }
}

resource "aws_s3_bucket" "state" {
	bucket = "x"   
  tags = {
  Name="state"
  "cost center"   = "büro 日本"
  }
lifecycle {
prevent_destroy=true
}
}

/* block
   comment */
data "aws_iam_policy_document" "deny" {
  statement {
  effect="Deny"
  actions=["s3:*"]
  condition {
  test = "Bool"
  variable="aws:SecureTransport"
  values = [ "false" ]
  }
  }
}

output "config" {
  value = <<-EOT
    bucket = "acme"
      region = "eu-west-1"
  EOT
  description="x"
}
