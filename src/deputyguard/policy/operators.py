"""The condition-operator grammar and table (spec §2.1, §2.2, S1).

`operator := ["ForAllValues:" | "ForAnyValue:"] base ["IfExists"]`. Lives with the policy
language because validation needs it as much as the engine does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Family(StrEnum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


class Qualifier(StrEnum):
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class BaseOperator:
    name: str
    family: Family
    negated: bool
    positive: str
    """The positive counterpart whose match a negated operator inverts (S1, S3)."""
    compare: str
    """What a single value/pattern comparison does: eq, eq_ci, like, lt, le, gt, ge, in, null."""
    variables: bool
    """Whether policy variables are substituted in values (S8, S18)."""


def _table() -> dict[str, BaseOperator]:
    rows: list[tuple[str, Family, bool, str, str, bool]] = [
        ("StringEquals", Family.STRING, False, "StringEquals", "eq", True),
        ("StringNotEquals", Family.STRING, True, "StringEquals", "eq", True),
        ("StringEqualsIgnoreCase", Family.STRING, False, "StringEqualsIgnoreCase", "eq_ci", True),
        ("StringNotEqualsIgnoreCase", Family.STRING, True, "StringEqualsIgnoreCase", "eq_ci", True),
        ("StringLike", Family.STRING, False, "StringLike", "like", True),
        ("StringNotLike", Family.STRING, True, "StringLike", "like", True),
        ("NumericEquals", Family.NUMERIC, False, "NumericEquals", "eq", False),
        ("NumericNotEquals", Family.NUMERIC, True, "NumericEquals", "eq", False),
        ("NumericLessThan", Family.NUMERIC, False, "NumericLessThan", "lt", False),
        ("NumericLessThanEquals", Family.NUMERIC, False, "NumericLessThanEquals", "le", False),
        ("NumericGreaterThan", Family.NUMERIC, False, "NumericGreaterThan", "gt", False),
        (
            "NumericGreaterThanEquals",
            Family.NUMERIC,
            False,
            "NumericGreaterThanEquals",
            "ge",
            False,
        ),
        ("DateEquals", Family.DATE, False, "DateEquals", "eq", False),
        ("DateNotEquals", Family.DATE, True, "DateEquals", "eq", False),
        ("DateLessThan", Family.DATE, False, "DateLessThan", "lt", False),
        ("DateLessThanEquals", Family.DATE, False, "DateLessThanEquals", "le", False),
        ("DateGreaterThan", Family.DATE, False, "DateGreaterThan", "gt", False),
        ("DateGreaterThanEquals", Family.DATE, False, "DateGreaterThanEquals", "ge", False),
        ("Bool", Family.BOOL, False, "Bool", "eq", False),
        ("BinaryEquals", Family.BINARY, False, "BinaryEquals", "eq", False),
        ("IpAddress", Family.IP, False, "IpAddress", "in", False),
        ("NotIpAddress", Family.IP, True, "IpAddress", "in", False),
        ("ArnEquals", Family.ARN, False, "ArnLike", "like", True),
        ("ArnLike", Family.ARN, False, "ArnLike", "like", True),
        ("ArnNotEquals", Family.ARN, True, "ArnLike", "like", True),
        ("ArnNotLike", Family.ARN, True, "ArnLike", "like", True),
        ("Null", Family.NULL, False, "Null", "null", False),
    ]
    return {
        name: BaseOperator(name, family, negated, positive, compare, variables)
        for name, family, negated, positive, compare, variables in rows
    }


BASE_OPERATORS: dict[str, BaseOperator] = _table()


@dataclass(frozen=True, slots=True)
class Operator:
    text: str
    base: BaseOperator
    qualifier: Qualifier | None
    if_exists: bool


class OperatorError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@lru_cache(maxsize=1024)
def parse_operator(text: str) -> Operator:
    """Parse an operator name. Names are case-sensitive (UNCONFIRMED in AWS docs, spec §2.1)."""
    rest = text
    qualifier: Qualifier | None = None
    for q in Qualifier:
        if rest.startswith(q.value + ":"):
            qualifier = q
            rest = rest[len(q.value) + 1 :]
            break
    if_exists = False
    if rest.endswith("IfExists"):
        if_exists = True
        rest = rest[: -len("IfExists")]
    base = BASE_OPERATORS.get(rest)
    if base is None:
        raise OperatorError("INVALID_CONDITION_OPERATOR", f"unknown condition operator {text!r}")
    if base.family is Family.NULL and if_exists:
        raise OperatorError("NULL_WITH_IF_EXISTS", "IfExists cannot be used with the Null operator")
    return Operator(text, base, qualifier, if_exists)
