terraform {
  required_version = ">= 1.10.0"

  backend "s3" {
    bucket       = "acme-tfstate"
    key          = "app/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
    assume_role {
      role_arn = "arn:aws:iam::111111111111:role/state"
    }
  }
}
