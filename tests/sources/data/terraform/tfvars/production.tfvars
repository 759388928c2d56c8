# Only read with -var-file, never automatically: these values must not be used.
peer_account = "999999999999"
trail_name   = "production"
