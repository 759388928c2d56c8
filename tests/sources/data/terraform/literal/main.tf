# Policies written with literal values only: a fix can replace their text in place.

resource "aws_s3_bucket_policy" "trail" {
  bucket = "example-bucket"
  # The comment above the policy stays.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AWSCloudTrailWrite"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::example-bucket/AWSLogs/*"
    }]
  }) # trailing comment stays too
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = "arn:aws:sns:us-east-1:111122223333:alarms"
  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {"Service": "cloudwatch.amazonaws.com"},
          "Action": "sns:Publish",
          "Resource": "arn:aws:sns:us-east-1:111122223333:alarms"
        }
      ]
    }
    EOF
}

resource "aws_sqs_queue_policy" "computed" {
  queue_url = "https://sqs.us-east-1.amazonaws.com/111122223333/jobs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:us-east-1:${var.account}:jobs"
    }]
  })
}

variable "account" {
  default = "111122223333"
}
