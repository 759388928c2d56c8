variable "organization_id" {
  default = "o-a1b2c3d4e5"
}

resource "aws_organizations_policy" "pass_rcp" {
  name    = "confused-deputy"
  type    = "RESOURCE_CONTROL_POLICY"
  content = templatefile("${path.module}/policies/rcp.json.tftpl", { org_id = var.organization_id })
}
