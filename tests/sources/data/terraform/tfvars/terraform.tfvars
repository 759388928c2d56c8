# Loaded first: a.auto.tfvars and b.auto.tfvars.json override trail_name.
peer_account = "111122223333"
trail_name   = "from-terraform-tfvars"
