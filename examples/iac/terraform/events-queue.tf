# SNS delivering to an SQS queue, written as an aws_iam_policy_document: pinned to topics of the
# deploying account with ArnLike on aws:SourceArn (PASS).
resource "aws_sqs_queue" "events" {
  name = "example-events"
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "TopicsOfThisAccount"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:sns:*:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.events.json
}
