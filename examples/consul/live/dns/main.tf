resource "terraform_data" "marker" {
  input = "live/dns"
}
