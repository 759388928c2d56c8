# HCL and JSON files of one module are read together: the JSON files use this data source.
data "aws_caller_identity" "current" {}
