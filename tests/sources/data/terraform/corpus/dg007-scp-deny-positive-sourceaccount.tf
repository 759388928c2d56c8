resource "aws_organizations_policy" "dg007_scp" {
  name    = "deny-foreign-source"
  content = file("${path.module}/policies/dg007-scp.json")
}
