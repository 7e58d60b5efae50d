# comment with trailing   
locals {
  a = [for x in (var.l) : x if x!=-1]
  b = { for k,v in var.m : k=>v... }
  c = "%{ if var.x }yes%{ else }no%{ endif }"
  d = -1 - -2 * (3-4)
  e = !var.f
  f = var.list[0].name
  g = provider::aws::arn_parse( "x" )
  h = a ? b : c
  i = var.x[*].id
  k = { }
  l = <<EOT
  x ${ y }
EOT
  m = {
  n = 1   // c1
  oooo = 2 /* c2 */
  }
  p = [
  1,
  2,
  ]
  q = f(
   1,
   2)
   r = 1.5e+3
}
