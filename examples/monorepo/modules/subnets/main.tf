variable "cidr" {
  type = string
}

resource "terraform_data" "subnets" {
  input = var.cidr
}
