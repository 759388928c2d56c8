"""Terraform's JSON syntax (`*.tf.json`, and `*.tfvars.json` variable files) as the same nodes
the HCL reader builds, each placed where it was written in the JSON text.

The mapping follows https://developer.hashicorp.com/terraform/language/syntax/json: top-level
properties are block types, one nested object per block label (or an array of such objects),
then the block body. In a body, a property is an argument or, for the nested block types the
policy reader looks at (`statement`, `principals`, `not_principals`, `condition` of
`aws_iam_policy_document`, `inline_policy` of `aws_iam_role`, and `dynamic`), one block (an
object) or several (an array). Argument values map to expressions: Booleans, numbers and null
are literals, arrays tuples, objects objects, and strings are string templates, so
`"${jsonencode({...})}"` and `"${data.aws_iam_policy_document.x.json}"` read as in HCL and a
lone interpolation yields its value itself. `variable` bodies, `source`/`version`/`providers`
of `module` blocks are literal (strings are not templates); `"//"` properties are comments.
Block types that never hold a policy (`terraform`, `provider`, `moved`, …) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from deputyguard.policy.jsontext import JsonSyntaxError, Position, parse_json, pointer_join
from deputyguard.sources.policy_files import (
    _Lines,
    _value_end,
    describe_json,
    json_string_offsets,
)
from deputyguard.sources.terraform.hcl import parse_template
from deputyguard.sources.terraform.nodes import (
    Attribute,
    Block,
    Body,
    Chunk,
    Expr,
    HclError,
    Literal,
    ObjectExpr,
    ObjectItem,
    Part,
    SourceFile,
    Template,
    TupleExpr,
)

__all__ = ["is_tf_json", "parse_tf_json", "parse_tfvars_json"]

_Schema = Mapping[str, "_Schema"]

_LABELS: Final = MappingProxyType(
    {"resource": 2, "data": 2, "variable": 1, "module": 1, "output": 1}
)
"""Top-level block types read, and how many labels each takes."""
_SKIPPED: Final = frozenset(
    {"terraform", "provider", "moved", "import", "check", "removed", "ephemeral"}
)
"""Top-level block types that never hold a policy."""
_NO_NESTING: Final[_Schema] = MappingProxyType({})
_NESTED: Final[Mapping[tuple[str, str], _Schema]] = MappingProxyType(
    {
        ("data", "aws_iam_policy_document"): MappingProxyType(
            {
                "statement": MappingProxyType(
                    {
                        "principals": _NO_NESTING,
                        "not_principals": _NO_NESTING,
                        "condition": _NO_NESTING,
                    }
                )
            }
        ),
        ("resource", "aws_iam_role"): MappingProxyType({"inline_policy": _NO_NESTING}),
    }
)
"""Nested block types (and theirs) of the blocks the policy reader takes apart; any other
property of a body is an argument."""
_LITERAL_ARGUMENTS: Final = MappingProxyType(
    {"module": frozenset({"source", "version", "providers"})}
)
_COMMENT: Final = "//"
_SCALAR_END: Final = re.compile(r"-?[0-9.eE+-]+|true|false|null")


def is_tf_json(name: str) -> bool:
    """Whether a file name is Terraform's JSON syntax (`main.tf.json`)."""
    return name.lower().endswith(".tf.json")


def parse_tf_json(file: SourceFile) -> tuple[Body, list[HclError]]:
    """The file's blocks, and what in it could not be read (each with its offset). HclError
    when the file is not JSON or not a JSON object."""
    reader = _Reader(file)
    return reader.configuration(), reader.problems


def parse_tfvars_json(file: SourceFile) -> tuple[Body, list[HclError]]:
    """A `.tfvars.json` file: one argument per root property (values read as in `.tf.json`)."""
    reader = _Reader(file)
    body = Body()
    for key, value in reader.root().items():
        if key != _COMMENT:
            reader.argument(body, key, value, "", literal=False)
    return body, reader.problems


class _Reader:
    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.text = file.text
        self.lines = _Lines(file.text)
        try:
            self.parsed = parse_json(file.text)
        except JsonSyntaxError as exc:
            offset = self.lines.offset(Position(exc.line, exc.column))
            raise HclError(f"invalid JSON: {exc.message}", offset) from None
        self.problems: list[HclError] = [
            HclError(
                f"duplicate property '{d.key}' (Terraform rejects it; the last one is read)",
                self.lines.offset(d.again),
            )
            for d in self.parsed.duplicates
        ]

    # -- where things are

    def start(self, pointer: str) -> int:
        return self.lines.offset(self.parsed.positions[pointer])

    def key_start(self, pointer: str) -> int:
        return self.lines.offset(self.parsed.positions[pointer + "#key"])

    def end(self, pointer: str, value: Any) -> int:
        start = self.start(pointer)
        if isinstance(value, dict | list | str):
            return _value_end(self.text, start)
        match = _SCALAR_END.match(self.text, start)
        return match.end() if match else start + 1

    def problem(self, message: str, offset: int) -> None:
        self.problems.append(HclError(message, offset))

    # -- blocks

    def root(self) -> dict[str, Any]:
        value = self.parsed.value
        if not isinstance(value, dict):
            raise HclError(
                f"a Terraform JSON file holds a JSON object, not {describe_json(value)}",
                self.start(""),
            )
        return value

    def configuration(self) -> Body:
        body = Body()
        for key, value in self.root().items():
            pointer = pointer_join("", key)
            if key == _COMMENT or key in _SKIPPED:
                continue
            if key == "locals":
                self.locals(body, value, pointer)
            elif key in _LABELS:
                self.blocks(body, key, value, pointer, (), _LABELS[key], _NO_NESTING)
            else:
                self.problem(
                    f"unknown block type '{key}': it is not analyzed", self.key_start(pointer)
                )
        return body

    def locals(self, body: Body, value: Any, pointer: str) -> None:
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            at = pointer if index is None else pointer_join(pointer, index)
            if not isinstance(item, dict):
                self.problem(
                    f"locals must be a JSON object of local values, not {describe_json(item)}: "
                    "they are not analyzed",
                    self.start(at),
                )
                continue
            block = Block(
                "locals", (), Body(), self.key_start(pointer), self.end(at, item), self.file
            )
            for name, member in item.items():
                if name != _COMMENT:
                    self.argument(block.body, name, member, at, literal=False)
            body.blocks.append(block)

    def blocks(
        self,
        body: Body,
        kind: str,
        value: Any,
        pointer: str,
        labels: tuple[str, ...],
        wanted: int,
        nested: _Schema,
        *,
        element: bool = False,
    ) -> None:
        """The blocks `value` holds once `labels` are read: a body (object) or several (array),
        or, while labels remain, an object keyed by the next label (or an array of them)."""
        if isinstance(value, list):
            for index, item in enumerate(value):
                at = pointer_join(pointer, index)
                self.blocks(body, kind, item, at, labels, wanted, nested, element=True)
            return
        what = " ".join((kind, *labels))
        if not isinstance(value, dict):
            expected = "a JSON object of block labels" if len(labels) < wanted else "a block body"
            self.problem(
                f"{what}: expected {expected}, not {describe_json(value)}; it is not analyzed",
                self.start(pointer),
            )
            return
        if len(labels) < wanted:
            for label, inner in value.items():
                if label != _COMMENT:
                    at = pointer_join(pointer, label)
                    self.blocks(body, kind, inner, at, (*labels, label), wanted, nested)
            return
        start = self.start(pointer) if element else self.key_start(pointer)
        block = Block(kind, labels, Body(), start, self.end(pointer, value), self.file)
        if kind in ("resource", "data") and len(labels) == 2:
            nested = _NESTED.get((kind, labels[0]), _NO_NESTING)
        for name, member in value.items():
            at = pointer_join(pointer, name)
            if name == _COMMENT:
                continue
            if name == "dynamic" and kind != "variable":
                self.blocks(block.body, name, member, at, (), 1, _NO_NESTING)
            elif name in nested:
                self.blocks(block.body, name, member, at, (), 0, nested[name])
            elif kind == "variable" and name == "validation":
                continue
            else:
                literal = kind == "variable" or name in _LITERAL_ARGUMENTS.get(kind, ())
                self.argument(block.body, name, member, pointer, literal=literal)
        body.blocks.append(block)

    def argument(self, body: Body, name: str, value: Any, parent: str, *, literal: bool) -> None:
        pointer = pointer_join(parent, name)
        try:
            expr = self.expr(pointer, value, literal=literal)
        except HclError as exc:
            self.problem(f"argument '{name}': {exc.message}; it is not analyzed", exc.offset)
            return
        start = self.key_start(pointer)
        body.attributes[name] = Attribute(name, expr, start, self.end(pointer, value), self.file)

    # -- expressions

    def expr(self, pointer: str, value: Any, *, literal: bool) -> Expr:
        start = self.start(pointer)
        end = self.end(pointer, value)
        if isinstance(value, str):
            return self.string(start, value, literal=literal)
        if isinstance(value, list):
            items = tuple(
                self.expr(pointer_join(pointer, i), item, literal=literal)
                for i, item in enumerate(value)
            )
            return TupleExpr(self.file, start, end, items)
        if isinstance(value, dict):
            members: list[ObjectItem] = []
            for key, member in value.items():
                at = pointer_join(pointer, key)
                key_offset = self.key_start(at)
                key_expr = self.string(key_offset, key, literal=literal)
                members.append(
                    ObjectItem(key_expr, self.expr(at, member, literal=literal), key_offset)
                )
            return ObjectExpr(self.file, start, end, tuple(members))
        return Literal(self.file, start, end, value)

    def string(self, quote: int, value: str, *, literal: bool) -> Template:
        """A JSON string as a template (or literal text), each character placed in the file."""
        origins, close = json_string_offsets(self.text, quote)
        if len(origins) != len(value):  # cannot happen for a string parse_json accepted
            origins = [quote] * len(value)
        parts: tuple[Part, ...]
        if literal:
            parts = (Chunk(value, tuple(origins)),) if value else ()
        else:
            parts = parse_template(value, origins, self.file)
        return Template(self.file, quote, close + 1, parts)
