resource "aws_s3_bucket_policy" "missing" {
  bucket = "example"
  policy = file("${path.module}/policies/missing.json")
}

resource "aws_sqs_queue_policy" "bad_json" {
  queue_url = "https://sqs.us-east-1.amazonaws.com/111122223333/q"
  policy    = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow" "Action": "sqs:*"}
  ]
}
EOF
}
