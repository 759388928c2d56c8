"""ARN parsing: `arn:partition:service:region:account-id:resource` (spec §7; S20, S18).

Two entry points on purpose: `split_arn` does no validation and is what the ARN condition
operators use (six colon-separated components, the sixth being the remainder — spec §2.6), while
`parse_arn` / `parse_arn_pattern` validate like IAM Access Analyzer and raise `ArnError` carrying
the Access Analyzer issue code, so policy validation can report the same codes (S18).
"""

from __future__ import annotations

from dataclasses import dataclass

from deputyguard.wildcard import has_wildcard

__all__ = [
    "PARTITIONS",
    "Arn",
    "ArnError",
    "account_of",
    "is_account_id",
    "is_arn",
    "parse_arn",
    "parse_arn_pattern",
    "split_arn",
]

# DOC S20 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html) lists only
# `aws`, `aws-cn` and `aws-us-gov`. The ISO, ISO-B, ISO-E, ISO-F and European Sovereign Cloud
# partitions below exist but are not in any page the spec read: list completeness is UNCONFIRMED
# (spec §7 and §10 question 9).
PARTITIONS: frozenset[str] = frozenset(
    {
        "aws",  # DOC S20
        "aws-cn",  # DOC S20
        "aws-us-gov",  # DOC S20
        "aws-iso",  # UNCONFIRMED
        "aws-iso-b",  # UNCONFIRMED
        "aws-iso-e",  # UNCONFIRMED
        "aws-iso-f",  # UNCONFIRMED
        "aws-eusc",  # UNCONFIRMED
    }
)

# Account component used by AWS managed policy ARNs, e.g. `arn:aws:iam::aws:policy/...` (such ARNs
# appear in S18's list of AWS managed policies); it is not a 12-digit account ID.
_AWS_OWNED_ACCOUNT = "aws"

_ARN_PREFIX = "arn:"


class ArnError(ValueError):
    """An ARN that Access Analyzer would reject; `code` is the Access Analyzer issue code (S18).

    Codes: MISSING_ARN_FIELD, INVALID_ARN_PREFIX, INVALID_PARTITION, INVALID_ARN_ACCOUNT,
    INVALID_ARN_SERVICE_CASE, and the deputyguard-specific INVALID_ARN_SERVICE (a wildcard in the
    service component, which S20/S30 forbid but S18 gives no code for).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Arn:
    """The six ARN components; `resource` is everything after the fifth colon."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def is_account_id(text: str) -> bool:
    """`^\\d{12}$` over ASCII digits only (Python's `\\d` would also accept other scripts)."""
    return len(text) == 12 and text.isascii() and text.isdigit()


def split_arn(text: str) -> tuple[str, str, str, str, str, str] | None:
    """The six components with the remainder (colons included) last; None if < 5 colons."""
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    return (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])


def is_arn(text: str) -> bool:
    """Starts with `arn:` and has all six components (the ARN-operator notion of an ARN)."""
    return text.startswith(_ARN_PREFIX) and split_arn(text) is not None


def account_of(text: str) -> str | None:
    """The account component if the text is an ARN whose account is a 12-digit ID, else None."""
    parts = split_arn(text)
    if parts is None or parts[0] != "arn":
        return None
    return parts[4] if is_account_id(parts[4]) else None


def _split_checked(text: str) -> tuple[str, str, str, str, str]:
    if not text.startswith(_ARN_PREFIX):
        raise ArnError("INVALID_ARN_PREFIX", f"{text!r} does not start with 'arn:'")
    parts = split_arn(text)
    if parts is None:
        raise ArnError(
            "MISSING_ARN_FIELD",
            f"{text!r} must have the form arn:partition:service:region:account:resource",
        )
    _, partition, service, region, account, resource = parts
    for name, value in (("partition", partition), ("service", service), ("resource", resource)):
        if not value:
            raise ArnError("MISSING_ARN_FIELD", f"{text!r} has an empty {name} component")
    if has_wildcard(partition) or partition not in PARTITIONS:
        raise ArnError("INVALID_PARTITION", f"partition {partition!r} is not a known partition")
    if has_wildcard(service):
        raise ArnError("INVALID_ARN_SERVICE", f"wildcards are not allowed in service {service!r}")
    if service != service.lower():
        raise ArnError("INVALID_ARN_SERVICE_CASE", f"service {service!r} must be lowercase")
    return partition, service, region, account, resource


def parse_arn(text: str) -> Arn:
    """Validate a concrete ARN; region and account may be empty (S3, IAM — S20, S7).

    The resource component must be non-empty; AWS Config's documented `aws:SourceArn`
    `arn:aws:config:<region>:<account>` has no resource and so fails here (spec §2.6, S33):
    ARN condition operators use `split_arn` instead.
    """
    partition, service, region, account, resource = _split_checked(text)
    if account and account != _AWS_OWNED_ACCOUNT and not is_account_id(account):
        raise ArnError("INVALID_ARN_ACCOUNT", f"account {account!r} is not a 12-digit account ID")
    return Arn(partition, service, region, account, resource)


def _account_pattern_ok(account: str) -> bool:
    """Could this account pattern match a 12-digit ID (or the managed-policy `aws`)?"""
    if account == _AWS_OWNED_ACCOUNT or not account:
        return True
    if not has_wildcard(account):
        return is_account_id(account)
    fixed = account.replace("*", "")
    if any(c != "?" and not (c.isascii() and c.isdigit()) for c in fixed):
        return False
    return len(fixed) <= 12 if "*" in account else len(fixed) == 12


def parse_arn_pattern(text: str) -> Arn:
    """Validate a policy ARN pattern: `*`/`?` allowed in region, account and resource only.

    Wildcards are not allowed in the partition or service (S20, S30 Resource page). An account
    pattern must be able to match a 12-digit ID, so `*`, `1111*` and `????????????` pass while
    `12*x` does not (S18 INVALID_ARN_ACCOUNT). Whether the resource-type word holds a wildcard is
    not checked here because it needs the service's ARN formats.
    """
    partition, service, region, account, resource = _split_checked(text)
    if not _account_pattern_ok(account):
        raise ArnError(
            "INVALID_ARN_ACCOUNT", f"account {account!r} cannot match a 12-digit account ID"
        )
    return Arn(partition, service, region, account, resource)
