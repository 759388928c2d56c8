variable "peer_account" {
  description = "Set in terraform.tfvars: no default, so unknown without it"
  type        = string
}

variable "trail_name" {
  type    = string
  default = "default-trail"
}

variable "topic_policy" {
  description = "The whole policy of the alerts topic, given in a.auto.tfvars"
  type        = string
}

variable "bucket_name" {
  type    = string
  default = "example-logs"
}
