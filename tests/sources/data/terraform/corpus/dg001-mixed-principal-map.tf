data "aws_iam_policy_document" "dg001_mixed_principals" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts_topic.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "dg001_mixed_principals" {
  arn    = aws_sns_topic.alerts_topic.arn
  policy = data.aws_iam_policy_document.dg001_mixed_principals.json
}
