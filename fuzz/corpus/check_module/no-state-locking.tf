terraform {
  required_version = ">= 1.10.0"

  backend "s3" {
    bucket       = "acme-tfstate"
    key          = "app/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    dynamodb_table = ""
  }
}
