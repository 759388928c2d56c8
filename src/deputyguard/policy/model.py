"""The typed, immutable policy AST.

What the user wrote (with line, column and JSON pointer) is kept in `Span`s that never take part
in equality, so two policies that differ only in layout compare equal and findings can still point
back at the source.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Final

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


class _Value:
    """Immutable value object without dataclass overhead: the parser builds tens of these per
    policy on `simulate`'s hot path, and a frozen dataclass costs about fifteen times more to
    construct than a plain class (which mypyc compiles to a native one). Attributes are `Final`
    (mypy rejects assignment; the compiled build refuses it at run time too); equality and hash
    use `_compared`, which leaves out spans, so layout never changes what a policy means."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...]] = ()

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Value)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        members = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({members})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(getattr(self, name) for name in self._fields))


class Span(_Value):
    """Where an element was written: 1-based line/column (None when unknown) and JSON pointer."""

    _fields = ("pointer", "line", "column")
    __slots__ = _fields
    _compared = _fields

    def __init__(self, pointer: str, line: int | None = None, column: int | None = None) -> None:
        self.pointer: Final = pointer
        self.line: Final = line
        self.column: Final = column

    def describe(self) -> str:
        if self.line is None:
            return self.pointer or "/"
        return f"line {self.line}, column {self.column}"


NO_SPAN = Span("")


class PrincipalSet(_Value):
    """A `Principal`/`NotPrincipal` value. Several values and map keys are a logical OR (S13)."""

    _fields = ("wildcard", "aws", "service", "federated", "canonical_user", "span")
    __slots__ = _fields
    _compared = _fields[:-1]

    def __init__(
        self,
        wildcard: bool = False,
        aws: tuple[str, ...] = (),
        service: tuple[str, ...] = (),
        federated: tuple[str, ...] = (),
        canonical_user: tuple[str, ...] = (),
        span: Span = NO_SPAN,
    ) -> None:
        self.wildcard: Final = wildcard
        self.aws: Final = aws
        self.service: Final = service
        self.federated: Final = federated
        self.canonical_user: Final = canonical_user
        self.span: Final = span

    @property
    def is_empty(self) -> bool:
        return not (
            self.wildcard or self.aws or self.service or self.federated or self.canonical_user
        )


class Condition(_Value):
    """One `operator: {key: values}` entry. Keys of one block AND together; values OR (S3)."""

    _fields = ("operator", "key", "values", "span")
    __slots__ = _fields
    _compared = _fields[:-1]

    def __init__(
        self, operator: str, key: str, values: tuple[ScalarValue, ...], span: Span = NO_SPAN
    ) -> None:
        self.operator: Final = operator
        self.key: Final = key
        self.values: Final = values
        self.span: Final = span


class Statement(_Value):
    _fields = (
        "index",
        "effect",
        "sid",
        "principal",
        "not_principal",
        "actions",
        "not_actions",
        "resources",
        "not_resources",
        "conditions",
        "span",
    )
    __slots__ = _fields
    _compared = _fields[:-1]

    def __init__(
        self,
        index: int,
        effect: Effect,
        sid: str | None = None,
        principal: PrincipalSet | None = None,
        not_principal: PrincipalSet | None = None,
        actions: tuple[str, ...] | None = None,
        not_actions: tuple[str, ...] | None = None,
        resources: tuple[str, ...] | None = None,
        not_resources: tuple[str, ...] | None = None,
        conditions: tuple[Condition, ...] = (),
        span: Span = NO_SPAN,
    ) -> None:
        self.index: Final = index
        self.effect: Final = effect
        self.sid: Final = sid
        self.principal: Final = principal
        self.not_principal: Final = not_principal
        self.actions: Final = actions
        self.not_actions: Final = not_actions
        self.resources: Final = resources
        self.not_resources: Final = not_resources
        self.conditions: Final = conditions
        self.span: Final = span

    @property
    def label(self) -> str:
        """How a person names this statement: its Sid, else its index."""
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


class Policy(_Value):
    _fields = ("statements", "version", "id", "name", "span")
    __slots__ = _fields
    _compared = _fields[:-1]

    def __init__(
        self,
        statements: tuple[Statement, ...],
        version: str | None = None,
        id: str | None = None,
        name: str | None = None,
        span: Span = NO_SPAN,
    ) -> None:
        self.statements: Final = statements
        self.version: Final = version
        self.id: Final = id
        self.name: Final = name
        self.span: Final = span

    @property
    def variables_enabled(self) -> bool:
        """Variables exist only in 2012-10-17; a missing Version means 2008-10-17 (S15, S17)."""
        return self.version == VERSION_2012
