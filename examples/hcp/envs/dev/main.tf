resource "terraform_data" "marker" {
  input = "envs/dev"
}
