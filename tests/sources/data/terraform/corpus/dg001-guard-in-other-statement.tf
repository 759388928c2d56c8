# The guarded statement comes from a shared document; the unguarded one is added here.
data "aws_iam_policy_document" "alerts_topic_delivery" {
  statement {
    sid       = "FromAlertsTopic"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.queue.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:sns:us-east-1:${data.aws_caller_identity.current.account_id}:alerts"]
    }
  }
}

data "aws_iam_policy_document" "dg001_other_statement" {
  source_policy_documents = [data.aws_iam_policy_document.alerts_topic_delivery.json]

  statement {
    sid       = "FromEventBridge"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.queue.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_sqs_queue_policy" "dg001_other_statement" {
  queue_url = aws_sqs_queue.queue.id
  policy    = data.aws_iam_policy_document.dg001_other_statement.json
}
