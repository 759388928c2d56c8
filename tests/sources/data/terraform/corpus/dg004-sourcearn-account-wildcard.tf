resource "aws_sqs_queue_policy" "dg004_account_wildcard" {
  queue_url = aws_sqs_queue.queue.id
  policy    = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {"Service": "sns.amazonaws.com"},
          "Action": "sqs:SendMessage",
          "Resource": "${aws_sqs_queue.queue.arn}",
          "Condition": {
            "ArnLike": {"aws:SourceArn": "arn:aws:sns:${data.aws_region.current.name}:*:alerts"}
          }
        }
      ]
    }
    POLICY
}
