"""Linear-time `*`/`?` glob matching for Action, Resource, StringLike and ArnLike components.

Policies are untrusted input, so no regular expression is ever built from a pattern and nothing
backtracks. `*` matches any run of characters (including none), `?` exactly one character, and the
match is anchored at both ends (spec §2.5; S1, S30). There is no escape syntax (S8): `${*}` style
literals are resolved by the variable layer before a pattern reaches this module.

Algorithm: split the pattern on `*`. The first segment must match at the start of the text, the
last at the end, and each middle segment at its leftmost occurrence after the previous one. Because
`?` has a fixed width, leftmost placement never loses a match, so no backtracking is needed.
Segments without `?` are found with `str.find`; segments with `?` use an anchored scan over their
longest literal run and fall back to a bit-parallel (shift-and) scan if that becomes expensive,
which bounds the work per text character by the segment length in machine words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Glob", "compile_glob", "glob_match", "has_wildcard", "text_matcher"]

# Work budget per window character before an anchored `?` search switches to shift-and.
_ANCHOR_BUDGET_FACTOR = 8
_ANCHOR_BUDGET_MIN = 256


def _fold(text: str) -> str:
    """Lower-case one character at a time, so `?` still matches exactly one character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # Rare: a character whose lower-case form is longer (e.g. U+0130); keep it unchanged.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass(frozen=True, slots=True)
class _Segment:
    """A `*`-free piece of a pattern; `chunks` are its literal runs with their offsets."""

    text: str
    has_q: bool
    chunks: tuple[tuple[int, str], ...]
    anchor_offset: int
    anchor: str

    @staticmethod
    def build(text: str) -> _Segment:
        chunks: list[tuple[int, str]] = []
        start = 0
        for piece in text.split("?"):
            if piece:
                chunks.append((start, piece))
            start += len(piece) + 1
        anchor_offset, anchor = max(chunks, key=lambda c: len(c[1]), default=(0, ""))
        return _Segment(text, "?" in text, tuple(chunks), anchor_offset, anchor)

    def at(self, text: str, pos: int) -> bool:
        """True if the segment matches `text` starting at `pos` (caller checks the length)."""
        if not self.has_q:
            return text.startswith(self.text, pos)
        return all(text.startswith(chunk, pos + off) for off, chunk in self.chunks)

    def find(self, text: str, start: int, end: int) -> int:
        """Leftmost position p in [start, end - len] where the segment matches, else -1."""
        size = len(self.text)
        last = end - size
        if last < start:
            return -1
        if not self.has_q:
            return text.find(self.text, start, end)
        if not self.anchor:  # only `?`: any position with enough room matches
            return start
        budget = max(_ANCHOR_BUDGET_MIN, _ANCHOR_BUDGET_FACTOR * (end - start))
        work = 0
        off = self.anchor_offset
        search = start + off
        while True:
            hit = text.find(self.anchor, search, last + off + len(self.anchor))
            if hit < 0:
                return -1
            pos = hit - off
            if self.at(text, pos):
                return pos
            work += len(self.chunks)
            if work > budget:
                return self._shift_and(text, pos + 1, end)
            search = hit + 1

    def _shift_and(self, text: str, start: int, end: int) -> int:
        """Bit-parallel leftmost search; linear in the window for a fixed segment."""
        size = len(self.text)
        masks: dict[str, int] = {}
        wild = 0
        for i, ch in enumerate(self.text):
            if ch == "?":
                wild |= 1 << i
            else:
                masks[ch] = masks.get(ch, 0) | (1 << i)
        final = 1 << (size - 1)
        state = 0
        for i in range(start, end):
            state = ((state << 1) | 1) & (masks.get(text[i], 0) | wild)
            if state & final:
                return i - size + 1
        return -1


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled pattern; build it with `compile_glob` so compilation is cached."""

    pattern: str
    ignore_case: bool = False
    _segments: tuple[_Segment, ...] = field(init=False, repr=False, compare=False)
    _min_len: int = field(init=False, repr=False, compare=False)
    _plain: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        source = _fold(self.pattern) if self.ignore_case else self.pattern
        segments = tuple(_Segment.build(s) for s in source.split("*"))
        object.__setattr__(self, "_segments", segments)
        object.__setattr__(self, "_min_len", sum(len(s.text) for s in segments))
        object.__setattr__(self, "_plain", not has_wildcard(source))

    def matches(self, text: str) -> bool:
        """Anchored match of the whole `text` against the pattern."""
        if self.ignore_case:
            text = _fold(text)
        segments = self._segments
        if self._plain:
            return text == segments[0].text
        n = len(text)
        if n < self._min_len:
            return False
        first = segments[0]
        if len(segments) == 1:  # no `*`: fixed length, `?` only
            return n == len(first.text) and first.at(text, 0)
        last = segments[-1]
        if not first.at(text, 0):
            return False
        tail = n - len(last.text)
        if not last.at(text, tail):
            return False
        pos = len(first.text)
        for seg in segments[1:-1]:
            if not seg.text:
                continue  # `**`
            hit = seg.find(text, pos, tail)
            if hit < 0:
                return False
            pos = hit + len(seg.text)
        return True


@lru_cache(maxsize=65536)
def compile_glob(pattern: str, *, ignore_case: bool = False) -> Glob:
    """Compile (and cache) a pattern; policies repeat the same patterns across many requests."""
    return Glob(pattern, ignore_case)


def glob_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Anchored `*`/`?` match of `text` against `pattern`."""
    return compile_glob(pattern, ignore_case=ignore_case).matches(text)


def has_wildcard(text: str) -> bool:
    """True if `text` contains a glob metacharacter (`*` or `?`)."""
    return "*" in text or "?" in text


def _always(_text: str) -> bool:
    return True


@lru_cache(maxsize=65536)
def text_matcher(pattern: str) -> Callable[[str], bool]:
    """The cheapest case-sensitive test for `pattern`: `*` accepts everything, a pattern without
    wildcards is a string comparison, anything else a compiled `Glob`. Hot paths (Action and
    Resource matching) call the returned function directly."""
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        return pattern.__eq__
    return compile_glob(pattern).matches
