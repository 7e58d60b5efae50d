resource "terraform_data" "app" {
  input = "staging"
}
