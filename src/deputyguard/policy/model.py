"""The typed, immutable policy AST.

What the user wrote (with line, column and JSON pointer) is kept in `Span`s that never take part
in equality, so two policies that differ only in layout compare equal and findings can still point
back at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

ScalarValue = str | bool | int | float
"""A condition value as JSON allows it: quotes are optional for numbers and Booleans (S16)."""


class PolicyType(StrEnum):
    """Where a policy is attached; decides which elements are allowed and how it is evaluated."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    SCP = "scp"
    RCP = "rcp"
    BOUNDARY = "boundary"
    SESSION = "session"
    VPC_ENDPOINT = "vpc-endpoint"


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Span:
    """Where an element was written: 1-based line/column (None when unknown) and JSON pointer."""

    pointer: str
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        if self.line is None:
            return self.pointer or "/"
        return f"line {self.line}, column {self.column}"


NO_SPAN = Span("")


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A `Principal`/`NotPrincipal` value. Several values and map keys are a logical OR (S13)."""

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False)

    @property
    def is_empty(self) -> bool:
        return not (
            self.wildcard or self.aws or self.service or self.federated or self.canonical_user
        )


@dataclass(frozen=True, slots=True)
class Condition:
    """One `operator: {key: values}` entry. Keys of one block AND together; values OR (S3)."""

    operator: str
    key: str
    values: tuple[ScalarValue, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    effect: Effect
    sid: str | None = None
    principal: PrincipalSet | None = None
    not_principal: PrincipalSet | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False)

    @property
    def label(self) -> str:
        """How a person names this statement: its Sid, else its index."""
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    name: str | None = None
    span: Span = field(default=NO_SPAN, compare=False)

    @property
    def variables_enabled(self) -> bool:
        """Variables exist only in 2012-10-17; a missing Version means 2008-10-17 (S15, S17)."""
        return self.version == VERSION_2012
