"""The text edits that turn one policy of a template into its fix.

A `Patcher` walks the policy's document and its fix together and, where they differ, splices the
original text: a value replaced, a mapping member or list item inserted, removed or renamed, the
literal parts of an `Fn::Sub` edited, a policy written as a JSON string patched inside the
string. Untouched text stays byte for byte; `rewrite` decides what may change and checks the
result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from deputyguard.sources.cloudformation import Found
from deputyguard.sources.cloudformation.nodes import MAP, SCALAR, SEQ, Member, Node, Text, load_json
from deputyguard.sources.cloudformation.render import (
    Layout,
    Writer,
    canon,
    column_of,
    dash_of,
    is_block,
    is_inline,
    yaml_key,
)
from deputyguard.sources.cloudformation.values import COMPUTED, LITERAL, SYNTHETIC, Loc
from deputyguard.sources.iac import RewriteError, has_unknown

__all__ = ["Edit", "Patcher", "apply_edits", "identical", "parents_of"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `start:end` of the text with `text`."""

    start: int
    end: int
    text: str


def apply_edits(text: str, edits: Sequence[Edit], shown: str) -> str:
    """The text with every edit made (overlapping edits raise `RewriteError`)."""
    ordered = sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end))
    out: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise RewriteError(f"{shown}: two fixes change the same part of the template")
        out.append(text[position : edit.start])
        out.append(edit.text)
        position = edit.end
    out.append(text[position:])
    return "".join(out)


def parents_of(root: Node) -> dict[int, tuple[Node, Member | int]]:
    """Each node's container (by `id`), with its member or item index there."""
    parents: dict[int, tuple[Node, Member | int]] = {}
    for node in root.walk():
        for member in node.members:
            parents[id(member.value)] = (node, member)
        for index, item in enumerate(node.items):
            parents[id(item)] = (node, index)
    return parents


def identical(a: Any, b: Any) -> bool:
    """The same value of the same type (a fix need not touch it)."""
    return type(a) is type(b) and canon(a) == canon(b)


class Patcher:
    """Turns one policy's document into its fix with edits of the template text."""

    def __init__(
        self,
        src: Text,
        syntax: str,
        layout: Layout,
        parents: dict[int, tuple[Node, Member | int]],
        owner: str,
        found: Found,
        *,
        literal_only: bool = False,
    ) -> None:
        self.src = src
        self.syntax = syntax
        self.layout = layout
        self.parents = parents
        self.owner = owner
        self.found = found
        self.literal_only = literal_only
        self.w = Writer(src, syntax, layout, owner, found.resource, literal_only=literal_only)
        if not literal_only:
            self._collect(found.document, found.loc)

    def _collect(self, value: Any, loc: Loc | None) -> None:
        """Values produced by intrinsics, so an equal new value can reuse the intrinsic."""
        stack = [(value, loc)]
        while stack:
            val, where = stack.pop()
            if where is None:
                continue
            if where.kind == COMPUTED and where.node is not None and where.node.src is self.src:
                self.w.reuse.setdefault(canon(val), where.node)
                continue
            if isinstance(val, dict) and isinstance(where.children, dict):
                stack.extend((v, where.children.get(k)) for k, v in val.items())
            elif isinstance(val, list) and isinstance(where.children, list):
                stack.extend(zip(val, where.children, strict=False))

    def where(self, loc: Loc) -> str:
        return f"line {loc.at.line}"

    # -- entry ------------------------------------------------------------------------------------

    def run(self, fixed: dict[str, Any]) -> list[Edit]:
        found = self.found
        if found.embedded is not None:
            return self._embedded(fixed)
        return self.patch(found.document, fixed, found.loc)

    # -- recursion over the document --------------------------------------------------------------

    def patch(self, old: Any, new: Any, loc: Loc) -> list[Edit]:
        if identical(old, new):
            return []
        if loc.kind == COMPUTED:
            return self._computed(old, new, loc)
        node = loc.node
        if node is None or node.src is not self.src:
            raise RewriteError(
                f"{self.found.resource}: the value at {self.where(loc)} cannot be edited"
            )
        if loc.kind == SYNTHETIC:
            return self._synthetic(old, new, loc)
        if isinstance(old, dict) and isinstance(new, dict) and node.kind == MAP:
            return self._map(old, new, loc, node)
        if isinstance(old, list) and isinstance(new, list) and node.kind == SEQ:
            return self._seq(old, new, loc, node)
        return [self.replace(node, new)]

    def _synthetic(self, old: Any, new: Any, loc: Loc) -> list[Edit]:
        kids = loc.children
        same_keys = isinstance(old, dict) and isinstance(new, dict) and set(old) == set(new)
        if same_keys and isinstance(kids, dict):
            edits = []
            for key in old:
                child = kids.get(key)
                if child is None:
                    break
                edits.extend(self.patch(old[key], new[key], child))
            else:
                return edits
        if (
            isinstance(old, list)
            and isinstance(new, list)
            and isinstance(kids, list)
            and len(old) == len(new) == len(kids)
        ):
            edits = []
            for a, b, item in zip(old, new, kids, strict=True):
                edits.extend(self.patch(a, b, item))
            return edits
        raise RewriteError(
            f"{self.found.resource}: the policy is built from the resource's properties "
            f"({self.found.resource_type}); this fix changes its shape and must be made by hand"
        )

    def _computed(self, old: Any, new: Any, loc: Loc) -> list[Edit]:
        what = loc.what or "an intrinsic function"
        if has_unknown(old):
            raise RewriteError(
                f"{self.found.resource}: the value written with {what} at {self.where(loc)} is "
                "only known at deployment; the fix cannot be written into it"
            )
        if loc.sub is not None and isinstance(old, str) and isinstance(new, str):
            return self._sub(old, new, loc)
        if loc.exact and loc.node is not None and loc.node.src is self.src:
            return [self.replace(loc.node, new)]
        raise RewriteError(
            f"{self.found.resource}: the value written with {what} at {self.where(loc)} depends "
            f"on parameters or names chosen at deployment; change it by hand to "
            f"{json.dumps(new)}"
        )

    def _sub(self, old: str, new: str, loc: Loc) -> list[Edit]:
        """Edit the literal parts of an `Fn::Sub` template string; its `${...}` stay."""
        assert loc.sub is not None and loc.node is not None
        template = loc.sub.template
        source = loc.sub.source
        text: str = template.value
        pieces: list[tuple[int, int, str]] = []
        matcher = SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            inserted = self.w.sub_text(new[j1:j2])
            if i1 < i2:
                span = source[i1:i2]
                if min(span) < 0 or span != list(range(span[0], span[0] + len(span))):
                    raise RewriteError(
                        f"{self.found.resource}: the fix changes a ${{...}} of the {loc.what} at "
                        f"{self.where(loc)}; change it by hand to {json.dumps(new)}"
                    )
                pieces.append((span[0], span[-1] + 1, inserted))
            elif i1 > 0 and source[i1 - 1] >= 0:
                pieces.append((source[i1 - 1] + 1, source[i1 - 1] + 1, inserted))
            elif i1 < len(source) and source[i1] >= 0:
                pieces.append((source[i1], source[i1], inserted))
            elif not source:
                pieces.append((0, 0, inserted))
            else:
                raise RewriteError(
                    f"{self.found.resource}: the fix adds text between two ${{...}} of the "
                    f"{loc.what} at {self.where(loc)}; change it by hand to {json.dumps(new)}"
                )
        out = []
        position = 0
        for start, end, piece in sorted(pieces):
            out.append(text[position:start])
            out.append(piece)
            position = end
        out.append(text[position:])
        rendered = self.w.scalar_text("".join(out), template.style)
        node = loc.node
        if template.start == node.start and node.tag is not None:
            return [Edit(node.start, node.end, f"{node.tag} {rendered}")]
        return [Edit(template.start, template.end, rendered)]

    # -- mappings ---------------------------------------------------------------------------------

    def _map(self, old: dict[str, Any], new: dict[str, Any], loc: Loc, node: Node) -> list[Edit]:
        kids = loc.children if isinstance(loc.children, dict) else {}
        changed: dict[int, list[Edit]] = {}
        for key in old:
            if key in new and not identical(old[key], new[key]):
                member = node.member(key)
                child = kids.get(key)
                if member is None or child is None:
                    raise RewriteError(f"{self.found.resource}: '{key}' cannot be edited")
                changed[id(member.value)] = self.patch(old[key], new[key], child)
        if set(old) == set(new):
            return [edit for edits in changed.values() for edit in edits]
        present = {m.key for m in node.members}
        for key in new:
            if key not in old and key in present:
                raise RewriteError(
                    f"{self.found.resource}: '{key}' is removed by a condition (AWS::NoValue) at "
                    f"line {self.src.position(node.start).line}; add it by hand"
                )
        if not new or not node.members:
            return [self.replace(node, new)]
        renamed = self._renames(old, new, kids, node, changed)
        deleted = {key for key in old if key not in new and key not in renamed}
        kept = {key: key for key in old if key in new} | {v: k for k, v in renamed.items()}
        if not deleted and len(kept) == len(new):
            return [edit for edits in changed.values() for edit in edits]
        inserts: dict[int, list[tuple[str, Any]]] = {}
        order = list(new)
        for position, key in enumerate(order):
            if key in kept:
                continue
            anchor = -1
            for previous in reversed(order[:position]):
                if previous in kept:
                    member = node.member(kept[previous])
                    anchor = node.members.index(member) if member is not None else -1
                    break
            inserts.setdefault(anchor, []).append((key, new[key]))
        return [self.rebuild_map(node, deleted, changed, inserts)]

    def _renames(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        kids: dict[str, Loc],
        node: Node,
        changed: dict[int, list[Edit]],
    ) -> dict[str, str]:
        """Keys the fix renamed (an operator made strict: StringEqualsIfExists → StringEquals):
        the key is edited where it stands, so the member keeps its comments and its value's
        intrinsics. A removed and an added key pair up when their values are equal, or in order
        when the old value can be patched into the new one."""
        gone = [key for key in old if key not in new]
        came = [key for key in new if key not in old]
        pairs: dict[str, str] = {}
        for key in gone:
            match = next(
                (k for k in came if k not in pairs.values() and identical(old[key], new[k])), None
            )
            if match is not None:
                pairs[key] = match
        for key, target in zip(
            [k for k in gone if k not in pairs],
            [k for k in came if k not in pairs.values()],
            strict=False,
        ):
            pairs[key] = target
        renamed: dict[str, str] = {}
        for key, target in pairs.items():
            member = node.member(key)
            child = kids.get(key)
            if member is None or child is None:
                continue
            try:
                edits = self.patch(old[key], new[target], child)
            except RewriteError:
                continue  # written anew instead
            text = (
                json.dumps(target, ensure_ascii=False)
                if self.syntax == "json"
                else yaml_key(target)
            )
            changed[id(member.value)] = [Edit(member.key_start, member.key_end, text), *edits]
            renamed[key] = target
        return renamed

    def rebuild_map(
        self,
        node: Node,
        deleted: set[str],
        changed: dict[int, list[Edit]],
        inserts: dict[int, list[tuple[str, Any]]],
    ) -> Edit:
        """The mapping without `deleted` keys, with `changed` members edited and `inserts` (new
        members after the member of that index; -1: first) added."""
        entries: list[tuple[int | None, Any]] = []
        entries.extend((None, item) for item in inserts.get(-1, []))
        for index, member in enumerate(node.members):
            if member.key not in deleted:
                entries.append((index, member))
            entries.extend((None, item) for item in inserts.get(index, []))
        chunks = [self._member_chunk(node, m) for m in node.members]
        return self._rebuild(node, chunks, entries, changed)

    def _member_chunk(self, node: Node, member: Member) -> tuple[int, int]:
        if node.flow:
            return member.key_start, member.value.end
        start = member.key_start
        if not is_inline(self.src, start):
            start = self.src.line_start(start)
        return start, self.src.line_end(member.value.end)

    # -- lists ------------------------------------------------------------------------------------

    def _seq(self, old: list[Any], new: list[Any], loc: Loc, node: Node) -> list[Edit]:
        kids = loc.children if isinstance(loc.children, list) else []
        raw = loc.raw_index or list(range(len(old)))
        if not new or not node.items:
            return [self.replace(node, new)]
        matcher = SequenceMatcher(
            None, [canon(v) for v in old], [canon(v) for v in new], autojunk=False
        )
        changed: dict[int, list[Edit]] = {}
        deleted: set[int] = set()
        inserts: dict[int, list[Any]] = {}
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(paired):
                item = node.items[raw[i1 + k]]
                changed[id(item)] = self.patch(old[i1 + k], new[j1 + k], kids[i1 + k])
            for k in range(i1 + paired, i2):
                deleted.add(raw[k])
            anchor = raw[i1 + paired - 1] if i1 + paired > 0 else -1
            if i1 + paired == 0 and i1 > 0:
                anchor = raw[i1 - 1]
            for k in range(j1 + paired, j2):
                inserts.setdefault(anchor, []).append(new[k])
        if not deleted and not inserts:
            return [edit for edits in changed.values() for edit in edits]
        entries: list[tuple[int | None, Any]] = []
        entries.extend((None, value) for value in inserts.get(-1, []))
        for index, item in enumerate(node.items):
            if index not in deleted:
                entries.append((index, item))
            entries.extend((None, value) for value in inserts.get(index, []))
        chunks = [self._item_chunk(node, item) for item in node.items]
        return [self._rebuild(node, chunks, entries, changed)]

    def _item_chunk(self, node: Node, item: Node) -> tuple[int, int]:
        if node.flow:
            return item.start, item.end
        dash = dash_of(self.src, item)
        if dash is None:
            raise RewriteError(
                f"{self.found.resource}: unexpected list layout at line "
                f"{self.src.position(item.start).line}"
            )
        start = dash if is_inline(self.src, dash) else self.src.line_start(dash)
        return start, self.src.line_end(item.end)

    # -- rebuilding a container from kept chunks and new entries ---------------------------------

    def _rebuild(
        self,
        node: Node,
        chunks: list[tuple[int, int]],
        entries: list[tuple[int | None, Any]],
        changed: dict[int, list[Edit]],
    ) -> Edit:
        text = self.src.text
        region = (chunks[0][0], chunks[-1][1])
        if not entries:
            return self.replace(node, {} if node.kind == MAP else [])
        block = not node.flow
        multiline = "\n" in text[node.start : node.end]
        if block:
            default = ""  # comment lines between members belong to the member below them
        elif len(chunks) > 1:
            default = text[chunks[0][1] : chunks[1][0]]
        elif multiline:
            default = ",\n" + " " * self.src.indent_of(chunks[0][0])
        else:
            default = ", "
        indent = self._entry_indent(node, chunks[0][0])
        first_inline = block and is_inline(self.src, chunks[0][0])
        pieces: list[str] = []
        for position, (index, entry) in enumerate(entries):
            if index is not None:
                start, end = chunks[index]
                item = entry
                owned = item.value if isinstance(item, Member) else item
                body = apply_edits(
                    text[start:end],
                    [
                        Edit(e.start - start, e.end - start, e.text)
                        for e in changed.get(id(owned), [])
                    ],
                    self.found.resource,
                )
                if block and is_inline(self.src, start):
                    body = " " * column_of(self.src, start) + body
                separator = text[chunks[index - 1][1] : start] if index > 0 else default
            else:
                body = self._new_entry(node, entry, indent, multiline)
                separator = default
            if block and not body.endswith("\n"):
                body += "\n"
            if position == 0:
                separator = ""
                if first_inline:
                    body = body.lstrip(" ")
            pieces.append(separator + body)
        out = "".join(pieces)
        if block and not text[region[0] : region[1]].endswith("\n"):
            out = out[:-1] if out.endswith("\n") else out
        return Edit(region[0], region[1], out)

    def _entry_indent(self, node: Node, first: int) -> int:
        if node.flow:
            return self.src.indent_of(first)
        if node.kind == MAP:
            return column_of(self.src, node.members[0].key_start)
        dash = dash_of(self.src, node.items[0])
        return column_of(self.src, dash) if dash is not None else 0

    def _new_entry(self, node: Node, entry: Any, indent: int, multiline: bool) -> str:
        if node.kind == MAP:
            key, value = entry
            prepared = self.w.prepare(value)
            if self.syntax == "json":
                return (
                    json.dumps(key, ensure_ascii=False)
                    + self.layout.colon
                    + self.w.json_text(prepared, indent if multiline else None)
                )
            if node.flow:
                return f"{yaml_key(key)}: {self.w.flow_text(prepared, indent)}"
            return "\n".join(self.w.block_member(key, prepared, indent)) + "\n"
        prepared = self.w.prepare(entry)
        if self.syntax == "json":
            return self.w.json_text(prepared, indent if multiline else None)
        if node.flow:
            return self.w.flow_text(prepared, indent)
        return "\n".join(self.w.block_item(prepared, indent)) + "\n"

    # -- replacing one value ----------------------------------------------------------------------

    def replace(self, node: Node, new: Any) -> Edit:
        prepared = self.w.prepare(new)
        if self.syntax == "json":
            return Edit(
                node.start, node.end, self.w.json_text(prepared, self.src.indent_of(node.start))
            )
        parent = self.parents.get(id(node))
        style = node.style if node.kind == SCALAR and node.tag is None else None
        if parent is not None and not parent[0].flow and not node.flow and is_block(prepared):
            where = parent[1]
            if isinstance(where, Member):
                column = column_of(self.src, where.key_start)
                colon = self.src.text.index(":", where.key_end) + 1
                if isinstance(prepared, dict):
                    lines = self.w.block_map(prepared, column + self.layout.step)
                else:
                    lines = self.w.block_seq(prepared, column + self.layout.seq)
                return Edit(colon, node.end, "\n" + "\n".join(lines))
            dash = dash_of(self.src, node)
            column = column_of(self.src, dash) if dash is not None else 0
            lines = self.w.block_item(prepared, column)
            lines[0] = lines[0].lstrip(" ")[2:]
            return Edit(node.start, node.end, "\n".join(lines))
        indent = self.src.indent_of(node.start)
        return Edit(node.start, node.end, self.w.flow_text(prepared, indent, style))

    # -- policies written as JSON strings ---------------------------------------------------------

    def _embedded(self, fixed: dict[str, Any]) -> list[Edit]:
        embedded = self.found.embedded
        assert embedded is not None
        string = embedded.string
        scalar = string.node
        if string.kind != LITERAL or scalar is None or scalar.src is not self.src:
            what = string.what or "an intrinsic function"
            raise RewriteError(
                f"{self.found.resource}: the policy is a JSON string built with {what} at "
                f"{self.where(string)}; edit it by hand (--format json prints the fix)"
            )
        inner_src = embedded.root.src
        inner_layout = Layout.detect(load_json(embedded.text).root, "json")
        inner = Patcher(
            inner_src,
            "json",
            inner_layout,
            parents_of(embedded.root),
            self.owner,
            self.found,
            literal_only=True,
        )
        edits = inner.patch(self.found.document, fixed, self.found.loc)
        spliced = self._splice(edits, string.chars() if string.chars else None, scalar)
        if spliced is not None:
            return spliced
        text = apply_edits(embedded.text, edits, self.found.resource)
        return [Edit(scalar.start, scalar.end, self._encode(text, scalar))]

    def _splice(
        self, edits: list[Edit], offsets: list[int] | None, scalar: Node
    ) -> list[Edit] | None:
        """The string's edits made in the file itself, escaped for the scalar's style, so the
        rest of the string keeps its lines and folding; None when that is not possible."""
        if offsets is None:
            return None
        style = scalar.style
        multiline = any("\n" in e.text for e in edits)
        if self.syntax == "json" or style == '"':

            def encode(text: str) -> str:
                return json.dumps(text, ensure_ascii=False)[1:-1]
        elif style == "|":
            pad = "\n" + " " * column_of(self.src, offsets[0])

            def encode(text: str) -> str:
                return text.replace("\n", pad)
        elif style in ("'", ">") and not multiline:

            def encode(text: str) -> str:
                return text.replace("'", "''") if style == "'" else text
        else:
            return None
        last = len(offsets) - 1
        return [
            Edit(offsets[min(e.start, last)], offsets[min(e.end, last)], encode(e.text))
            for e in edits
        ]

    def _encode(self, value: str, scalar: Node) -> str:
        """A string in the scalar's own style (a literal block stays a literal block)."""
        if self.syntax == "json":
            return json.dumps(value, ensure_ascii=False)
        style = scalar.style
        if style in ("|", ">"):
            text = self.src.text
            header_end = text.find("\n", scalar.start, scalar.end)
            header = text[scalar.start : header_end] if header_end >= 0 else "|"
            if style == ">":
                header = "|" + header.lstrip(">")
            content = text[header_end + 1 : scalar.end] if header_end >= 0 else ""
            first = next((line for line in content.split("\n") if line.strip()), "")
            pad = " " * (len(first) - len(first.lstrip(" ")))
            lines = value[:-1].split("\n") if value.endswith("\n") else value.split("\n")
            return header + "\n" + "\n".join(pad + line if line else "" for line in lines)
        if style == '"' or "\n" in value:
            return json.dumps(value, ensure_ascii=False)
        return "'" + value.replace("'", "''") + "'"
