"""Explicit choices for behaviour the specification marks UNCONFIRMED.

Every default below is documented with the spec section that leaves the question open and with
what the differential oracle (iam-simulate) does, so a user can see what was assumed and change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnqualifiedMultivalued(StrEnum):
    """A single-valued operator (no ForAllValues/ForAnyValue) on a multivalued key (§3.3, #65)."""

    NO_MATCH = "no-match"
    """The condition is false, for positive and negated operators alike (oracle's choice; its
    author reports confirming it with AWS)."""
    ANY_VALUE = "any-value"
    """Read as ForAnyValue of the same operator."""


class ShortArn(StrEnum):
    """Arn* operators when a value or pattern has fewer than six components (§2.6, §10.3, #47)."""

    NO_MATCH = "no-match"
    """Treated as an invalid ARN: the comparison fails for positive and negated operators alike
    (the oracle answers this way: x15, a1, a3)."""
    PAD_EMPTY = "pad-empty"
    """Missing trailing components are read as empty strings."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    unqualified_multivalued: UnqualifiedMultivalued = UnqualifiedMultivalued.NO_MATCH
    short_arn: ShortArn = ShortArn.NO_MATCH
    for_any_value_if_exists_missing: bool = False
    """ForAnyValue:…IfExists on a missing key (§3.5): False = the set operator decides (false),
    True = IfExists decides (true). UNCONFIRMED; the oracle ignores IfExists here."""
    bool_values_ignore_case: bool = True
    """Bool/Null policy values such as "True" (§2.3, §10.5). UNCONFIRMED; the oracle accepts."""
    null_empty_is_present: bool = True
    """A key present with an empty value ("" or []) counts as present for Null (§2.4, §10.4).
    UNCONFIRMED; the oracle treats it as present (probe p8)."""
    empty_variable_uses_default: bool = True
    """A variable whose key is present but empty takes its default (§4). UNCONFIRMED; the oracle
    uses the default (probe v6)."""
    service_principal_ignore_case: bool = False
    """Case of service-principal names in Principal (§1.6, §10.5). UNCONFIRMED; the oracle
    compares exactly (probe k3)."""
    account_principal_matches_service: bool = False
    """Whether Principal {"AWS": "<account>"} matches a service principal (§5.2, §10.7).
    UNCONFIRMED; treated as no match, as the oracle does (x6)."""


DEFAULT_OPTIONS = EngineOptions()
