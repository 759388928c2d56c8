"""The nodes of a parsed HCL file: blocks, attributes and expressions, each with the offsets
where it was written (so every value of a policy can be traced to a line and column)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deputyguard.policy.jsontext import Position
from deputyguard.sources.policy_files import _Lines

__all__ = [
    "Attribute",
    "BinaryOp",
    "Block",
    "Body",
    "Call",
    "Chunk",
    "Conditional",
    "Directive",
    "Expr",
    "ForExpr",
    "GetAttr",
    "HclError",
    "Index",
    "Interp",
    "Literal",
    "Name",
    "ObjectExpr",
    "ObjectItem",
    "Part",
    "SourceFile",
    "Splat",
    "Step",
    "Template",
    "Traversal",
    "TupleExpr",
    "UnaryOp",
]


@dataclass(eq=False)
class SourceFile:
    """One file of the module (or a JSON template it reads), with offset → line/column."""

    path: Path
    shown: str
    text: str = field(repr=False)
    _lines: _Lines | None = field(default=None, repr=False)

    def position(self, offset: int) -> Position:
        if self._lines is None:
            self._lines = _Lines(self.text)
        return self._lines.position(max(0, min(offset, len(self.text))))

    def line(self, offset: int) -> int:
        return self.position(offset).line

    def where(self, offset: int) -> str:
        """`main.tf line 3`, as unknown-value reasons and errors say it."""
        return f"{self.shown} line {self.line(offset)}"

    def snippet(self, start: int, end: int) -> str:
        return self.text[start:end]


class HclError(ValueError):
    """Text that is not valid HCL (or a construct this reader cannot take apart)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset


# -- expression nodes -----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Expr:
    file: SourceFile = field(repr=False)
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.file.text[self.start : self.end]


@dataclass(eq=False, slots=True)
class Literal(Expr):
    value: object


@dataclass(frozen=True, slots=True)
class Chunk:
    """Literal template text; `origins[i]` is the file offset of `text[i]` (escapes decoded)."""

    text: str
    origins: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Interp:
    expr: Expr
    offset: int
    """Where its `${` is: interpolated text is placed there."""


@dataclass(frozen=True, slots=True)
class Directive:
    """`%{ if }` / `%{ for }`: template logic this reader does not evaluate."""

    offset: int


Part = Chunk | Interp | Directive


@dataclass(eq=False, slots=True)
class Template(Expr):
    parts: tuple[Part, ...]
    heredoc: str | None = None
    """The heredoc marker (`EOF`) or None for a quoted string."""
    trim: bool = False
    """`<<-`: the common indentation is removed."""


@dataclass(eq=False, slots=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class GetAttr:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Index:
    key: Expr
    offset: int


@dataclass(frozen=True, slots=True)
class Splat:
    offset: int


Step = GetAttr | Index | Splat


@dataclass(eq=False, slots=True)
class Traversal(Expr):
    base: Expr
    steps: tuple[Step, ...]

    def root_path(self) -> tuple[str, ...]:
        """`data.aws_region.current.name` → its names, up to the first non-attribute step."""
        if not isinstance(self.base, Name):
            return ()
        names = [self.base.name]
        for step in self.steps:
            if not isinstance(step, GetAttr):
                break
            names.append(step.name)
        return tuple(names)


@dataclass(eq=False, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    expand: bool = False


@dataclass(eq=False, slots=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ObjectItem:
    key: Expr
    value: Expr
    offset: int


@dataclass(eq=False, slots=True)
class ObjectExpr(Expr):
    items: tuple[ObjectItem, ...]


@dataclass(eq=False, slots=True)
class Conditional(Expr):
    condition: Expr
    then: Expr
    other: Expr


@dataclass(eq=False, slots=True)
class BinaryOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(eq=False, slots=True)
class UnaryOp(Expr):
    op: str
    operand: Expr


@dataclass(eq=False, slots=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None
    group: bool


# -- bodies ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Attribute:
    name: str
    expr: Expr
    start: int
    end: int
    file: SourceFile


@dataclass(eq=False)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type == kind)


@dataclass(eq=False)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    start: int
    end: int
    file: SourceFile

    def dynamic(self, kind: str) -> Block | None:
        """A `dynamic "kind"` block inside this one: content only known at plan time."""
        return next(
            (b for b in self.body.blocks if b.type == "dynamic" and b.labels[:1] == (kind,)), None
        )
