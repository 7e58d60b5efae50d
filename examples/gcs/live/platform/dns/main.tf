resource "terraform_data" "zone" {
  input = "example.internal"
}
