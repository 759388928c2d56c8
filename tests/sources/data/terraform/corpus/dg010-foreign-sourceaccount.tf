variable "publisher_account" {
  description = "The account whose topics may deliver (a default that is not the owner)"
  default     = "999988887777"
}

resource "aws_sqs_queue_policy" "dg010_foreign" {
  queue_url = aws_sqs_queue.queue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.queue.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.publisher_account }
      }
    }]
  })
}
