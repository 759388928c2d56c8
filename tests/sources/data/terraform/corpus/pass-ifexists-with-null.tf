data "aws_iam_policy_document" "pass_ifexists_null" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.example.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "Null"
      variable = "aws:SourceAccount"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "pass_ifexists_null" {
  bucket = aws_s3_bucket.example.id
  policy = data.aws_iam_policy_document.pass_ifexists_null.json
}
