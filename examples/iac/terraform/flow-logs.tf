# VPC Flow Logs delivering to a bucket. The first statement is guarded by the organization
# (aws:SourceOrgID, which log delivery sends); the second one, for the bucket ACL check, forgot
# the guard: any account's flow logs could use it (DG001 on the GetBucketAcl grant).
data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "flow_logs" {
  bucket = "example-flow-logs"
}

resource "aws_s3_bucket_policy" "flow_logs" {
  bucket = aws_s3_bucket.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DeliveryWrite"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.flow_logs.arn}/AWSLogs/*"
        Condition = {
          StringEquals = { "aws:SourceOrgID" = "o-a1b2c3d4e5" }
        }
      },
      {
        Sid       = "DeliveryAclCheck"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.flow_logs.arn
      },
    ]
  })
}
