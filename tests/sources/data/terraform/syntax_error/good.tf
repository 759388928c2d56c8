resource "aws_sns_topic_policy" "ok" {
  arn = "arn:aws:sns:us-east-1:111122223333:ok"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = local.source_account } }
    }]
  })
}
