resource "terraform_data" "postgres" {
  input = "db"
}
