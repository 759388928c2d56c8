variable "topics" {
  default = ["orders", "payments"]
}

resource "aws_sns_topic" "events" {
  count = length(var.topics)
  name  = var.topics[count.index]
}

resource "aws_sns_topic_policy" "events" {
  count = length(var.topics)
  arn   = aws_sns_topic.events[count.index].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.events[count.index].arn
    }]
  })
}

resource "aws_sqs_queue" "by_name" {
  for_each = toset(["a", "b"])
  name     = "queue-${each.key}"
}

resource "aws_sqs_queue_policy" "by_name" {
  for_each  = aws_sqs_queue.by_name
  queue_url = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = each.value.arn
      Condition = {
        ArnEquals = { "aws:SourceArn" = "arn:aws:sns:us-east-1:111122223333:${each.key}" }
      }
    }]
  })
}
