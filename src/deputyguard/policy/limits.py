"""Policy size quotas per policy type (spec §1.10).

A document over its quota is refused by the service that stores it, so validation reports it
before anyone deploys it. Each limit records how AWS counts (characters or UTF-8 bytes, with or
without whitespace) and the source id from the spec, because the numbers differ per service and
some are documented only loosely ("20 KB").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from deputyguard.policy.model import PolicyType

__all__ = ["JSON_WHITESPACE", "SizeLimit", "measure", "size_limit"]

Unit = Literal["chars", "bytes"]

JSON_WHITESPACE = frozenset(" \t\n\r")
"""What "whitespace is not counted" removes (S21). Whether IAM also skips whitespace inside string
values is not documented; removing it everywhere gives the smaller, never-too-strict count."""

_KB = 1024


@dataclass(frozen=True, slots=True)
class SizeLimit:
    """A quota: at most `limit` `unit`s, optionally not counting whitespace; `source` is an S-id."""

    limit: int
    unit: Unit
    ignore_whitespace: bool
    source: str


# Identity-based policies (S21): the customer managed policy quota is the per-document one; inline
# policies only have per-identity aggregate quotas, which a single document cannot be checked for.
_IDENTITY = SizeLimit(6_144, "chars", True, "S21")
# Role trust policy: 2,048 by default, raisable to 8,192 through Service Quotas (S21).
_TRUST = SizeLimit(2_048, "chars", True, "S21")
# Session policies: 2,048 characters of plaintext, plus a packed-size limit not modelled (S21).
_SESSION = SizeLimit(2_048, "chars", False, "S21")
# SCP / RCP: the console strips whitespace, the API stores the text as given, so count it (S28).
_SCP = SizeLimit(10_240, "chars", False, "S28")
_RCP = SizeLimit(5_120, "chars", False, "S28")

_BY_TYPE: dict[PolicyType, SizeLimit] = {
    PolicyType.IDENTITY: _IDENTITY,
    PolicyType.BOUNDARY: _IDENTITY,  # a permissions boundary is a managed policy (S21)
    PolicyType.SESSION: _SESSION,
    PolicyType.TRUST: _TRUST,
    PolicyType.SCP: _SCP,
    PolicyType.RCP: _RCP,
}

# Resource-based policies: the quota belongs to the service that stores the policy.
_BY_SERVICE: dict[str, SizeLimit | None] = {
    "s3": SizeLimit(20 * _KB, "bytes", False, "S37"),
    "sqs": SizeLimit(8_192, "bytes", False, "S36"),
    "kms": SizeLimit(32 * _KB, "bytes", False, "S38"),
    "lambda": SizeLimit(20 * _KB, "bytes", False, "S39"),
    "sns": None,  # not found in the SNS quotas page read: UNCONFIRMED (spec §1.10, §10 item 9)
}


def size_limit(policy_type: PolicyType, service: str | None = None) -> SizeLimit | None:
    """The quota for a policy of this type (and, for resource policies, this service prefix).

    None when no documented quota is known: SNS, VPC endpoint policies, or a resource policy whose
    service is not given.
    """
    if policy_type is PolicyType.RESOURCE:
        return _BY_SERVICE.get(service.lower()) if service else None
    return _BY_TYPE.get(policy_type)


def measure(text: str, limit: SizeLimit) -> int:
    """The size of `text` counted the way `limit` is defined."""
    if limit.ignore_whitespace:
        text = "".join(c for c in text if c not in JSON_WHITESPACE)
    if limit.unit == "bytes":
        return len(text.encode("utf-8"))
    return len(text)
