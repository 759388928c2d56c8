locals {
  source_account = "111122223333"
}

resource "aws_s3_bucket_policy" "broken" {
  bucket = "example"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
  })
}
