resource "aws_s3_bucket_policy" "dg012_negated" {
  bucket = aws_s3_bucket.example.id
  policy = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"cloudtrail.amazonaws.com\"}, \"Action\": \"s3:PutObject\", \"Resource\": \"${aws_s3_bucket.example.arn}/*\", \"Condition\": {\"StringNotEquals\": {\"aws:SourceAccount\": \"999988887777\"}}}]}"
}
