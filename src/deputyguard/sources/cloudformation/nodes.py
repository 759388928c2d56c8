"""A CloudFormation template as a tree of nodes that remember where they were written.

YAML and JSON templates load into the same small tree so the evaluator and the rewriter never
care which syntax the user chose. Every node keeps the character offsets of its text (start and
end), so findings point at the user's line and the rewriter can splice a fix into the file
without re-serialising anything it did not change. YAML is read with PyYAML's composer on
libyaml (no construction: short-form tags such as `!Sub` stay plain tags, and nothing
user-controlled is ever instantiated); JSON is read with our strict `jsontext` parser so positions
stay exact.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.nodes import Node as YamlNode

from deputyguard.policy.jsontext import JsonSyntaxError, Position, parse_json, pointer_join

__all__ = [
    "MAP",
    "SCALAR",
    "SEQ",
    "LoadError",
    "Member",
    "Node",
    "Text",
    "load_json",
    "load_template",
    "load_yaml",
    "scalar_offsets",
]

MAP: Final = "map"
SEQ: Final = "seq"
SCALAR: Final = "scalar"

_STANDARD_TAG: Final = "tag:yaml.org,2002:"


class Text:
    """A text and its line table: converts character offsets to 1-based positions."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # As jsontext counts: a leading BOM takes no column on line 1.
        self._starts = [1 if text.startswith("\ufeff") else 0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)

    def offset(self, position: Position) -> int:
        return self._starts[position.line - 1] + position.column - 1

    def line_start(self, offset: int) -> int:
        return self._starts[bisect_right(self._starts, offset) - 1]

    def line_end(self, offset: int) -> int:
        """Offset just after the newline that ends the line holding `offset` (or the text end)."""
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end + 1

    def indent_of(self, offset: int) -> int:
        """Indentation (spaces) of the line holding `offset`."""
        start = self.line_start(offset)
        line = self.text[start : self.line_end(offset)]
        return len(line) - len(line.lstrip(" "))


class MappedText(Text):
    """The text of a string value whose characters map back into the file (a policy written as a
    JSON string): positions are reported where the user wrote each character."""

    __slots__ = ("_map", "_outer")

    def __init__(self, text: str, outer: Text, mapping: Callable[[int], int]) -> None:
        super().__init__(text)
        self._outer = outer
        self._map = mapping

    def position(self, offset: int) -> Position:
        return self._outer.position(self._map(offset))


@dataclass(eq=False, slots=True)
class Member:
    """One `key: value` of a mapping."""

    key: str
    key_start: int
    key_end: int
    value: Node


@dataclass(eq=False, slots=True)
class Node:
    """A mapping, sequence or scalar of the template.

    `tag` is a short-form intrinsic tag (`!Sub`) or None; `style` is the scalar style (None plain,
    `'`, `"`, `|`, `>`); `flow` says whether a collection was written inline (`[a, b]`, JSON).
    `end` is where the node's own text ends (trailing blank lines and comments excluded).
    """

    kind: str
    src: Text
    start: int
    end: int
    tag: str | None = None
    value: Any = None
    members: list[Member] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)
    style: str | None = None
    flow: bool = False

    @property
    def position(self) -> Position:
        return self.src.position(self.start)

    def get(self, key: str) -> Node | None:
        """The value of `key` in a mapping (the last one when a key is repeated)."""
        for member in reversed(self.members):
            if member.key == key:
                return member.value
        return None

    def member(self, key: str) -> Member | None:
        for member in reversed(self.members):
            if member.key == key:
                return member
        return None

    def walk(self) -> Iterator[Node]:
        """Every node below and including this one, once each, iteratively (templates can nest
        deeply, and a YAML alias makes a node appear twice)."""
        stack = [self]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(m.value for m in reversed(node.members))
            stack.extend(reversed(node.items))


class LoadError(Exception):
    """The template cannot be read at all (invalid YAML or JSON)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong that does not stop reading (a duplicate key, an alias)."""

    message: str
    offset: int


@dataclass(slots=True)
class Loaded:
    root: Node
    syntax: str  # "json" or "yaml"
    problems: list[Problem]


def load_template(text: str) -> Loaded:
    """Parse as JSON when the text looks like JSON (exact positions), else as YAML. A YAML flow
    mapping also starts with `{`: it is read as YAML when it is not JSON, but a file that is
    neither is reported with the JSON error, which is what its author meant to write."""
    if not text.lstrip("\ufeff \t\r\n").startswith("{"):
        return load_yaml(text)
    try:
        return load_json(text)
    except LoadError as json_error:
        try:
            return load_yaml(text)
        except LoadError:
            raise json_error from None


# -- JSON -----------------------------------------------------------------------------------------

_JSON_SCALAR_END: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[-+0-9.eE]+|true|false|null', re.DOTALL)
_JSON_SPACE: Final = re.compile(r"[ \t\r\n]*")


def load_json(text: str) -> Loaded:
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        raise LoadError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
    src = Text(text)
    problems = [
        Problem(f"duplicate key '{d.key}': the last one is used", src.offset(d.again))
        for d in parsed.duplicates
    ]
    return Loaded(_json_tree(src, parsed.value, parsed.positions), "json", problems)


def json_tree(src: Text, value: Any, positions: Any) -> Node:
    """The node tree of an already parsed JSON text (`positions` from `parse_json`)."""
    return _json_tree(src, value, positions)


def _json_tree(src: Text, value: Any, positions: Any) -> Node:
    text = src.text
    # Iterative post-order: a container's end is found after its last child's.
    root = Node(SCALAR, src, src.offset(positions[""]), 0)
    work: list[tuple[Node, Any, str, bool]] = [(root, value, "", False)]
    while work:
        node, val, pointer, done = work.pop()
        if done:
            last = node.members[-1].value.end if node.members else None
            if node.items:
                last = node.items[-1].end
            i = node.start + 1 if last is None else last
            i = _JSON_SPACE.match(text, i).end()  # type: ignore[union-attr]
            node.end = i + 1
            continue
        if isinstance(val, dict):
            node.kind, node.flow = MAP, True
            work.append((node, val, pointer, True))
            children = []
            for key, member in val.items():
                child_pointer = pointer_join(pointer, key)
                key_start = src.offset(positions[child_pointer + "#key"])
                key_end = _JSON_SCALAR_END.match(text, key_start).end()  # type: ignore[union-attr]
                child = Node(SCALAR, src, src.offset(positions[child_pointer]), 0)
                node.members.append(Member(key, key_start, key_end, child))
                children.append((child, member, child_pointer, False))
            work.extend(reversed(children))
        elif isinstance(val, list):
            node.kind, node.flow = SEQ, True
            work.append((node, val, pointer, True))
            children = []
            for index, item in enumerate(val):
                child_pointer = pointer_join(pointer, index)
                child = Node(SCALAR, src, src.offset(positions[child_pointer]), 0)
                node.items.append(child)
                children.append((child, item, child_pointer, False))
            work.extend(reversed(children))
        else:
            node.value = val
            node.style = '"' if isinstance(val, str) else None
            node.end = _JSON_SCALAR_END.match(text, node.start).end()  # type: ignore[union-attr]
    return root


# -- YAML -----------------------------------------------------------------------------------------


_COMPOSER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it (tens of times faster than a pure-Python one). Only the
node tree is used: marks count characters, tags stay as written (`!Sub`), and scalar values are
typed by `_scalar_value`, so YAML 1.1 resolution quirks (octal ids) never reach a policy."""


_C_PARSER_MAX_BRACKETS: Final = 2000
"""libyaml composes nested flow collections by C recursion, which a hostile file nested a
hundred thousand levels deep overflows (a crash, not an error). A text with few brackets cannot
nest deeply in flow style (block nesting is bounded by indentation); one with many goes to the
pure-Python composer, whose recursion limit becomes a clean "nested too deeply" error."""


def load_yaml(text: str) -> Loaded:
    brackets = text.count("[") + text.count("{")
    composer = _COMPOSER if brackets <= _C_PARSER_MAX_BRACKETS else yaml.SafeLoader
    try:
        composed = yaml.compose(text, Loader=composer)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be parsed"
        if mark is None:
            raise LoadError(f"invalid YAML: {problem}") from None
        raise LoadError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except YAMLError as exc:
        raise LoadError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise LoadError("invalid YAML: nested too deeply") from None
    src = Text(text)
    if composed is None:
        raise LoadError("the file is empty")
    problems: list[Problem] = []
    return Loaded(_yaml_tree(src, composed, problems), "yaml", problems)


def _yaml_tree(src: Text, top: YamlNode, problems: list[Problem]) -> Node:
    built: dict[int, Node] = {}  # an alias is the same composed node: share its tree
    work: list[tuple[Node, YamlNode]] = []

    def node_for(raw: YamlNode) -> Node:
        known = built.get(id(raw))
        if known is not None:
            if not isinstance(raw, ScalarNode):
                message = "YAML aliases are not supported by CloudFormation"
                problems.append(Problem(message, known.start))
            return known
        node = built[id(raw)] = _yaml_node(src, raw)
        work.append((node, raw))
        return node

    root = node_for(top)
    while work:
        node, raw = work.pop()
        if isinstance(raw, MappingNode):
            keys: set[str] = set()
            for key_raw, value_raw in raw.value:
                key = str(key_raw.value) if isinstance(key_raw, ScalarNode) else ""
                if key in keys:
                    message = f"duplicate key '{key}': the last one is used"
                    problems.append(Problem(message, key_raw.start_mark.index))
                keys.add(key)
                start, end = key_raw.start_mark.index, key_raw.end_mark.index
                node.members.append(Member(key, start, end, node_for(value_raw)))
        elif isinstance(raw, SequenceNode):
            node.items.extend(node_for(item_raw) for item_raw in raw.value)
    _fix_block_ends(root)
    return root


def _yaml_node(src: Text, raw: YamlNode) -> Node:
    tag = raw.tag if isinstance(raw.tag, str) else getattr(raw.tag, "value", None)
    short = None if tag is None or tag.startswith(_STANDARD_TAG) else tag
    start, end = raw.start_mark.index, raw.end_mark.index
    if isinstance(raw, MappingNode):
        return Node(MAP, src, start, end, short, flow=bool(raw.flow_style))
    if isinstance(raw, SequenceNode):
        return Node(SEQ, src, start, end, short, flow=bool(raw.flow_style))
    raw_style = getattr(raw, "style", None)
    style = raw_style if raw_style in ("'", '"', "|", ">") else None
    if style in ("|", ">"):
        while end > start and src.text[end - 1] in " \t\r\n":
            end -= 1
    text = raw.value
    value: Any = text if short is not None else _scalar_value(tag or "", text, style)
    return Node(SCALAR, src, start, end, short, value=value, style=style)


def _fix_block_ends(root: Node) -> None:
    """Block collections end where their last child ends, not at the next token."""
    order = list(root.walk())
    for node in reversed(order):
        if node.flow or node.kind == SCALAR:
            continue
        last = node.members[-1].value if node.members else node.items[-1] if node.items else None
        if last is not None:
            node.end = last.end


_INT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_FLOAT: Final = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
)


def _scalar_value(tag: str, text: str, style: str | None) -> Any:
    """The JSON value of a plain YAML scalar as CloudFormation reads it.

    Digit strings with a leading zero (an account id such as 012345678901) stay strings: reading
    them as numbers would change the id. Forms JSON cannot hold (timestamps, .inf) stay text.
    """
    if style is not None or not tag.startswith(_STANDARD_TAG):
        return text
    kind = tag[len(_STANDARD_TAG) :]
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "y")
    if kind == "int":
        if _INT.fullmatch(text):
            return int(text.replace("_", ""))
        return text
    if kind == "float" and _FLOAT.fullmatch(text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


# -- where the characters of a string scalar were written -----------------------------------------

_ESCAPE_WIDTH: Final = {"x": 4, "u": 6, "U": 10}


def scalar_offsets(node: Node, value: str) -> list[int]:
    """For each character of the scalar's decoded `value` (plus one for its end), the file offset
    where it was written. Exact for literal block scalars and escapes; for folded or multi-line
    scalars every character lands on the line that holds it."""
    text = node.src.text
    i, end = node.start, node.end
    if i < end and text[i] in "!&":  # a tag or anchor before the value
        while i < end and text[i] not in " \t\r\n":
            i += 1
        while i < end and text[i] in " \t\r\n":
            i += 1
    style = node.style
    if style in ("'", '"'):
        i += 1
    elif style in ("|", ">"):
        newline = text.find("\n", i, end)
        i = end if newline < 0 else newline + 1
    out: list[int] = []
    j = i
    for c in value:
        if style == '"' and j < end and text[j] == "\\":
            out.append(j)
            j += _escape_width(text, j)
            continue
        if j < end and text[j] == c:
            out.append(j)
            j += 1
            continue
        if c in " \n\t":
            out.append(min(j, end))
            while j < end and text[j] in " \t\r\n":
                j += 1
            continue
        found = text.find(c, j, end)
        if found < 0:
            out.append(min(j, end))
            continue
        out.append(found)
        j = found + 1
    out.append(min(j, end))
    return out


def _escape_width(text: str, backslash: int) -> int:
    kind = text[backslash + 1 : backslash + 2]
    width = _ESCAPE_WIDTH.get(kind, 2)
    if kind == "u" and 0xD800 <= _hex(text[backslash + 2 : backslash + 6]) <= 0xDBFF:
        width = 12  # a surrogate pair decodes to one character
    return width


def _hex(digits: str) -> int:
    try:
        return int(digits, 16)
    except ValueError:
        return 0


def offsets_function(offsets: Sequence[int]) -> Callable[[int], int]:
    """A decoded-offset → file-offset function that never fails on an out-of-range offset."""

    def lookup(offset: int) -> int:
        if not offsets:
            return 0
        return offsets[min(max(offset, 0), len(offsets) - 1)]

    return lookup
