variable "services" {
  default = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
}

data "aws_iam_policy_document" "dynamic" {
  dynamic "statement" {
    for_each = var.services
    content {
      actions   = ["sns:Publish"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = [statement.value]
      }
    }
  }
}

resource "aws_sns_topic_policy" "dynamic" {
  arn    = "arn:aws:sns:us-east-1:111122223333:dynamic"
  policy = data.aws_iam_policy_document.dynamic.json
}

resource "aws_sns_topic_policy" "for_statements" {
  arn = "arn:aws:sns:us-east-1:111122223333:generated"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for service in var.services : {
      Effect    = "Allow"
      Principal = { Service = service }
      Action    = "sns:Publish"
      Resource  = "*"
    }]
  })
}

resource "aws_sqs_queue_policy" "directive" {
  queue_url = "https://sqs.us-east-1.amazonaws.com/111122223333/q"
  policy    = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        %{ for service in var.services }
        {"Effect": "Allow", "Principal": {"Service": "${service}"}, "Action": "sqs:SendMessage", "Resource": "*"},
        %{ endfor }
      ]
    }
    EOF
}

variable "policy_json" {
  type = string
}

resource "aws_s3_bucket_policy" "from_variable" {
  bucket = "example"
  policy = var.policy_json
}

# The identifiers come from a for expression over known values: evaluated.
resource "aws_sns_topic_policy" "for_values" {
  arn = "arn:aws:sns:us-east-1:111122223333:values"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = [for s in var.services : s if s != "cloudwatch.amazonaws.com"] }
      Action    = "sns:Publish"
      Resource  = "*"
    }]
  })
}
