resource "terraform_data" "marker" {
  input = "live/network"
}
