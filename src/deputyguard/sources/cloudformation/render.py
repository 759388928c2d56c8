"""The text of new values in a template: YAML (block or flow) and JSON, in the file's layout.

New values are written the way a person would: the deploying account as `!Ref AWS::AccountId`
(or `${AWS::AccountId}` in a `!Sub`), a value an intrinsic of the same policy already yields as
that intrinsic, nested mappings with the file's own indentation, strings quoted only when YAML
would read them as something else.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from deputyguard.sources.cloudformation.nodes import MAP, SEQ, Node, Text
from deputyguard.sources.cloudformation.values import intrinsic
from deputyguard.sources.iac import SYMBOLIC_OWNER, RewriteError, has_unknown

__all__ = [
    "Copy",
    "Layout",
    "Tag",
    "Writer",
    "canon",
    "column_of",
    "dash_of",
    "is_block",
    "is_inline",
    "yaml_key",
    "yaml_string",
]


def canon(value: Any) -> str:
    """A value as comparable text (key order does not matter in policies)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Tag:
    """A short-form intrinsic to write (`!Ref AWS::AccountId`)."""

    tag: str
    arg: str


@dataclass(frozen=True, slots=True)
class Copy:
    """An existing node of the template, copied as written (an intrinsic that yields the value)."""

    node: Node


@dataclass(frozen=True, slots=True)
class Layout:
    """How the file indents, so new lines look like the ones around them."""

    step: int = 2  # YAML: how much deeper a nested mapping is indented
    seq: int = 2  # YAML: where a list's dashes sit relative to its key
    unit: int = 2  # JSON: indentation unit
    colon: str = ": "  # JSON: between a key and its value

    @staticmethod
    def detect(root: Node, syntax: str) -> Layout:
        src = root.src
        if syntax == "json":
            unit = 2
            for line in src.text.splitlines()[1:]:
                stripped = line.lstrip(" ")
                if stripped and len(stripped) != len(line):
                    unit = len(line) - len(stripped)
                    break
            colon = ": "
            if root.members:
                first = root.members[0]
                colon = src.text[first.key_end : first.value.start] or ": "
            return Layout(unit=unit, colon=colon)
        steps: Counter[int] = Counter()
        seqs: Counter[int] = Counter()
        for node in root.walk():
            if node.kind != MAP or node.flow:
                continue
            for member in node.members:
                value = member.value
                key_col = column_of(src, member.key_start)
                if value.kind == MAP and not value.flow and value.members and value.tag is None:
                    steps[column_of(src, value.members[0].key_start) - key_col] += 1
                elif value.kind == SEQ and not value.flow and value.items and value.tag is None:
                    dash = dash_of(src, value.items[0])
                    if dash is not None:
                        seqs[column_of(src, dash) - key_col] += 1
        step = next((s for s, _ in steps.most_common() if s > 0), 2)
        seq = next((s for s, _ in seqs.most_common() if s >= 0), step)
        return Layout(step=step, seq=seq)


def column_of(src: Text, offset: int) -> int:
    """0-based column of an offset (YAML indentation is counted from 0)."""
    return offset - src.line_start(offset)


def dash_of(src: Text, item: Node) -> int | None:
    """Offset of the `-` that introduces a block list item."""
    i = item.start - 1
    while i >= 0 and src.text[i] in " \t":
        i -= 1
    return i if i >= 0 and src.text[i] == "-" else None


def is_inline(src: Text, offset: int) -> bool:
    """Whether something (such as `- `) precedes `offset` on its line."""
    return bool(src.text[src.line_start(offset) : offset].strip())


_PLAIN: Final = re.compile(r"[A-Za-z0-9_/.$][A-Za-z0-9_/.:*$@+=()<>!' -]*")
_NOT_PLAIN: Final = re.compile(
    r"(?i)[-+]?[0-9_.:]+(e[-+]?[0-9]+)?|[-+]?\.?(inf|nan)|y|n|yes|no|on|off|true|false|null|~"
    r"|0x[0-9a-f_]+|0o[0-7_]+|0b[01_]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*"
)
"""Plain scalars YAML would read as a number, boolean, null or date: they must be quoted."""


_NOT_YAML_PRINTABLE: Final = re.compile(
    # YAML's printable set, less the line breaks JSON does not escape (NEL, LS, PS) and BOM
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def double_quoted(value: str) -> str:
    """A YAML double-quoted string (JSON's escapes, plus those YAML needs beyond JSON's)."""
    text = json.dumps(value, ensure_ascii=False)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def yaml_string(value: str, style: str | None = None) -> str:
    """A string as YAML that reads back as the same string: plain when safe, else quoted (in
    `style` when the value it replaces was quoted)."""
    if style == '"':
        return double_quoted(value)
    one_line = "\n" not in value and value.isprintable()
    if style == "'" and one_line:
        return "'" + value.replace("'", "''") + "'"
    plain = (
        _PLAIN.fullmatch(value)
        and not _NOT_PLAIN.fullmatch(value)
        and ": " not in value
        and " #" not in value
        and not value.endswith((":", " "))
    )
    if plain:
        return value
    if one_line:
        return "'" + value.replace("'", "''") + "'"
    return double_quoted(value)


def yaml_key(key: str) -> str:
    """A mapping key (`Null` must be quoted: plain it would be the null key)."""
    return yaml_string(key)


class Writer:
    """Renders new values for one file (and one policy: `reuse` holds its intrinsics)."""

    def __init__(
        self,
        src: Text,
        syntax: str,
        layout: Layout,
        owner: str,
        resource: str,
        *,
        literal_only: bool = False,
    ) -> None:
        self.src = src
        self.syntax = syntax
        self.layout = layout
        self.owner = owner
        self.resource = resource
        self.literal_only = literal_only
        self.reuse: dict[str, Node] = {}

    def prepare(self, value: Any) -> Any:
        """A new value as it should be written: the owner as AWS::AccountId, a value an
        intrinsic of the policy already yields as that intrinsic (a generated bucket name cannot
        be written literally), other strings with the owner as `!Sub`."""
        if not self.literal_only and self.owner and value == self.owner:
            return Tag("!Ref", "AWS::AccountId")  # even if a parameter defaults to it
        reused = self.reuse.get(canon(value))
        if reused is not None:
            return Copy(reused)
        if isinstance(value, str):
            if has_unknown(value):
                raise RewriteError(
                    f"{self.resource}: the fix needs a value only known at deployment"
                )
            if self.literal_only:
                if self.owner == SYMBOLIC_OWNER and self.owner in value:
                    raise RewriteError(
                        f"{self.resource}: the policy is a JSON string, where the account "
                        "id must be written literally; give --account"
                    )
                return value
            if self.owner and self.owner in value:
                return Tag("!Sub", self.sub_text(value))
            return value
        if isinstance(value, dict):
            return {key: self.prepare(member) for key, member in value.items()}
        if isinstance(value, list):
            return [self.prepare(item) for item in value]
        return value

    def sub_text(self, value: str) -> str:
        """Literal text for a `!Sub` template: `${` escaped, the owner as ${AWS::AccountId}."""
        escaped = value.replace("${", "${!")
        return escaped.replace(self.owner, "${AWS::AccountId}") if self.owner else escaped

    def scalar_text(self, value: Any, style: str | None = None, indent: int = 0) -> str:
        if isinstance(value, Tag):
            if self.syntax == "json":
                name = "Ref" if value.tag == "!Ref" else "Fn::" + value.tag[1:]
                return json.dumps({name: value.arg}, ensure_ascii=False)
            return f"{value.tag} {yaml_string(value.arg)}"
        if isinstance(value, Copy):
            return self._copy_text(value.node, indent)
        if isinstance(value, str):
            if self.syntax == "json":
                return json.dumps(value, ensure_ascii=False)
            return yaml_string(value, style if style in ("'", '"') else None)
        return json.dumps(value, ensure_ascii=False)

    def _copy_text(self, node: Node, indent: int) -> str:
        """An existing node's text, its continuation lines moved to the new indentation."""
        text = self.src.text[node.start : node.end]
        lines = text.split("\n")
        delta = indent - self.src.indent_of(node.start)
        return "\n".join([lines[0], *(_shift(line, delta) for line in lines[1:])])

    def flow_text(self, value: Any, indent: int, style: str | None = None) -> str:
        if isinstance(value, dict):
            inner = ", ".join(
                f"{yaml_key(k)}: {self.flow_text(v, indent)}" for k, v in value.items()
            )
            return "{" + inner + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow_text(v, indent) for v in value) + "]"
        return self.scalar_text(value, style, indent)

    def block_member(self, key: str, value: Any, indent: int) -> list[str]:
        pad = " " * indent
        name = yaml_key(key)
        if isinstance(value, dict) and value:
            return [f"{pad}{name}:", *self.block_map(value, indent + self.layout.step)]
        if isinstance(value, list) and value:
            return [f"{pad}{name}:", *self.block_seq(value, indent + self.layout.seq)]
        if isinstance(value, Copy) and _block_node(value.node):
            return [f"{pad}{name}:", *self._block_copy(value.node, indent + self.layout.step)]
        return [f"{pad}{name}: {self.flow_text(value, indent)}"]

    def block_map(self, value: dict[str, Any], indent: int) -> list[str]:
        lines: list[str] = []
        for key, member in value.items():
            lines.extend(self.block_member(key, member, indent))
        return lines

    def block_seq(self, value: list[Any], indent: int) -> list[str]:
        lines: list[str] = []
        for item in value:
            lines.extend(self.block_item(item, indent))
        return lines

    def block_item(self, value: Any, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(value, dict) and value:
            lines = self.block_map(value, indent + 2)
            lines[0] = pad + "- " + lines[0][indent + 2 :]
            return lines
        if isinstance(value, Copy) and _block_node(value.node):
            lines = self._block_copy(value.node, indent + 2)
            lines[0] = pad + "- " + lines[0][indent + 2 :]
            return lines
        return [f"{pad}- {self.flow_text(value, indent)}"]

    def _block_copy(self, node: Node, indent: int) -> list[str]:
        text = self.src.text[node.start : node.end]
        delta = indent - column_of(self.src, node.start)
        lines = text.split("\n")
        return [" " * indent + lines[0], *(_shift(line, delta) for line in lines[1:])]

    def json_text(self, value: Any, indent: int | None) -> str:
        """JSON for a new value; `indent` is the current line's indentation (None: one line)."""
        if isinstance(value, (Tag, Copy)) or not isinstance(value, (dict, list)):
            return self.scalar_text(value, None, indent or 0)
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        if indent is None:
            if isinstance(value, dict):
                inner = ", ".join(
                    json.dumps(k, ensure_ascii=False) + ": " + self.json_text(v, None)
                    for k, v in value.items()
                )
                return "{" + inner + "}"
            return "[" + ", ".join(self.json_text(v, None) for v in value) + "]"
        pad = " " * (indent + self.layout.unit)
        if isinstance(value, dict):
            parts = [
                pad
                + json.dumps(k, ensure_ascii=False)
                + self.layout.colon
                + self.json_text(v, indent + self.layout.unit)
                for k, v in value.items()
            ]
            return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"
        items = [pad + self.json_text(v, indent + self.layout.unit) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _shift(line: str, delta: int) -> str:
    if delta >= 0:
        return " " * delta + line if line else line
    strip = min(-delta, len(line) - len(line.lstrip(" ")))
    return line[strip:]


def is_block(value: Any) -> bool:
    if isinstance(value, (dict, list)):
        return bool(value)
    return isinstance(value, Copy) and _block_node(value.node)


def _block_node(node: Node) -> bool:
    """A node that can only be written on lines of its own (a block mapping or list)."""
    return (
        node.kind in (MAP, SEQ)
        and not node.flow
        and node.tag is None
        and intrinsic(node) is not None
    )
