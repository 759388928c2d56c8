variable "peer_account" {
  description = "Account that reads the logs; no default, so only known at deployment"
  type        = string
}

variable "bucket_name" {
  type    = string
  default = "example-logs"
}

variable "org_id" {
  default = "o-a1b2c3d4e5"
}
