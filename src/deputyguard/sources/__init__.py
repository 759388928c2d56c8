"""Readers that turn user inputs into policy documents with their positions."""

from deputyguard.sources.policy_files import (
    MAX_FILE_BYTES,
    SKIPPED_DIRECTORIES,
    PathPatterns,
    PolicySource,
    auto_policy_type,
    describe_json,
    discover,
    display_path,
    parse_policy_type,
    read_policy_file,
)

__all__ = [
    "MAX_FILE_BYTES",
    "SKIPPED_DIRECTORIES",
    "PathPatterns",
    "PolicySource",
    "auto_policy_type",
    "describe_json",
    "discover",
    "display_path",
    "parse_policy_type",
    "read_policy_file",
]
