data "aws_caller_identity" "current" {}

resource "aws_lambda_function" "processor" {
  function_name = "processor"
  role          = "arn:aws:iam::111122223333:role/processor"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "processor.zip"
}

resource "aws_s3_bucket" "uploads" {
  bucket = "example-uploads"
}

# Only the bucket name: a bucket of the same name in another account matches.
resource "aws_lambda_permission" "from_s3" {
  statement_id  = "AllowS3"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.processor.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = aws_s3_bucket.uploads.arn
}

resource "aws_lambda_permission" "from_s3_pinned" {
  statement_id   = "AllowS3Pinned"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.processor.arn
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_lambda_permission" "partner" {
  action           = "lambda:InvokeFunction"
  function_name    = "processor"
  qualifier        = "live"
  principal        = "444455556666"
  principal_org_id = "o-a1b2c3d4e5"
}

resource "aws_lambda_permission" "url" {
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.processor.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
