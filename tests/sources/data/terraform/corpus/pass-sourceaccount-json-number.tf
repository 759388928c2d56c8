resource "aws_s3_bucket_policy" "pass_json_number" {
  bucket = aws_s3_bucket.example.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "${aws_s3_bucket.example.arn}/AWSLogs/111122223333/*"
      Condition = {
        # An HCL number: jsonencode writes a JSON number, as the JSON case has it.
        StringEquals = { "aws:SourceAccount" = 111122223333 }
      }
    }]
  })
}
