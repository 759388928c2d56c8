resource "aws_sqs_queue_policy" "dg004_crosses_colon" {
  queue_url = aws_sqs_queue.queue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.queue.arn
      Condition = {
        StringLike = {
          "aws:SourceArn" = "arn:aws:sns:*${data.aws_caller_identity.current.account_id}*"
        }
      }
    }]
  })
}
