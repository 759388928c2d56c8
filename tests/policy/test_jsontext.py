"""Tests for the position-keeping JSON parser that reads untrusted policy documents."""

from __future__ import annotations

import json
import math
import pickle
import re
import sys
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deputyguard.policy.jsontext import (
    DuplicateKey,
    JsonDocument,
    JsonSyntaxError,
    Position,
    parse_json,
    pointer_join,
)

P = Position


def offset_of(text: str, pos: Position) -> int:
    """Character offset of a 1-based line/column (a leading BOM takes no column)."""
    lines = text.split("\n")
    skip = 1 if text.startswith("\ufeff") and pos.line == 1 else 0
    return sum(len(line) + 1 for line in lines[: pos.line - 1]) + skip + pos.column - 1


def resolve(value: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


# --- positions --------------------------------------------------------------------------------

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
\t\t"Sid": "ÉtéSid",  "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::b/😀", "Condition": {"Bool": {"aws:SecureTransport": false}}
    }
  ]
}
"""


def test_positions_of_members_keys_and_array_items() -> None:
    doc = parse_json(POLICY)
    assert doc.value == json.loads(POLICY)
    pos = doc.positions
    assert pos[""] == P(1, 1)
    assert pos["/Version#key"] == P(2, 3)
    assert pos["/Version"] == P(2, 14)
    assert pos["/Statement"] == P(3, 16)
    assert pos["/Statement/0"] == P(4, 5)
    # Tabs count as one column each; the non-ASCII "É" and "é" as one character each.
    assert pos["/Statement/0/Sid#key"] == P(5, 3)
    assert pos["/Statement/0/Sid"] == P(5, 10)
    assert pos["/Statement/0/Effect#key"] == P(5, 21)
    assert pos["/Statement/0/Effect"] == P(5, 31)
    assert pos["/Statement/0/Action"] == P(6, 17)
    assert pos["/Statement/0/Action/0"] == P(6, 18)
    assert pos["/Statement/0/Action/1"] == P(6, 34)
    assert pos["/Statement/0/Resource"] == P(7, 19)
    # The emoji is one character (one code point), so what follows it is one column later.
    assert pos["/Statement/0/Condition#key"] == P(7, 39)
    assert pos["/Statement/0/Condition/Bool/aws:SecureTransport"] == P(7, 85)


def test_positions_point_at_the_first_character_of_every_value() -> None:
    doc = parse_json(POLICY)
    assert len(doc.positions) == len(list(doc.positions))
    for pointer, pos in doc.positions.items():
        char = POLICY[offset_of(POLICY, pos)]
        if pointer.endswith("#key"):
            assert char == '"'
            continue
        value = resolve(doc.value, pointer)
        expected = {dict: "{", list: "[", str: '"', bool: "tf", type(None): "n"}[type(value)]
        assert char in expected, pointer


def test_positions_after_non_ascii_on_the_same_line() -> None:
    text = '["é", "中文", "😀😀", 1]'
    pos = parse_json(text).positions
    assert [pos[f"/{i}"].column for i in range(4)] == [2, 7, 13, 19]


def test_crlf_line_endings_and_bom() -> None:
    text = '\ufeff{\r\n  "a": 1,\r\n\t"b": [true]\r\n}\r\n'
    doc = parse_json(text)
    assert doc.value == {"a": 1, "b": [True]}
    assert doc.positions[""] == P(1, 1)  # the BOM takes no column
    assert doc.positions["/a"] == P(2, 8)
    assert doc.positions["/b/0"] == P(3, 8)
    with pytest.raises(JsonSyntaxError) as info:
        parse_json("\ufeff[1,]")
    assert (info.value.line, info.value.column) == (1, 4)


def test_scalar_root_and_empty_containers() -> None:
    for text, value in [(" 7 ", 7), ('"s"', "s"), ("{}", {}), ("[ ]", [])]:
        doc = parse_json(text)
        assert doc.value == value
        assert dict(doc.positions) == {"": P(1, 1 + text.index(text.strip()[0]))}
    doc = parse_json('{"a": {}, "b": []}')
    assert dict(doc.positions) == {
        "": P(1, 1),
        "/a#key": P(1, 2),
        "/a": P(1, 7),
        "/b#key": P(1, 11),
        "/b": P(1, 16),
    }


def test_position_lookup_rejects_pointers_that_do_not_exist() -> None:
    pos = parse_json('{"a": [1, {"b": 2}], "c": 3}').positions
    for missing in ["/x", "/a/2", "/a/01", "/a/-", "/a/1/c", "/c/0", "a", "/a/0/b", "/~2", "#key"]:
        assert missing not in pos
        with pytest.raises(KeyError):
            pos[missing]
        assert pos.get(missing) is None
    not_a_pointer: object = 1
    assert not_a_pointer not in pos
    assert "/a/1/b" in pos


def test_positions_are_a_read_only_mapping_with_document_order() -> None:
    doc = parse_json('{"b": [0, {"x": 1}], "a": null}')
    assert list(doc.positions) == [
        "",
        "/b#key",
        "/b",
        "/b/0",
        "/b/1",
        "/b/1/x#key",
        "/b/1/x",
        "/a#key",
        "/a",
    ]
    assert doc.positions == dict(doc.positions)
    assert "9 JSON pointers" in repr(doc.positions)
    with pytest.raises(TypeError):
        doc.positions["/a"] = P(1, 1)  # type: ignore[index]


# --- duplicate keys ---------------------------------------------------------------------------


def test_duplicate_keys_last_value_wins_and_all_values_keeps_every_one() -> None:
    text = '{\n "Action": "s3:Get*",\n "Effect": "Allow",\n "Action": ["s3:Put*"]\n}'
    doc = parse_json(text)
    assert doc.value == json.loads(text) == {"Action": ["s3:Put*"], "Effect": "Allow"}
    assert list(doc.value) == ["Action", "Effect"]  # same key order as json.loads
    assert doc.duplicates == (DuplicateKey("", "Action", P(2, 2), P(4, 2)),)
    assert dict(doc.all_values) == {"/Action": ("s3:Get*", ["s3:Put*"])}
    # Positions describe the value that won.
    assert doc.positions["/Action"] == P(4, 12)
    assert doc.positions["/Action#key"] == P(4, 2)
    assert doc.positions["/Action/0"] == P(4, 13)


def test_three_occurrences_all_refer_back_to_the_first() -> None:
    doc = parse_json('{"S": [{"k": 1, "k": 2, "j": 0, "k": 3}]}')
    assert doc.value == {"S": [{"k": 3, "j": 0}]}
    assert doc.duplicates == (
        DuplicateKey("/S/0", "k", P(1, 9), P(1, 17)),
        DuplicateKey("/S/0", "k", P(1, 9), P(1, 33)),
    )
    assert dict(doc.all_values) == {"/S/0/k": (1, 2, 3)}


def test_replaced_values_leave_no_stale_positions_or_all_values() -> None:
    text = '{"a": {"x": 1, "x": 2, "y": [5]}, "a": 7, "b": 1, "b": {"z": [0]}}'
    doc = parse_json(text)
    assert doc.value == {"a": 7, "b": {"z": [0]}}
    assert set(doc.positions) == {"", "/a#key", "/a", "/b#key", "/b", "/b/z#key", "/b/z", "/b/z/0"}
    assert "/a/x" not in doc.positions
    # Every repeated key in the source is reported, even inside the value that lost ...
    assert [(d.pointer, d.key) for d in doc.duplicates] == [("/a", "x"), ("", "a"), ("", "b")]
    # ... but all_values only describes members of the final value.
    assert dict(doc.all_values) == {"/a": ({"x": 2, "y": [5]}, 7), "/b": (1, {"z": [0]})}


def test_duplicates_in_sibling_objects_with_the_same_pointer() -> None:
    text = '{"o": {"k": 1, "k": 2}, "o": {"k": 3, "k": 4}}'
    doc = parse_json(text)
    assert doc.value == {"o": {"k": 4}}
    assert [(d.pointer, d.key, d.first.column) for d in doc.duplicates] == [
        ("/o", "k", 8),
        ("", "o", 2),
        ("/o", "k", 31),
    ]
    assert dict(doc.all_values) == {"/o/k": (3, 4), "/o": ({"k": 2}, {"k": 4})}


def test_duplicate_keys_with_escaped_pointer_tokens() -> None:
    doc = parse_json('[{"a/b~": 1, "a\\/b~": 2}]')
    assert doc.duplicates == (DuplicateKey("/0", "a/b~", P(1, 3), P(1, 14)),)
    assert dict(doc.all_values) == {"/0/a~1b~0": (1, 2)}
    assert doc.positions["/0/a~1b~0"] == P(1, 23)


# --- errors -----------------------------------------------------------------------------------

ERRORS = [
    ("", "empty document", 1, 1),
    (" \n\t ", "empty document", 2, 3),
    ("\ufeff", "empty document", 1, 1),
    ("[1,]", "trailing comma before ']'", 1, 4),
    ('{"a": 1,\n}', "trailing comma before '}'", 2, 1),
    ('{"a" 1}', "expected ':' after object key", 1, 6),
    ('{"a": 1 "b": 2}', "expected ',' or '}' after object member", 1, 9),
    ('{"a": 1', "unexpected end of input; expected ',' or '}' after object member", 1, 8),
    ("[1 2]", "expected ',' or ']' after array element", 1, 4),
    ("[1", "unexpected end of input; expected ',' or ']' after array element", 1, 3),
    ("[1,", "unexpected end of input; expected a JSON value", 1, 4),
    ('{"a":}', "expected a JSON value", 1, 6),
    ('{"a":', "unexpected end of input; expected a JSON value", 1, 6),
    ("{1: 2}", "expected a string key or '}'", 1, 2),
    ('{"a": 1, 2: 3}', "expected a string key after ','", 1, 10),
    ("{'a': 1}", "strings must use double quotes", 1, 2),
    ("['a']", "strings must use double quotes", 1, 2),
    ('"abc', "unterminated string", 1, 1),
    ('["ok",\n  "abc\\', "unterminated string", 2, 3),
    ('"ab\ncd"', "unterminated string (line break before closing quote)", 1, 4),
    ('"a\tb"', "control character U+0009 must be escaped", 1, 3),
    ('"\x00"', "control character U+0000 must be escaped", 1, 2),
    ('"\\x"', "invalid escape '\\x' in string", 1, 2),
    ('"\\u12G4"', "invalid \\u escape: expected 4 hex digits", 1, 2),
    ('"\\u12"', "invalid \\u escape: expected 4 hex digits", 1, 2),
    ('"\\ud800"', "unpaired surrogate in \\u escape", 1, 2),
    ('"\\ud800\\u0041"', "unpaired surrogate in \\u escape", 1, 2),
    ('"x\\udc00"', "unpaired surrogate in \\u escape", 1, 3),
    ("01", "invalid number", 1, 1),
    ("[-]", "invalid number", 1, 2),
    ("1.", "invalid number", 1, 1),
    (".5", "expected a JSON value", 1, 1),
    ("+1", "expected a JSON value", 1, 1),
    ("1e", "invalid number", 1, 1),
    ("[1.5e+]", "invalid number", 1, 2),
    ("0x10", "extra data after the JSON value", 1, 2),
    ("-01", "invalid number", 1, 1),
    ("1" * 4301, "integer has more than 4300 digits", 1, 1),
    ("[NaN]", "NaN and Infinity are not valid JSON", 1, 2),
    ("Infinity", "NaN and Infinity are not valid JSON", 1, 1),
    ("-Infinity", "NaN and Infinity are not valid JSON", 1, 1),
    ("[True]", "expected a JSON value", 1, 2),
    ("nul", "expected a JSON value", 1, 1),
    ("truex", "extra data after the JSON value", 1, 5),
    ("// c\n{}", "comments are not allowed in JSON", 1, 1),
    ('{"a": 1 /* c */}', "comments are not allowed in JSON", 1, 9),
    ("{} {}", "extra data after the JSON value", 1, 4),
    ('{"a": 1}\n\n  x', "extra data after the JSON value", 3, 3),
    ("[1]\x00", "extra data after the JSON value", 1, 4),
    ("\u00a0[]", "expected a JSON value", 1, 1),  # only JSON's four whitespace characters
    ("[1,\ufeff2]", "expected a JSON value", 1, 4),  # a BOM only counts at the very start
    ('\ufeff\ufeff"x"', "expected a JSON value", 1, 1),
]


@pytest.mark.parametrize(("text", "message", "line", "column"), ERRORS)
def test_syntax_errors_report_message_line_and_column(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(JsonSyntaxError) as info:
        parse_json(text)
    err = info.value
    assert (err.message, err.line, err.column) == (message, line, column)
    assert str(err) == f"{message} (line {line}, column {column})"


def test_json_syntax_error_is_a_value_error_that_pickles() -> None:
    err = JsonSyntaxError("bad", 3, 4)
    assert isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert (again.message, again.line, again.column, str(again)) == (
        "bad",
        3,
        4,
        "bad (line 3, column 4)",
    )


def test_error_column_counts_characters_after_non_ascii() -> None:
    with pytest.raises(JsonSyntaxError) as info:
        parse_json('{\n  "é😀": tru}')
    assert (info.value.line, info.value.column) == (2, 9)


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("opener", ["[", '{"a":', '[{"a":'])
def test_ten_thousand_levels_give_a_clean_error(opener: str) -> None:
    text = opener * 10_000
    with pytest.raises(JsonSyntaxError) as info:
        parse_json(text)
    assert info.value.message == "nesting deeper than 100 levels"
    assert info.value.line == 1


def test_max_depth_is_exact() -> None:
    deepest = "[" * 100 + "]" * 100
    doc = parse_json(deepest)
    assert "/0" * 99 in doc.positions
    with pytest.raises(
        JsonSyntaxError, match=r"nesting deeper than 100 levels \(line 1, column 101"
    ):
        parse_json("[" + deepest + "]")
    assert parse_json('{"a": [1]}', max_depth=2).value == {"a": [1]}
    with pytest.raises(JsonSyntaxError, match="nesting deeper than 1 levels"):
        parse_json('{"a": [1]}', max_depth=1)
    assert parse_json("3", max_depth=0).value == 3
    with pytest.raises(JsonSyntaxError):
        parse_json("[]", max_depth=0)


def test_deep_but_allowed_nesting_with_many_values_parses() -> None:
    text = "[" * 100 + ",".join(['{"a": 1, "a": 2}'] * 50) + "]" * 100
    doc = parse_json(text, max_depth=101)
    assert len(doc.duplicates) == 50
    assert doc.duplicates[-1].pointer == "/0" * 99 + "/49"
    assert len(doc.all_values) == 50


# --- scalars ----------------------------------------------------------------------------------


def test_numbers_are_int_or_float_like_json_loads() -> None:
    text = "[0, -0, 12, -3, 1.0, -0.0, 1e2, 1E-2, 2.5e+3, 123456789012345678901234567890, 1e400]"
    value = parse_json(text).value
    expected = json.loads(text)
    assert value == expected
    assert [type(v) for v in value] == [type(v) for v in expected]
    assert math.copysign(1, value[5]) == -1
    assert value[-1] == math.inf  # overflow follows json.loads; only the NaN literals are barred


def test_integer_digit_limit_matches_json_loads_and_never_raises_plain_value_error() -> None:
    for text in ["9" * 4300, "-" + "9" * 4300]:
        assert parse_json(text).value == json.loads(text)
    with pytest.raises(JsonSyntaxError, match="more than 4300 digits"):
        parse_json("[-" + "9" * 4301 + "]")
    assert parse_json("1" * 5000 + ".5").value == float("1" * 5000 + ".5")
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(JsonSyntaxError, match="integer has too many digits"):
            parse_json("[" + "7" * 700 + "]")
    finally:
        sys.set_int_max_str_digits(old)


def test_unpaired_surrogate_detector_used_by_the_properties() -> None:
    assert UNPAIRED_SURROGATE.search(r'"\ud800"')
    assert UNPAIRED_SURROGATE.search(r'"\udc00\ud800"')
    assert not UNPAIRED_SURROGATE.search(r'"\ud83d\ude00"')


def test_string_escapes_and_surrogate_pairs() -> None:
    text = r'"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude00 \uD83D\uDE00 \u0000"'
    assert parse_json(text).value == json.loads(text) == '" \\ / \b \f \n \r \t A é 😀 😀 \x00'
    assert parse_json('"é😀\x7f"').value == "é😀\x7f"


def test_literals() -> None:
    assert parse_json("[true, false, null]").value == [True, False, None]


# --- pointers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "token", "expected"),
    [
        ("", "a", "/a"),
        ("", "", "/"),
        ("/x", "a/b", "/x/a~1b"),
        ("", "m~n", "/m~0n"),
        ("", "~1", "/~01"),
        ("", "/~", "/~1~0"),
        ("/S", 0, "/S/0"),
        ("/S", 12, "/S/12"),
        ("", "#key", "/#key"),
    ],
)
def test_pointer_join_escapes_tilde_and_slash(base: str, token: str | int, expected: str) -> None:
    assert pointer_join(base, token) == expected


def test_positions_for_keys_that_need_escaping() -> None:
    doc = parse_json('{"a/b": 1, "~": 2, "": 3, "~1": 4}')
    assert doc.positions[pointer_join("", "a/b")] == P(1, 9)
    assert doc.positions[pointer_join("", "~")] == P(1, 17)
    assert doc.positions[pointer_join("", "")] == P(1, 24)
    assert doc.positions[pointer_join("", "~1") + "#key"] == P(1, 27)
    assert doc.positions[pointer_join("", "~1")] == P(1, 33)
    assert "/a/b" not in doc.positions


def test_key_named_like_a_key_pointer_does_not_break_the_mapping() -> None:
    doc = parse_json('{"K": 1, "K#key": 2}')
    # "/K#key" means the key of member K; the member literally named "K#key" is shadowed.
    assert doc.positions["/K#key"] == P(1, 2)
    assert doc.positions["/K#key#key"] == P(1, 10)
    assert len(doc.positions) == len(set(doc.positions)) == 4
    assert parse_json('{"K#key": 2}').positions["/K#key"] == P(1, 11)


# --- properties -------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=30,
)
indents = st.sampled_from([None, 0, 1, 2, "\t", " \r\n"])


@settings(max_examples=300, deadline=None)
@given(value=json_values, indent=indents, ensure_ascii=st.booleans())
def test_parses_like_json_loads(value: Any, indent: int | str | None, ensure_ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    doc = parse_json(text)
    assert doc.value == json.loads(text)
    assert doc.duplicates == ()
    assert dict(doc.all_values) == {}


def expected_pointers(pointer: str, node: Any) -> list[str]:
    """Every pointer of a value in document order: each member's key, then the member."""
    out = [pointer]
    if isinstance(node, dict):
        for key, child in node.items():
            member = pointer_join(pointer, key)
            out.append(member + "#key")
            out.extend(expected_pointers(member, child))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.extend(expected_pointers(pointer_join(pointer, index), child))
    return out


@settings(max_examples=200, deadline=None)
@given(value=json_values, indent=indents)
def test_every_position_points_at_its_value(value: Any, indent: int | str | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    doc = parse_json(text)
    expected = expected_pointers("", doc.value)
    assume(len(set(expected)) == len(expected))  # keys ending in "#key" can collide
    # A member literally named "...#key" is ambiguous with the key-position convention (see the
    # module docstring); the property only speaks about documents without such names.
    assume(not any(p.removesuffix("#key").endswith("#key") for p in expected if p.endswith("#key")))
    assert list(doc.positions) == expected
    assert len(doc.positions) == len(expected)
    for pointer in expected:
        at = text[offset_of(text, doc.positions[pointer]) :]
        if pointer.endswith("#key"):
            key = pointer.removesuffix("#key").rsplit("/", 1)[1]
            key = key.replace("~1", "/").replace("~0", "~")
            assert at.startswith(json.dumps(key, ensure_ascii=False))
            continue
        node = resolve(doc.value, pointer)
        rendered = json.dumps(node, ensure_ascii=False)
        assert at.startswith(rendered if not isinstance(node, dict | list) else rendered[0])


@st.composite
def documents_with_duplicates(draw: st.DrawFn) -> str:
    """Raw JSON text whose objects may repeat keys (json.dumps cannot produce those)."""

    def render(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "list", "object"] if depth < 3 else ["scalar"]))
        if kind == "scalar":
            return json.dumps(draw(st.sampled_from([0, 1.5, "s", None, True, []])))
        if kind == "list":
            return "[" + ", ".join(render(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"
        keys = draw(st.lists(st.sampled_from(["a", "b", "c/~"]), max_size=5))
        return "{" + ", ".join(f"{json.dumps(k)}: {render(depth + 1)}" for k in keys) + "}"

    return render(0)


class PairsDict(dict[str, Any]):
    """A json.loads object that also remembers its raw (possibly repeated) members."""

    pairs: list[tuple[str, Any]]


def expected_all_values(text: str) -> dict[str, tuple[Any, ...]]:
    """all_values computed independently: members repeated in objects of the final value."""

    def hook(members: list[tuple[str, Any]]) -> PairsDict:
        obj = PairsDict(members)
        obj.pairs = members
        return obj

    expected: dict[str, tuple[Any, ...]] = {}
    todo: list[tuple[str, Any]] = [("", json.loads(text, object_pairs_hook=hook))]
    while todo:
        pointer, node = todo.pop()
        if isinstance(node, PairsDict):
            for key in node:
                values = tuple(v for k, v in node.pairs if k == key)
                if len(values) > 1:
                    expected[pointer_join(pointer, key)] = values
            todo.extend((pointer_join(pointer, k), v) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((pointer_join(pointer, i), v) for i, v in enumerate(node))
    return expected


@settings(max_examples=300, deadline=None)
@given(text=documents_with_duplicates())
def test_duplicates_agree_with_json_loads(text: str) -> None:
    doc = parse_json(text)
    assert doc.value == json.loads(text)
    pairs: list[list[tuple[str, Any]]] = []

    def collect(members: list[tuple[str, Any]]) -> dict[str, Any]:
        pairs.append(members)
        return dict(members)

    json.loads(text, object_pairs_hook=collect)
    repeats = sum(len(p) - len({k for k, _ in p}) for p in pairs)
    assert len(doc.duplicates) == repeats
    for d in doc.duplicates:
        assert d.first.line == d.again.line == 1 and d.first.column < d.again.column
        assert text[d.first.column - 1 :].startswith(json.dumps(d.key))
        assert text[d.again.column - 1 :].startswith(json.dumps(d.key))
    assert dict(doc.all_values) == expected_all_values(text)
    assert list(doc.positions) == expected_pointers("", doc.value)
    for pointer in doc.positions:
        at = text[doc.positions[pointer].column - 1 :]
        if pointer.endswith("#key"):
            assert at.startswith('"')
        else:
            node = resolve(doc.value, pointer)
            rendered = json.dumps(node)
            assert at.startswith(rendered if not isinstance(node, dict | list) else rendered[0])


HIGH, LOW = r"\\u[dD][89abAB][0-9a-fA-F]{2}", r"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
UNPAIRED_SURROGATE = re.compile(f"{HIGH}(?!{LOW})|(?<!{HIGH}){LOW}")


def _json_loads_strict(text: str) -> Any:
    def reject(name: str) -> Any:
        raise ValueError(name)

    return json.loads(text.removeprefix("\ufeff"), parse_constant=reject)


@settings(max_examples=500, deadline=None)
@given(
    value=json_values,
    edits=st.lists(
        st.tuples(
            st.integers(0, 10**6), st.sampled_from(list(' \t\n{}[],:"\\/-.0eE1tn\x01\ufeffu'))
        ),
        max_size=3,
    ),
    cut=st.booleans(),
)
def test_damaged_documents_fail_cleanly_exactly_when_json_loads_fails(
    value: Any, edits: list[tuple[int, str]], cut: bool
) -> None:
    text = json.dumps(value, indent=1)
    for where, char in edits:
        where %= len(text) + 1
        text = text[:where] + char + text[where + cut :]
    # json.loads accepts unpaired surrogate escapes; this parser deliberately rejects them.
    assume(not UNPAIRED_SURROGATE.search(text))
    try:
        expected = _json_loads_strict(text)
    except (ValueError, RecursionError):
        with pytest.raises(JsonSyntaxError):
            parse_json(text)
    else:
        try:
            parsed = parse_json(text)
        except JsonSyntaxError as err:
            # Stricter than json.loads on purpose: an edit can split a \uXXXX surrogate pair in
            # ways the detector above does not foresee; that is the only accepted difference.
            assert "unpaired surrogate" in err.message
        else:
            assert parsed.value == expected


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=list('{}[],:"\\ 0-.eE1tfnaulrs\n\ud800')) | st.text())
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    try:
        doc = parse_json(text)
    except JsonSyntaxError as err:
        assert err.line >= 1 and err.column >= 1
        assert err.line <= text.count("\n") + 1
    else:
        assert isinstance(doc, JsonDocument)
