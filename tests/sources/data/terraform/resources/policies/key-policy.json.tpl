{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "OwnerAdmin",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::${account_id}:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "OrgUse",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "${org_id}"}}
    }
  ]
}
