"""The glob matcher against a reference dynamic-programming matcher, plus pathological patterns."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deputyguard import wildcard
from deputyguard.wildcard import Glob, compile_glob, glob_match, has_wildcard


def reference_match(pattern: str, text: str) -> bool:
    """Obviously-correct memoised DP: `*` any run, `?` one character, anchored."""

    @cache
    def m(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(text)
        p = pattern[i]
        if p == "*":
            return m(i + 1, j) or (j < len(text) and m(i, j + 1))
        if j == len(text):
            return False
        return (p == "?" or p == text[j]) and m(i + 1, j + 1)

    return m(0, 0)


PATTERN_ALPHABET = "ab:/*?"
TEXT_ALPHABET = "ab:/*?"

patterns = st.text(alphabet=PATTERN_ALPHABET, max_size=12)
texts = st.text(alphabet=TEXT_ALPHABET, max_size=14)


@settings(max_examples=3000)
@given(patterns, texts)
def test_matches_reference(pattern: str, text: str) -> None:
    assert glob_match(pattern, text) == reference_match(pattern, text)


@settings(max_examples=500)
@given(patterns, texts)
def test_ignore_case_is_reference_on_lowered(pattern: str, text: str) -> None:
    upper_text = text.replace("a", "A")
    expected = reference_match(pattern.lower(), upper_text.lower())
    assert glob_match(pattern, upper_text, ignore_case=True) == expected


@settings(max_examples=300)
@given(
    st.lists(st.text(alphabet="ab?", min_size=1, max_size=6), min_size=1, max_size=6),
    st.text(alphabet="ab", max_size=60),
)
def test_question_mark_segments(segments: list[str], text: str) -> None:
    """Middle segments with `?` exercise the anchored scan and its shift-and fallback."""
    pattern = "*" + "*".join(segments) + "*"
    assert glob_match(pattern, text) == reference_match(pattern, text)


def leftmost(segment: str, text: str, start: int, end: int) -> int:
    """Brute-force leftmost occurrence of a `?`-segment inside text[start:end]."""
    for pos in range(start, end - len(segment) + 1):
        if all(p in ("?", c) for p, c in zip(segment, text[pos : pos + len(segment)], strict=True)):
            return pos
    return -1


segment_texts = st.text(alphabet="ab?", min_size=1, max_size=8)
search_texts = st.text(alphabet="ab", max_size=40)


@settings(max_examples=1500)
@given(segment_texts, search_texts, st.integers(0, 40), st.integers(0, 40))
def test_segment_find_is_leftmost(segment: str, text: str, start: int, end: int) -> None:
    end = min(end, len(text))
    seg = wildcard._Segment.build(segment)
    assert seg.find(text, start, end) == leftmost(segment, text, start, end)


@settings(max_examples=1500)
@given(segment_texts, search_texts, st.integers(0, 40))
def test_segment_find_shift_and_fallback(segment: str, text: str, start: int) -> None:
    """With no anchored-scan budget every `?` search falls through to shift-and."""
    seg = wildcard._Segment.build(segment)
    saved = (wildcard._ANCHOR_BUDGET_MIN, wildcard._ANCHOR_BUDGET_FACTOR)
    wildcard._ANCHOR_BUDGET_MIN, wildcard._ANCHOR_BUDGET_FACTOR = -1, 0
    try:
        got = seg.find(text, start, len(text))
    finally:
        wildcard._ANCHOR_BUDGET_MIN, wildcard._ANCHOR_BUDGET_FACTOR = saved
    assert got == leftmost(segment, text, start, len(text))


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("*", "anything:at/all", True),
        ("?", "", False),
        ("?", "x", True),
        ("a*", "a", True),
        ("*a", "ba", True),
        ("a*a", "a", False),  # first and last segment may not overlap
        ("a*a", "aa", True),
        ("t1.*", "t1.micro", True),  # S1 example
        ("t1.*", "m2.micro", False),
        ("bucket/*/test/*", "bucket//test/object.jpg", True),  # S30: `*` matches empty
        ("bucket/*/test/*", "bucket/1/test/", True),
        ("s3:Put*", "s3:PutObject", True),
        ("s3:?etObject", "s3:GetObject", True),
        ("s3:?etObject", "s3:etObject", False),
        ("arn:aws:sns:*:444455556666:*", "arn:aws:sns:us-east-1:444455556666:alerts", True),
        ("a**b", "ab", True),
        ("*?*", "", False),
        ("*??", "a", False),
        ("*??", "ab", True),
    ],
)
def test_examples(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected
    assert reference_match(pattern, text) is expected


def test_case_handling() -> None:
    assert not glob_match("S3:put*", "s3:PutObject")
    assert glob_match("S3:put*", "s3:PutObject", ignore_case=True)
    assert glob_match("IAM:listaccesskeys", "iam:ListAccessKeys", ignore_case=True)  # S30
    # A character whose lower-case form is two characters still counts as one for `?`.
    assert glob_match("?x", "\u0130X", ignore_case=True)


def test_pathological_star_a_pattern() -> None:
    """`*a*a*...*a*b` (1,000 segments) would make a backtracking matcher explode."""
    pattern = "*" + "a*" * 1000 + "b"
    text = "a" * 100_000
    assert glob_match(pattern, text) is False
    assert glob_match(pattern, text + "b") is True
    assert glob_match(pattern, "a" * 999 + "b") is False
    assert glob_match(pattern, "a" * 1000 + "b") is True


def test_pathological_question_mark_pattern() -> None:
    """Many `?` per segment against a text that matches every anchor forces shift-and."""
    pattern = "*" + "a?" * 200 + "b*"
    text = "a" * 50_000
    assert glob_match(pattern, text) is False
    tail = "a" * 399 + "b"
    assert glob_match(pattern, text + tail) is True


def test_compile_is_cached_and_value_like() -> None:
    assert compile_glob("s3:*") is compile_glob("s3:*")
    assert compile_glob("x", ignore_case=True) == Glob("x", True)
    assert Glob("a*").matches("abc")


def test_has_wildcard() -> None:
    assert has_wildcard("a*")
    assert has_wildcard("a?")
    assert not has_wildcard("arn:aws:s3:::bucket")
    assert not has_wildcard("${aws:username}")
