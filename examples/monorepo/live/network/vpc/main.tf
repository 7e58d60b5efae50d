module "subnets" {
  source = "../../../modules/subnets"
  cidr   = "10.0.0.0/16"
}
