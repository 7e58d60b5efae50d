resource "terraform_data" "app" {
  input = "production"
}
