"""Strict JSON parser for untrusted policy documents that remembers where every value came from.

``json.loads`` loses source positions, silently drops duplicate keys (which legacy IAM merges)
and recurses once per nesting level, so a hostile policy can crash it with RecursionError.
This parser is iterative, depth-bounded, linear-time and strict RFC 8259, so findings can
point at a line and column and bad input always ends in a ``JsonSyntaxError``.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeAlias, cast

__all__ = [
    "DuplicateKey",
    "JsonDocument",
    "JsonSyntaxError",
    "Position",
    "parse_json",
    "pointer_join",
]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a value starts, so findings can point users at the exact spot in their file."""

    line: int  # 1-based
    column: int  # 1-based, counted in characters (code points), a tab counts as one

    def __reduce__(self) -> tuple[Any, ...]:
        """Positions travel between processes (files read in parallel); the mypyc-compiled
        class cannot be rebuilt by the default protocol of a frozen dataclass."""
        return (Position, (self.line, self.column))


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A repeated object key: json.loads keeps the last one but legacy IAM merges some of them."""

    pointer: str  # JSON pointer of the object holding the duplicate
    key: str
    first: Position  # key of the first occurrence
    again: Position  # key of this repetition


@dataclass(frozen=True, slots=True)
class JsonDocument:
    """A parsed document plus everything needed to explain findings against its source text.

    ``positions`` and ``all_values`` describe the final ``value`` (last duplicate wins), while
    ``duplicates`` lists every repeated key in the source, even inside values that lost.
    """

    value: Any
    positions: Mapping[str, Position]
    duplicates: tuple[DuplicateKey, ...]
    all_values: Mapping[str, tuple[Any, ...]]


class JsonSyntaxError(ValueError):
    """Malformed JSON, with the line and column so the author can find and fix it."""

    message: str
    line: int
    column: int

    def __init__(self, message: str, line: int, column: int) -> None:
        # All three go to args so the exception pickles and compares sensibly.
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


def pointer_join(base: str, token: str | int) -> str:
    """Append one RFC 6901 reference token, escaping ``~`` and ``/`` so keys cannot forge paths."""
    if isinstance(token, int):
        return f"{base}/{token}"
    if "~" in token or "/" in token:
        token = token.replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


# The grammar is fixed, so these are compiled once; nothing is ever built from the input.
# Patterns ending in ``*`` always match, so their ``match`` never returns None.
_AlwaysMatch = Callable[[str, int], re.Match[str]]
_WS: Final = cast(_AlwaysMatch, re.compile(r"[ \t\n\r]*").match)
# A string without escapes or control characters: the common case, taken in one regex call.
_SIMPLE_STRING: Final = re.compile(r'"([^"\\\x00-\x1f]*)"').match
_STRING_CHUNK: Final = cast(_AlwaysMatch, re.compile(r'[^"\\\x00-\x1f]*').match)
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}").match
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").match
_NEWLINE: Final = re.compile(r"\n")
_NUMBER_TAIL: Final = frozenset("0123456789.eE+-")
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
# int() on decimal strings is quadratic; CPython's default guard is 4300 digits but it can be
# switched off process-wide, so enforce it here too.
_MAX_INT_DIGITS: Final = 4300


_INDEX: Final = re.compile(r"0|[1-9][0-9]{0,17}").fullmatch
_BAD_TILDE: Final = re.compile(r"~(?![01])").search

# Positions live in a tree of frames rather than a pointer-keyed dict, so parsing never builds
# pointer strings (O(depth) memory per value on hostile input). A value's start is kept once:
# array elements in an int array, object members as their key's offset (the value's is found by
# rescanning the few characters after the key on lookup). Non-empty containers keep their frame.


class _ArrayFrame:
    """An array being parsed; afterwards the node that locates its elements."""

    __slots__ = ("end", "items", "kids", "offset", "offsets", "pointer")

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.end = -1  # offset after the closing bracket, once parsed
        self.items: list[Any] = []
        self.offsets = array("q")  # where each element starts
        self.kids: dict[int, _Frame] | None = None  # index -> frame of a non-empty container
        self.pointer: str | None = None  # only computed when a duplicate key needs it


class _ObjectFrame:
    """An object being parsed; afterwards the node that locates its members and keys."""

    __slots__ = (
        "end",
        "first_keys",
        "key",
        "key_offsets",
        "kids",
        "members",
        "multi",
        "offset",
        "pointer",
    )

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.end = -1
        self.members: dict[str, Any] = {}
        self.key_offsets: dict[str, int] = {}  # last occurrence, like the value
        self.kids: dict[str, _Frame] | None = None
        self.key = ""  # the member being parsed
        self.pointer: str | None = None
        # Only created once the object has a duplicate key: key -> first key offset / values.
        self.first_keys: dict[str, int] | None = None
        self.multi: dict[str, list[Any]] | None = None


_Frame: TypeAlias = _ArrayFrame | _ObjectFrame


def _unescape(token: str) -> str | None:
    if "~" not in token:
        return token
    if _BAD_TILDE(token) is not None:
        return None
    return token.replace("~1", "/").replace("~0", "~")


def _shadowed(frame: _ObjectFrame, key: str) -> bool:
    """Whether member ``K#key``'s pointer is taken by the key position of member ``K``."""
    return key.endswith("#key") and key[:-4] in frame.key_offsets


class _PositionMap(Mapping[str, Position]):
    """Pointer -> Position, resolved on lookup so bulk parsing never pays for unused positions.

    A pointer ending in ``#key`` means the key of that member; should an object also have a
    member literally named ``K#key`` next to ``K``, the key reading wins.
    """

    __slots__ = ("_len", "_line_starts", "_root", "_start", "_text")

    def __init__(self, text: str, start: int, root: _Frame | int) -> None:
        self._text = text
        self._start = start
        self._root = root
        self._line_starts: list[int] | None = None
        self._len: int | None = None

    def at(self, offset: int) -> Position:
        """Turn a character offset into a line and column."""
        starts = self._line_starts
        if starts is None:
            starts = [self._start]
            starts.extend(m.end() for m in _NEWLINE.finditer(self._text))
            self._line_starts = starts
        line = bisect_right(starts, offset)
        return Position(line, offset - starts[line - 1] + 1)

    def member_offset(self, key_offset: int) -> int:
        """Where a member's value starts, given where its (valid, already parsed) key starts."""
        text = self._text
        m = _SIMPLE_STRING(text, key_offset)
        end = m.end() if m is not None else _scan_string(text, key_offset, self._start)[1]
        return _WS(text, _WS(text, end).end() + 1).end()  # skip ws, ':', ws

    def _child(self, node: _Frame | int, token: str) -> _Frame | int | None:
        if isinstance(node, _ObjectFrame):
            key = _unescape(token)
            if key is None or key not in node.key_offsets:
                return None
            kid = node.kids.get(key) if node.kids else None
            return kid if kid is not None else self.member_offset(node.key_offsets[key])
        if isinstance(node, _ArrayFrame):
            if _INDEX(token) is None or int(token) >= len(node.offsets):
                return None
            index = int(token)
            kid = node.kids.get(index) if node.kids else None
            return kid if kid is not None else node.offsets[index]
        return None  # scalars and empty containers have no children

    def node(self, pointer: str) -> _Frame | int | None:
        """The frame of the value at ``pointer``, its offset if it is a leaf, or None."""
        node: _Frame | int = self._root
        if not pointer:
            return node
        if pointer[0] != "/":
            return None
        for token in pointer[1:].split("/"):
            child = self._child(node, token)
            if child is None:
                return None
            node = child
        return node

    def _offset(self, pointer: str) -> int | None:
        if pointer.endswith("#key"):
            head, slash, token = pointer[:-4].rpartition("/")
            parent = self.node(head) if slash else None
            if isinstance(parent, _ObjectFrame):
                key = _unescape(token)
                if key is not None and key in parent.key_offsets:
                    return parent.key_offsets[key]
        node = self.node(pointer)
        if node is None or isinstance(node, int):
            return node
        return node.offset

    def __getitem__(self, pointer: str) -> Position:
        offset = self._offset(pointer)
        if offset is None:
            raise KeyError(pointer)
        return self.at(offset)

    def __contains__(self, pointer: object) -> bool:
        return isinstance(pointer, str) and self._offset(pointer) is not None

    def __iter__(self) -> Iterator[str]:
        yield ""
        if isinstance(self._root, int):
            return
        stack = [_children("", self._root)]
        while stack:
            for pointer, kid, visible in stack[-1]:
                if visible:
                    yield pointer
                if kid is not None:
                    stack.append(_children(pointer, kid))
                    break
            else:
                stack.pop()

    def __len__(self) -> int:
        if self._len is None:
            count = 1
            todo = [] if isinstance(self._root, int) else [self._root]
            while todo:
                frame = todo.pop()
                if isinstance(frame, _ArrayFrame):
                    count += len(frame.offsets)
                else:
                    count += sum(1 if _shadowed(frame, key) else 2 for key in frame.key_offsets)
                if frame.kids:
                    todo.extend(frame.kids.values())
            self._len = count
        return self._len

    def __repr__(self) -> str:
        return f"<positions of {len(self)} JSON pointers>"


def _children(pointer: str, frame: _Frame) -> Iterator[tuple[str, _Frame | None, bool]]:
    """(pointer, frame of a non-empty container or None, visible) in document order."""
    if isinstance(frame, _ArrayFrame):
        elements = frame.kids or {}
        for index in range(len(frame.offsets)):
            yield f"{pointer}/{index}", elements.get(index), True
        return
    members = frame.kids or {}
    for key in frame.key_offsets:
        member = pointer_join(pointer, key)
        yield member + "#key", None, True
        yield member, members.get(key), not _shadowed(frame, key)


def _error(text: str, offset: int, start: int, message: str) -> JsonSyntaxError:
    line_start = text.rfind("\n", 0, offset) + 1
    if line_start == 0:
        line_start = start  # a BOM does not take up a column
    return JsonSyntaxError(message, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def _unexpected(
    text: str,
    offset: int,
    start: int,
    message: str,
    *,
    want_string: bool = False,
    want_value: bool = False,
) -> JsonSyntaxError:
    """Explain a token we did not expect, naming the usual non-JSON suspects."""
    if offset >= len(text):
        message = f"unexpected end of input; {message}"
    elif text.startswith(("//", "/*"), offset):
        message = "comments are not allowed in JSON"
    elif (want_string or want_value) and text.startswith("'", offset):
        message = "strings must use double quotes"
    elif want_value and text.startswith(("NaN", "Infinity", "-Infinity"), offset):
        message = "NaN and Infinity are not valid JSON"
    return _error(text, offset, start, message)


def _scan_string(text: str, quote: int, start: int) -> tuple[str, int]:
    """Decode a string with escapes; returns the value and the offset after the closing quote."""
    parts: list[str] = []
    i = quote + 1
    while True:
        j = _STRING_CHUNK(text, i).end()  # always matches, possibly empty
        if j > i:
            parts.append(text[i:j])
        c = text[j : j + 1]
        if c == '"':
            return "".join(parts), j + 1
        if c == "\\":
            e = text[j + 1 : j + 2]
            if e == "u":
                code, i = _unicode_escape(text, j, start)
                parts.append(chr(code))
                continue
            plain = _ESCAPES.get(e)
            if plain is None:
                if not e:
                    raise _error(text, quote, start, "unterminated string")
                shown = f"'\\{e}' " if e.isprintable() else ""
                raise _error(text, j, start, f"invalid escape {shown}in string")
            parts.append(plain)
            i = j + 2
        elif not c:
            raise _error(text, quote, start, "unterminated string")
        elif c == "\n" or c == "\r":
            raise _error(text, j, start, "unterminated string (line break before closing quote)")
        else:
            raise _error(text, j, start, f"control character U+{ord(c):04X} must be escaped")


def _unicode_escape(text: str, backslash: int, start: int) -> tuple[int, int]:
    """Decode ``\\uXXXX`` (joining surrogate pairs); returns the code point and next offset."""
    if _HEX4(text, backslash + 2) is None:
        raise _error(text, backslash, start, "invalid \\u escape: expected 4 hex digits")
    code = int(text[backslash + 2 : backslash + 6], 16)
    if 0xD800 <= code <= 0xDBFF:
        low = backslash + 6
        if text.startswith("\\u", low) and _HEX4(text, low + 2) is not None:
            code2 = int(text[low + 2 : low + 6], 16)
            if 0xDC00 <= code2 <= 0xDFFF:
                return 0x10000 + ((code - 0xD800) << 10) + (code2 - 0xDC00), low + 6
        raise _error(text, backslash, start, "unpaired surrogate in \\u escape")
    if 0xDC00 <= code <= 0xDFFF:
        raise _error(text, backslash, start, "unpaired surrogate in \\u escape")
    return code, backslash + 6


def _number(text: str, i: int, start: int) -> tuple[int | float, int]:
    """Read a number strictly: ints stay exact ints, the rest become floats, as in json.loads."""
    m = _NUMBER(text, i)
    if m is None:
        raise _unexpected(text, i, start, "invalid number", want_value=True)
    end = m.end()
    if text[end : end + 1] in _NUMBER_TAIL:  # "" is not in the set
        raise _error(text, i, start, "invalid number")
    literal = m.group()
    if m.lastindex is not None:  # fraction or exponent present
        return float(literal), end
    if len(literal) - literal.startswith("-") > _MAX_INT_DIGITS:
        raise _error(text, i, start, f"integer has more than {_MAX_INT_DIGITS} digits")
    try:
        return int(literal), end
    except ValueError:  # the process lowered sys.set_int_max_str_digits below ours
        raise _error(text, i, start, "integer has too many digits") from None


def parse_json(text: str, *, max_depth: int = 100) -> JsonDocument:
    """Parse one strict JSON document, keeping positions, duplicate keys and their values.

    Values match ``json.loads`` except where its leniency would let odd input through: NaN and
    Infinity, unpaired surrogate escapes (unencodable strings) and integers over 4300 digits are
    rejected. Lines end at ``\n`` (so ``\r\n`` works). Raises ``JsonSyntaxError`` (never
    RecursionError) for any malformed or too deeply nested input.
    """
    start = 1 if text.startswith("\ufeff") else 0
    n = len(text)
    ws = _WS
    simple_string = _SIMPLE_STRING
    dups: list[tuple[str, str, int, int]] = []
    multi_frames: list[_ObjectFrame] = []  # objects with duplicate keys
    replaced: list[tuple[int, int]] = []  # source spans of containers a duplicate replaced
    stack: list[_Frame] = []
    key_frame: _ObjectFrame | None = None  # set when a member key comes next
    value: Any = None
    node: _Frame | None  # the finished value's frame, if it is a non-empty container

    i = ws(text, start).end()
    if i == n:
        raise _error(text, i, start, "empty document")
    while True:
        if key_frame is not None:
            # A member key; whoever set key_frame has checked that it starts with '"'.
            frame = key_frame
            key_frame = None
            m = simple_string(text, i)
            if m is not None:
                key: str = m.group(1)
                j = m.end()
            else:
                key, j = _scan_string(text, i, start)
            if key in frame.members:
                _duplicate(stack, key, i, dups, multi_frames)
            frame.key_offsets[key] = i
            frame.key = key
            c = text[j : j + 1]
            if c <= " ":
                j = ws(text, j).end()
                c = text[j : j + 1]
            if c != ":":
                raise _unexpected(text, j, start, "expected ':' after object key")
            i = j + 1
            c = text[i : i + 1]
            if c <= " ":
                i = ws(text, i).end()

        # One value at i, whitespace already skipped.
        entry = i
        node = None
        c = text[i : i + 1]
        if c == '"':
            m = simple_string(text, i)
            if m is not None:
                value = m.group(1)
                i = m.end()
            else:
                value, i = _scan_string(text, i, start)
        elif c == "{" or c == "[":
            if len(stack) >= max_depth:
                raise _error(text, i, start, f"nesting deeper than {max_depth} levels")
            i += 1
            c2 = text[i : i + 1]
            if c2 <= " ":
                i = ws(text, i).end()
                c2 = text[i : i + 1]
            if c == "{":
                if c2 == "}":
                    value = {}
                    i += 1
                else:
                    if c2 != '"':
                        raise _unexpected(
                            text, i, start, "expected a string key or '}'", want_string=True
                        )
                    key_frame = _ObjectFrame(entry)
                    stack.append(key_frame)
                    continue
            elif c2 == "]":
                value = []
                i += 1
            else:
                stack.append(_ArrayFrame(entry))
                continue
        elif "0" <= c <= "9" or c == "-":
            value, i = _number(text, i, start)
        elif c == "t" and text.startswith("true", i):
            value = True
            i += 4
        elif c == "f" and text.startswith("false", i):
            value = False
            i += 5
        elif c == "n" and text.startswith("null", i):
            value = None
            i += 4
        else:
            raise _unexpected(text, i, start, "expected a JSON value", want_value=True)

        # Store the finished value in its container, closing containers that end here.
        while True:
            c = text[i : i + 1]
            if c <= " ":
                i = ws(text, i).end()
                c = text[i : i + 1]
            if not stack:
                if i != n:
                    raise _unexpected(text, i, start, "extra data after the JSON value")
                root = entry if node is None else node
                return _finish(text, start, value, root, dups, multi_frames, replaced)
            top = stack[-1]
            if isinstance(top, _ArrayFrame):
                items = top.items
                if node is not None:
                    if top.kids is None:
                        top.kids = {}
                    top.kids[len(items)] = node
                items.append(value)
                top.offsets.append(entry)
                if c == ",":
                    i += 1
                    c = text[i : i + 1]
                    if c <= " ":
                        i = ws(text, i).end()
                        c = text[i : i + 1]
                    if c == "]":
                        raise _error(text, i, start, "trailing comma before ']'")
                    break
                if c == "]":
                    i += 1
                    top.end = i
                    stack.pop()
                    value = items
                    entry = top.offset
                    node = top
                    continue
                raise _unexpected(text, i, start, "expected ',' or ']' after array element")
            key = top.key
            top.members[key] = value
            if top.multi is not None and key in top.multi:
                _replace_member(top, key, value, node, replaced)
            elif node is not None:
                if top.kids is None:
                    top.kids = {}
                top.kids[key] = node
            if c == ",":
                i += 1
                c = text[i : i + 1]
                if c <= " ":
                    i = ws(text, i).end()
                    c = text[i : i + 1]
                if c != '"':
                    if c == "}":
                        raise _error(text, i, start, "trailing comma before '}'")
                    raise _unexpected(
                        text, i, start, "expected a string key after ','", want_string=True
                    )
                key_frame = top
                break
            if c == "}":
                i += 1
                top.end = i
                stack.pop()
                value = top.members
                entry = top.offset
                node = top
                continue
            raise _unexpected(text, i, start, "expected ',' or '}' after object member")


def _duplicate(
    stack: list[_Frame],
    key: str,
    again: int,
    dups: list[tuple[str, str, int, int]],
    multi_frames: list[_ObjectFrame],
) -> None:
    """Record a repeated key of the innermost object, keeping the earlier value for all_values."""
    frame = stack[-1]
    assert isinstance(frame, _ObjectFrame)
    first_keys = frame.first_keys
    multi = frame.multi
    if first_keys is None or multi is None:
        first_keys = frame.first_keys = {}
        multi = frame.multi = {}
        multi_frames.append(frame)
    first = first_keys.get(key)
    if first is None:
        first = first_keys[key] = frame.key_offsets[key]
        multi[key] = [frame.members[key]]
    dups.append((_pointer_of(stack), key, first, again))


def _replace_member(
    frame: _ObjectFrame,
    key: str,
    value: Any,
    node: _Frame | None,
    replaced: list[tuple[int, int]],
) -> None:
    """A repeated member finished: remember its value and retire the one it replaces."""
    assert frame.multi is not None
    frame.multi[key].append(value)
    kids = frame.kids
    if kids is None:
        kids = frame.kids = {}
    old = kids.pop(key, None)
    if old is not None:
        replaced.append((old.offset, old.end))
    if node is not None:
        kids[key] = node


def _pointer_of(stack: list[_Frame]) -> str:
    """Pointer of the innermost open container, cached so each frame's is built only once."""
    k = len(stack) - 1
    while k > 0 and stack[k].pointer is None:
        k -= 1
    pointer = stack[k].pointer
    if pointer is None:
        pointer = stack[k].pointer = ""  # the root
    for child in stack[k + 1 :]:
        parent = stack[k]
        # The child is still open, so it is the parent's current element or member.
        token = len(parent.items) if isinstance(parent, _ArrayFrame) else parent.key
        pointer = child.pointer = pointer_join(pointer, token)
        k += 1
    return pointer


def _live(offsets: list[int], replaced: list[tuple[int, int]]) -> list[bool]:
    """For each container start, whether it lies outside every replaced span.

    Spans come from a tree, so they nest or are disjoint; merging them and bisecting keeps this
    O((n + m) log m) without parent links (which would make every parse a reference cycle).
    """
    merged: list[list[int]] = []
    for begin, end in sorted(replaced):
        if merged and begin < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    starts = [span[0] for span in merged]
    live = []
    for offset in offsets:
        k = bisect_right(starts, offset) - 1
        live.append(k < 0 or offset >= merged[k][1])
    return live


def _finish(
    text: str,
    start: int,
    value: Any,
    root: _Frame | int,
    dups: list[tuple[str, str, int, int]],
    multi_frames: list[_ObjectFrame],
    replaced: list[tuple[int, int]],
) -> JsonDocument:
    positions = _PositionMap(text, start, root)
    firsts: dict[int, Position] = {}  # a key repeated many times shares its first Position
    duplicates = tuple(
        DuplicateKey(
            obj,
            key,
            firsts.get(first) or firsts.setdefault(first, positions.at(first)),
            positions.at(again),
        )
        for obj, key, first, again in dups
    )
    all_values: dict[str, tuple[Any, ...]] = {}
    live = _live([frame.offset for frame in multi_frames], replaced)
    for frame, alive in zip(multi_frames, live, strict=True):
        # Objects replaced by a later duplicate (or inside one) are not part of the value.
        if alive and frame.pointer is not None and frame.multi:
            for key, values in frame.multi.items():
                all_values[pointer_join(frame.pointer, key)] = tuple(values)
    return JsonDocument(value, positions, duplicates, MappingProxyType(all_values))
