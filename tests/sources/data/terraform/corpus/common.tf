# Terraform translations of cases of tests/analysis/corpus (one case per .tf file, named after
# the JSON case). Read with owner 111122223333, the corpus's default account, each policy's
# document equals the JSON case's document.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

resource "aws_s3_bucket" "example" {
  bucket = "example-bucket"
}

resource "aws_sqs_queue" "queue" {
  name = "queue"
}

resource "aws_sns_topic" "alerts_topic" {
  name = "alerts-topic"
}
