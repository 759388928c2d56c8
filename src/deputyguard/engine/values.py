"""Typed comparisons behind the condition operators (spec §2.2).

Each `compare_*` answers whether ONE request value matches ONE policy value under the positive
operator; negation, sets and missing keys are decided by the caller. A value that cannot be read
in the operator's type does not match (the oracle and AWS both treat it as no match).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from deputyguard.awsdata.arn import split_arn
from deputyguard.engine.options import EngineOptions, ShortArn
from deputyguard.wildcard import compile_glob

ORDERING = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}

# Private-use characters stand for a literal '*' or '?' that came from `${*}`, `${?}` or a
# substituted variable. Policy text is limited to U+0020–U+00FF (S21), so they cannot clash with
# anything a policy writes.
LITERAL_STAR = "\ue000"
LITERAL_QUESTION = "\ue001"
_TO_LITERAL = str.maketrans({"*": LITERAL_STAR, "?": LITERAL_QUESTION})


def literal_text(text: str) -> str:
    """Mark wildcard characters in text that must be matched literally."""
    return text.translate(_TO_LITERAL)


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Full-string glob match; `pattern` may contain literal markers from `literal_text`."""
    if LITERAL_STAR in pattern or LITERAL_QUESTION in pattern:
        value = literal_text(value)
    return compile_glob(pattern, ignore_case=ignore_case).matches(value)


@lru_cache(maxsize=8192)
def parse_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@lru_cache(maxsize=8192)
def parse_date(text: str) -> float | None:
    """W3C ISO 8601 profiles or epoch seconds (S1). All-digit text is read as epoch seconds."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() or (text[0] == "-" and text[1:].isdigit()):
        return float(text)
    try:
        if len(text) == 4 and text.isdigit():
            moment = datetime(int(text), 1, 1, tzinfo=UTC)
        elif len(text) == 7 and text[4] == "-":
            moment = datetime(int(text[:4]), int(text[5:]), 1, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def compare_ordered(kind: str, parser: str, value: str, pattern: str) -> bool:
    parse = parse_number if parser == "number" else parse_date
    left, right = parse(value), parse(pattern)
    if left is None or right is None:
        return False
    return bool(ORDERING[kind](left, right))


def compare_bool(value: str, pattern: str, options: EngineOptions) -> bool:
    if options.bool_values_ignore_case:
        value, pattern = value.lower(), pattern.lower()
    return pattern in ("true", "false") and value == pattern


def compare_binary(value: str, pattern: str) -> bool:
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(pattern, validate=True)
    except (binascii.Error, ValueError):
        return value == pattern


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def compare_ip(value: str, pattern: str) -> bool:
    network, address = _network(pattern), _network(value)
    if network is None or address is None or network.version != address.version:
        return False
    return address.subnet_of(network)  # type: ignore[arg-type]  # same IP version


def compare_arn(value: str, pattern: str, options: EngineOptions) -> bool:
    """ArnLike: six colon-separated components compared one by one, case-sensitively (S1)."""
    value_parts = _arn_components(value, options)
    pattern_parts = _arn_components(pattern, options)
    if value_parts is None or pattern_parts is None:
        return False
    return all(like(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _arn_components(text: str, options: EngineOptions) -> tuple[str, ...] | None:
    parts = split_arn(text)
    if parts is not None:
        return parts
    if options.short_arn is ShortArn.PAD_EMPTY and text.startswith("arn:"):
        pieces = text.split(":")
        return tuple(pieces + [""] * (6 - len(pieces)))
    return None


def is_short_arn(text: str) -> bool:
    return split_arn(text) is None
