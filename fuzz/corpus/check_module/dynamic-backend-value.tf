terraform {
  required_version = ">= 1.10.0"

  backend "s3" {
    bucket       = "acme-${var.env}"
    key          = "app/terraform.tfstate"
    region       = var.region
    encrypt      = true
    use_lockfile = true
  }
}
