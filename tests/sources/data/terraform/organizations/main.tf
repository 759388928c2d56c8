resource "aws_organizations_policy" "deny_leave" {
  name = "deny-leave"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Deny"
      Action   = "organizations:LeaveOrganization"
      Resource = "*"
    }]
  })
}

resource "aws_organizations_policy" "confused_deputy" {
  name = "confused-deputy"
  type = "RESOURCE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EnforceConfusedDeputyProtection"
      Effect    = "Deny"
      Principal = "*"
      Action    = ["s3:*", "sqs:*"]
      Resource  = "*"
      Condition = {
        StringNotEqualsIfExists = { "aws:SourceOrgID" = "o-a1b2c3d4e5" }
        Null                    = { "aws:SourceAccount" = "false" }
        Bool                    = { "aws:PrincipalIsAWSService" = "true" }
      }
    }]
  })
}

# Not an IAM policy: skipped without an error.
resource "aws_organizations_policy" "tags" {
  name    = "tags"
  type    = "TAG_POLICY"
  content = jsonencode({ tags = { CostCenter = { tag_key = { "@@assign" = "CostCenter" } } } })
}

variable "policy_type" {}

resource "aws_organizations_policy" "unknown_type" {
  name    = "unknown"
  type    = var.policy_type
  content = jsonencode({ Version = "2012-10-17", Statement = [] })
}
