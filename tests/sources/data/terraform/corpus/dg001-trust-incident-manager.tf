resource "aws_iam_role" "dg001_incident_manager" {
  name = "incident-response"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "IncidentManager"
        Effect    = "Allow"
        Principal = { Service = "ssm-incidents.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}
