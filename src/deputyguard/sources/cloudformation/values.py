"""The values CloudFormation templates resolve to, and where each was written.

Every value keeps a `Loc`: where the user wrote it (so findings point at the template) and
whether it was written literally or computed by an intrinsic (so the rewriter knows what it may
edit in place). Shared by the evaluator, the intrinsic functions, the reader and the rewriter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from deputyguard.policy.jsontext import Position
from deputyguard.sources.cloudformation.nodes import MAP, SEQ, Node

__all__ = [
    "COMPUTED",
    "KNOWN_FUNCTIONS",
    "LITERAL",
    "NO_VALUE",
    "SYNTHETIC",
    "Loc",
    "NeedCondition",
    "SubParts",
    "TemplateError",
    "Unresolved",
    "flatten",
    "intrinsic",
    "literal_tree",
]


class _NoValue:
    """`AWS::NoValue`: the property or list element is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()


class TemplateError(Exception):
    """A template mistake that stops one policy from being read (where, and what is wrong)."""

    def __init__(self, message: str, at: Position | None) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


class NeedCondition(Exception):
    """A statement, list or object depends on a condition that cannot be evaluated: the reader
    evaluates the policy once with the condition true and once false."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A condition whose value is only known at deployment; `root` is the condition to assume."""

    root: str


LITERAL: Final = "literal"
COMPUTED: Final = "computed"
SYNTHETIC: Final = "synthetic"


@dataclass(eq=False, slots=True)
class SubParts:
    """How an `Fn::Sub` result maps back onto its template string, so a fix can edit the
    literal parts and keep every `${...}`."""

    template: Node  # the template string's scalar node
    source: list[int]  # per result character: index into the template string, -1 if substituted


@dataclass(eq=False, slots=True)
class Loc:
    """Where a resolved value came from.

    `literal`: written as is at `node` (children say where their members are); `computed`: the
    result of the intrinsic at `node` (every part points there); `synthetic`: built by the reader
    from several properties (Lambda permissions, EventBridge bus policies).
    """

    at: Position
    node: Node | None
    kind: str = LITERAL
    keys: dict[str, Position] | None = None
    children: dict[str, Loc] | list[Loc] | None = None
    raw_index: list[int] | None = None
    """For a literal list: the raw item each element came from (items may be removed)."""
    chars: Callable[[], list[int]] | None = None
    """For a string: per character, the offset in the template where it was written."""
    exact: bool = True
    """For a computed value: whether it is the deployed value (no parameter, generated name or
    Region went into it), so it may be replaced by its literal fixed value."""
    sub: SubParts | None = None
    what: str = ""
    """For a computed value: the intrinsic, as users wrote it (`!Sub`, `Fn::GetAtt`)."""


def flatten(value: Any, loc: Loc, pointer: str, out: dict[str, Position]) -> None:
    """Positions of every node of `value` (and `#key` of every member), under `pointer`."""
    stack: list[tuple[Any, Loc | None, str, Position]] = [(value, loc, pointer, loc.at)]
    while stack:
        val, where, path, fallback = stack.pop()
        at = where.at if where is not None else fallback
        out[path] = at
        uniform = where is None or where.kind == COMPUTED or where.children is None
        if isinstance(val, dict):
            kids = None if uniform or where is None else where.children
            keys = None if uniform or where is None else where.keys
            for key, member in val.items():
                child_path = f"{path}/{_token(key)}"
                out[child_path + "#key"] = keys.get(key, at) if keys is not None else at
                child = kids.get(key) if isinstance(kids, dict) else None
                stack.append((member, child, child_path, at))
        elif isinstance(val, list):
            kids_list = None if uniform or where is None else where.children
            for index, item in enumerate(val):
                child = (
                    kids_list[index]
                    if isinstance(kids_list, list) and index < len(kids_list)
                    else None
                )
                stack.append((item, child, f"{path}/{index}", at))


def _token(key: str) -> str:
    if "~" not in key and "/" not in key:
        return key
    return key.replace("~", "~0").replace("/", "~1")


# -- intrinsic functions --------------------------------------------------------------------------

_SHORT_TAGS: Final = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "Base64",
            "Cidr",
            "And",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}
KNOWN_FUNCTIONS: Final = frozenset(_SHORT_TAGS.values())


def intrinsic(node: Node, *, conditions: bool = False) -> tuple[str, Node, str] | None:
    """(function, argument, as written) when `node` is an intrinsic function call.

    `Condition` is a function only inside condition expressions: in a policy statement it is
    the statement's own element.
    """
    if node.tag is not None:
        name = _SHORT_TAGS.get(node.tag, node.tag)
        return name, replace(node, tag=None), node.tag
    if node.kind == MAP and len(node.members) == 1:
        key = node.members[0].key
        if key == "Ref" or key.startswith("Fn::"):
            return key, node.members[0].value, key
        if conditions and key == "Condition":
            return key, node.members[0].value, key
    return None


def where(file: str, at: Position) -> str:
    return f"{file} line {at.line}"


def literal_tree(node: Node) -> tuple[Any, Loc]:
    """Value and locations of a node read as plain data (a policy decoded from a JSON string)."""
    if node.kind == MAP:
        out: dict[str, Any] = {}
        keys: dict[str, Position] = {}
        children: dict[str, Loc] = {}
        for member in node.members:
            value, loc = literal_tree(member.value)
            out.pop(member.key, None)
            out[member.key] = value
            keys[member.key] = node.src.position(member.key_start)
            children[member.key] = loc
        return out, Loc(node.position, node, keys=keys, children=children)
    if node.kind == SEQ:
        pairs = [literal_tree(item) for item in node.items]
        return (
            [p[0] for p in pairs],
            Loc(
                node.position,
                node,
                children=[p[1] for p in pairs],
                raw_index=list(range(len(pairs))),
            ),
        )
    return node.value, Loc(node.position, node)


_SCALARS: Final = (str, int, float, bool)


def text(value: Any) -> str:
    """A value as CloudFormation passes it to a string context (parameters, Fn::Sub, Join)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def is_scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def kind_of(value: Any) -> str:
    """What a value is, for messages."""
    if value is NO_VALUE:
        return "AWS::NoValue"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "a number" if isinstance(value, (int, float)) else "a string"


def same(a: Any, b: Any) -> bool:
    """CloudFormation compares values as strings (a Number parameter equals its text)."""
    if is_scalar(a) and is_scalar(b):
        return text(a) == text(b)
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
