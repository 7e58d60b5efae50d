variable "name" {
  type    = string
  default = "main"
}

output "name" {
  value = var.name
}
