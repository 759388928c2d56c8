data "aws_caller_identity" "current" {}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

# A base document shared by several policies.
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "OwnerAdmin"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.jobs.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "Replaced"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "override" {
  statement {
    sid       = "Overridden"
    effect    = "Deny"
    actions   = ["sqs:DeleteQueue"]
    resources = ["*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

data "aws_iam_policy_document" "jobs" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.override.json]

  # Same Sid as the base document's second statement: replaces it in place.
  statement {
    sid       = "Replaced"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:sns:us-east-1:${data.aws_caller_identity.current.account_id}:jobs-*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["444455556666"]
    }
  }

  statement {
    sid       = "Overridden"
    actions   = ["sqs:DeleteQueue"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }

  statement {
    not_actions   = ["sqs:ReceiveMessage"]
    not_resources = ["arn:aws:sqs:*:*:&{aws:username}"]

    not_principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]
    }
    principals {
      type        = "AWS"
      identifiers = ["111122223333"]
    }
    principals {
      type        = "AWS"
      identifiers = ["444455556666"]
    }
  }
}

resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy    = data.aws_iam_policy_document.jobs.json
}

# A JSON string as source document, with a Sid the own statements override.
data "aws_iam_policy_document" "from_string" {
  version                 = "2012-10-17"
  source_policy_documents = [<<-EOF
    {"Version": "2012-10-17", "Statement": [
      {"Sid": "Shared", "Effect": "Allow", "Action": "sqs:GetQueueUrl", "Resource": "*",
       "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    ]}
    EOF
  ]

  statement {
    sid       = "Own"
    actions   = ["sqs:GetQueueAttributes"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
}

resource "aws_sqs_queue_policy" "from_string" {
  queue_url = aws_sqs_queue.jobs.id
  policy    = data.aws_iam_policy_document.from_string.minified_json
}
