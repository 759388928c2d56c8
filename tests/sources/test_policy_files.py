"""Reading policy files: every file shape, positions into the file, and every way input goes bad."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import Position
from deputyguard.policy.model import PolicyType
from deputyguard.sources import (
    MAX_FILE_BYTES,
    PathPatterns,
    PolicySource,
    auto_policy_type,
    describe_json,
    discover,
    display_path,
    parse_policy_type,
    read_policy_file,
)
from deputyguard.sources.inputs import read_paths

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def in_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the fixture folder so displayed paths are short and predictable."""
    monkeypatch.chdir(DATA)


def read(name: str, policy_type: PolicyType | None = None) -> list[PolicySource]:
    sources, errors = read_policy_file(Path(name), policy_type=policy_type)
    assert errors == []
    return sources


def read_errors(path: str | Path) -> list[InputError]:
    sources, errors = read_policy_file(Path(path), policy_type=None)
    assert sources == []
    return errors


def position_in_file(path: Path, needle: str) -> Position:
    """Where `needle` first occurs in the file, as a 1-based line and column."""
    text = path.read_text(encoding="utf-8")
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


# -- file shapes ----------------------------------------------------------------------------------


def test_single_policy_document() -> None:
    [source] = read("bucket_policy.json")
    assert (source.file, source.pointer, source.name) == ("bucket_policy.json", "", None)
    assert source.policy_type is PolicyType.RESOURCE
    assert source.positions["/Statement/0"] == Position(4, 5)
    assert source.text == (DATA / "bucket_policy.json").read_text().strip()
    result = source.parse()
    assert result.issues == ()
    assert result.policy is not None
    assert result.policy.statements[0].span.line == 4


def test_list_of_policies_points_into_the_file() -> None:
    first, second = read("policies_list.json")
    assert [first.pointer, second.pointer] == ["/0", "/1"]
    assert [first.policy_type, second.policy_type] == [PolicyType.IDENTITY, PolicyType.RESOURCE]
    policy = second.parse().policy
    assert policy is not None
    assert policy.statements[0].span.pointer == "/1/Statement/0"
    assert policy.statements[0].span.line == 9
    assert json.loads(second.text) == second.document


def test_named_policies() -> None:
    sources = read("named_policies.json")
    assert [(s.name, s.pointer) for s in sources] == [
        ("BucketPolicy", "/BucketPolicy"),
        ("ReadOnly", "/ReadOnly"),
    ]
    assert [s.policy_type for s in sources] == [PolicyType.RESOURCE, PolicyType.IDENTITY]
    for source in sources:
        assert json.loads(source.text) == source.document
    parsed = sources[1].parse().policy
    assert parsed is not None
    assert parsed.name == "ReadOnly"
    assert parsed.statements[0].span.line == 13


def test_named_policies_report_members_that_are_not_policies() -> None:
    sources, errors = read_policy_file(Path("named_partial.json"), policy_type=None)
    assert [s.name for s in sources] == ["Good"]
    assert errors == [
        InputError(
            "named_partial.json",
            "'Typo' is not a policy: it is an object without Statement "
            "(its keys: Version, Statment)",
            6,
            11,
        )
    ]


def test_cli_output_with_the_policy_as_a_json_string() -> None:
    [source] = read("get_bucket_policy.json")
    assert source.pointer == "/Policy"
    assert source.name is None
    assert source.policy_type is PolicyType.RESOURCE
    assert isinstance(source.document, dict)
    assert source.document["Id"] == "café"
    assert source.text.startswith('{"Version":"2012-10-17"')
    path = DATA / "get_bucket_policy.json"
    # Positions land on the string's own line, at the escaped text of each element.
    assert source.positions["/Policy"] == position_in_file(path, '{\\"Version')
    assert source.positions["/Policy/Statement#key"] == position_in_file(path, '\\"Statement')
    # After a \u escape the columns still match the file, not the decoded text.
    assert source.positions["/Policy/Statement/0/Effect"] == position_in_file(path, '\\"Allow')
    assert source.positions["/Policy#key"] == Position(2, 5)
    assert "/Policy/Statement/0/Sid" in source.positions
    assert "/Policy/Nope" not in source.positions
    assert len(source.positions) == len(list(source.positions))
    policy = source.parse().policy
    assert policy is not None
    statement = policy.statements[0]
    assert statement.sid == "AWSCloudTrailWrite"
    assert statement.span.pointer == "/Policy/Statement/0"
    assert Position(statement.span.line or 0, statement.span.column or 0) == position_in_file(
        path, '{\\"Sid'
    )


def test_url_encoded_policy_string(tmp_path: Path) -> None:
    document = '{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}'
    encoded = document.replace("{", "%7B").replace("}", "%7D").replace('"', "%22")
    path = tmp_path / "role.json"
    path.write_text(json.dumps({"PolicyName": "x", "PolicyDocument": encoded}), encoding="utf-8")
    [source] = read_policy_file(path, policy_type=None)[0]
    assert source.document == json.loads(document)
    assert source.name == "x"
    assert source.policy_type is PolicyType.TRUST
    # Escapes do not map one to one after URL decoding: everything points at the string.
    assert source.positions["/PolicyDocument/Statement/0"] == source.positions["/PolicyDocument"]


def test_iam_inline_policy_output_is_named_by_policy_name() -> None:
    [source] = read("get_role_policy.json")
    assert (source.pointer, source.name) == ("/PolicyDocument", "inline-deploy")
    assert source.policy_type is PolicyType.IDENTITY


def test_nested_cli_output_get_role() -> None:
    [source] = read("get_role.json")
    assert source.pointer == "/Role/AssumeRolePolicyDocument"
    assert source.name == "ec2-app"
    assert source.policy_type is PolicyType.TRUST
    assert source.positions[source.pointer] == Position(6, 37)


def test_an_object_of_policies_named_like_a_wrapper_stays_named(tmp_path: Path) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"Policy": policy, "Other": policy}), encoding="utf-8")
    sources, errors = read_policy_file(path, policy_type=None)
    assert errors == []
    assert [s.name for s in sources] == ["Policy", "Other"]


def test_bad_json_inside_a_policy_string_points_into_the_string() -> None:
    [error] = read_errors("bad_embedded.json")
    assert error.message.startswith("invalid JSON in the 'Policy' string: ")
    assert Position(error.line or 0, error.column or 0) == position_in_file(
        DATA / "bad_embedded.json", "}"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"Policy": ""}', "'Policy' is an empty string, not a policy document"),
        ('{"Policy": "[1]"}', "the 'Policy' string holds a JSON list of numbers, not a policy"),
    ],
)
def test_policy_strings_that_hold_no_policy(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    [error] = read_errors(path)
    assert error.message.startswith(message)
    assert (error.line, error.column) == (1, 12)


# -- policy types ---------------------------------------------------------------------------------


def test_auto_policy_types() -> None:
    assert read("identity_policy.json")[0].policy_type is PolicyType.IDENTITY
    assert read("trust_policy.json")[0].policy_type is PolicyType.TRUST  # sts:* in any case
    assert read("bucket_policy.json")[0].policy_type is PolicyType.RESOURCE


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:*"}}, "trust"),
        ({"Statement": [{"NotPrincipal": {"AWS": "x"}, "Action": "s3:*"}]}, "resource"),
        ({"Statement": [{"Principal": "*", "NotAction": "sts:AssumeRole"}]}, "resource"),
        ({"Statement": [{"Principal": "*"}]}, "resource"),
        ({"Statement": [{"Principal": "*", "Action": ["sts:AssumeRole", "s3:Get*"]}]}, "resource"),
        ({"Statement": "junk"}, "identity"),
        ([], "identity"),
    ],
)
def test_auto_policy_type_rules(document: object, expected: str) -> None:
    assert auto_policy_type(document) is PolicyType(expected)


def test_explicit_policy_type_wins() -> None:
    [source] = read("identity_policy.json", PolicyType.SCP)
    assert source.policy_type is PolicyType.SCP


def test_parse_policy_type() -> None:
    assert parse_policy_type("auto") is None
    assert parse_policy_type(None) is None
    assert parse_policy_type("rcp") is PolicyType.RCP
    assert parse_policy_type(PolicyType.TRUST) is PolicyType.TRUST
    with pytest.raises(ValueError, match=r"unknown --policy-type 'bucket'; expected one of auto, "):
        parse_policy_type("bucket")


def test_unknown_policy_type_is_an_input_error() -> None:
    sources, errors, files = read_paths(["bucket_policy.json"], policy_type="bucket")
    assert (sources, files) == ([], 0)
    [error] = errors
    assert error.file is None
    assert "unknown --policy-type 'bucket'" in error.message


# -- input that is not a policy -------------------------------------------------------------------


def test_invalid_json_names_line_and_column() -> None:
    assert read_errors("invalid_json.json") == [
        InputError("invalid_json.json", "invalid JSON: trailing comma before '}'", 4, 67)
    ]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("not_policy_numbers.json", "a JSON list of numbers"),
        ("not_policy_object.json", "an object without Statement (its keys: name, version)"),
    ],
)
def test_json_that_is_not_a_policy_says_what_it_is(name: str, what: str) -> None:
    assert read_errors(name) == [
        InputError(name, f"not a policy document: the file holds {what}", 1, 1)
    ]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ({}, "an empty JSON object"),
        ([], "an empty JSON list"),
        (["a", "b"], "a JSON list of strings"),
        ([{"a": 1}], "a JSON list of objects without Statement"),
        ([1, "a"], "a JSON list of mixed values"),
        ("x", "a JSON string"),
        (1.5, "a JSON number"),
        (True, "a JSON Boolean"),
        (None, "null"),
        ({"AWSTemplateFormatVersion": "2010-09-09"}, "a CloudFormation template"),
        ({"format_version": "1.2", "planned_values": {}}, "a Terraform JSON file"),
        ({str(i): i for i in range(7)}, "an object without Statement (its keys: 0, 1, 2, 3, 4, …)"),
    ],
)
def test_describe_json(value: object, what: str) -> None:
    assert describe_json(value) == what


def test_list_items_that_are_not_policies(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text('[\n{"Statement": []},\n42\n]\n', encoding="utf-8")
    sources, errors = read_policy_file(path, policy_type=None)
    assert [s.pointer for s in sources] == ["/0"]
    assert [(e.message, e.line, e.column) for e in errors] == [
        ("item 1 is not a policy: it is a JSON number", 3, 1)
    ]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.json"
    path.write_bytes(b'{"a":\n 1\x00\x01}')
    [error] = read_errors(path)
    assert error.message == "binary file (contains NUL bytes), not JSON text"
    assert (error.line, error.column) == (2, 3)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"Sid": "caf\u00e9"}'.encode("latin-1"))
    [error] = read_errors(path)
    assert error.message == "not UTF-8 text (invalid byte 0xe9)"
    assert (error.line, error.column) == (1, 13)


def test_utf16(tmp_path: Path) -> None:
    path = tmp_path / "wide.json"
    path.write_bytes('{"Statement": []}'.encode("utf-16"))
    [error] = read_errors(path)
    assert "UTF-16" in error.message


def test_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"Statement": [{"Effect": "Allow"}]}')
    [source] = read_policy_file(path, policy_type=None)[0]
    assert source.text.startswith("{")
    assert source.positions["/Statement"] == Position(1, 15)


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    [error] = read_errors(path)
    assert "over the 10 MB limit" in error.message


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    [error] = read_errors(path)
    assert "nesting deeper than" in error.message


def test_duplicate_keys_reach_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text(
        '{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}',
        encoding="utf-8",
    )
    [source] = read_policy_file(path, policy_type=None)[0]
    assert source.duplicates == (("/Statement/0", "Effect"),)
    assert [i.code for i in source.parse().issues] == ["DUPLICATE_ELEMENT"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    assert [e.message for e in read_errors(path)] == ["not a regular file"]
    files, errors = discover([path])
    assert files == []
    assert [e.message for e in errors] == ["not a regular file or directory"]


# -- discovery ------------------------------------------------------------------------------------


def test_directories_are_searched_recursively_in_sorted_order() -> None:
    files, errors = discover(["tree"])
    assert errors == []
    assert [p.as_posix() for p in files] == [
        "tree/a.json",
        "tree/sub/b.json",
        "tree/sub/broken.json",
        "tree/sub/package.json",
        "tree/sub/tsconfig.json",
        "tree/sub/typo.json",
        "tree/vendor/c.json",
    ]


@pytest.mark.parametrize("pattern", ["vendor", "tree/vendor", "tree/vendor/**", "**/c.json", "c.*"])
def test_exclude_globs(pattern: str) -> None:
    files, _ = discover(["tree"], exclude=[pattern])
    assert "tree/vendor/c.json" not in [p.as_posix() for p in files]
    assert "tree/a.json" in [p.as_posix() for p in files]


def test_exclude_does_not_apply_to_files_named_explicitly() -> None:
    files, _ = discover(["tree/vendor/c.json"], exclude=["vendor"])
    assert [p.as_posix() for p in files] == ["tree/vendor/c.json"]


def test_read_paths_goes_on_after_bad_files() -> None:
    sources, errors, files = read_paths(["tree", "missing.json"])
    assert [s.file for s in sources] == [
        os.path.join("tree", "a.json"),
        os.path.join("tree", "sub", "b.json"),
        os.path.join("tree", "vendor", "c.json"),
    ]
    assert files == 3
    # package.json and tsconfig.json found by the folder search are skipped; the broken policy
    # and the one with a misspelt Statement are not.
    assert [(e.file, e.line) for e in errors] == [
        ("missing.json", None),
        (os.path.join("tree", "sub", "broken.json"), 2),
        (os.path.join("tree", "sub", "typo.json"), 1),
    ]
    assert errors[0].message == "no such file or directory"
    assert errors[2].message == (
        "not a policy document: the file holds an object without Statement "
        "(its keys: Version, Statment)"
    )


def test_a_named_non_policy_file_is_an_error() -> None:
    _, errors, files = read_paths(["tree/sub/package.json", "tree/sub/tsconfig.json"])
    assert files == 0
    assert [(e.message, e.line) for e in errors] == [
        (
            "not a policy document: the file holds an object without Statement "
            "(its keys: name, private)",
            1,
        ),
        ("invalid JSON: comments are not allowed in JSON", 2),
    ]


def test_a_policy_list_member_with_a_version_is_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"A": {"Version": "2008-10-17"}}', encoding="utf-8")
    (tmp_path / "q.json").write_text('[{"Version": "2012-10-17"}]', encoding="utf-8")
    _, errors, _ = read_paths([tmp_path])
    assert [e.file for e in errors] == [display_path(tmp_path / n) for n in ("p.json", "q.json")]


def test_a_file_given_twice_is_read_once() -> None:
    files, _ = discover(["bucket_policy.json", "./bucket_policy.json", "."])
    assert [p.as_posix() for p in files].count("bucket_policy.json") == 1
    assert len(files) == len({p.resolve() for p in files})


@pytest.mark.parametrize("folder", [".git", "node_modules", ".terraform", ".venv"])
def test_tool_folders_are_skipped(tmp_path: Path, folder: str) -> None:
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "p.json").write_text("{}", encoding="utf-8")
    (tmp_path / "keep.json").write_text("{}", encoding="utf-8")
    files, errors = discover([tmp_path])
    assert (files, errors) == ([tmp_path / "keep.json"], [])


def test_symlink_loop_is_an_error_and_terminates(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "p.json").write_text("{}", encoding="utf-8")
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a", target_is_directory=True)
    files, errors = discover([tmp_path])
    assert files == [tmp_path / "a" / "b" / "p.json"]
    assert [(e.file, e.message) for e in errors] == [
        (
            display_path(tmp_path / "a" / "b" / "up"),
            "symbolic link loop: leads back to a parent folder",
        )
    ]


def test_self_referencing_and_broken_links(tmp_path: Path) -> None:
    (tmp_path / "self.json").symlink_to(tmp_path / "self.json")
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    (tmp_path / "gone-dir").symlink_to(tmp_path / "nowhere")  # not .json: nothing to report
    files, errors = discover([tmp_path])
    assert files == []
    assert sorted(e.message for e in errors) == [
        "cannot read it: broken symbolic link",
        "cannot read it: symbolic link loop",
    ]
    files, errors = discover([tmp_path / "self.json", tmp_path / "gone.json"])
    assert [e.message for e in errors] == [
        "cannot read it: symbolic link loop",
        "cannot read it: broken symbolic link",
    ]


def test_a_link_to_a_sibling_folder_is_searched_once(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "p.json").write_text("{}", encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    files, errors = discover([tmp_path])
    assert errors == []
    assert files == [tmp_path / "alias" / "p.json"]  # "alias" sorts first; same file


def test_unreadable_directory_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "open.json").write_text("{}", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, errors = discover([tmp_path])
    assert files == [tmp_path / "open.json"]
    assert [(e.file, e.message) for e in errors] == [
        (display_path(tmp_path / "locked"), "cannot read directory: Permission denied")
    ]


def test_display_path() -> None:
    assert display_path(DATA / "tree" / "a.json") == os.path.join("tree", "a.json")
    assert display_path(DATA) == "."
    assert display_path("/") == "/"


# -- path globs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.tf.json", "infra/main.tf.json", True),
        ("fixtures", "tests/fixtures/a.json", True),
        ("fixtures", "tests/fixtures.json", False),
        ("tests/*.json", "tests/a.json", True),
        ("tests/*.json", "tests/sub/a.json", False),
        ("tests/**/*.json", "tests/a.json", True),
        ("tests/**/*.json", "tests/x/y/a.json", True),
        ("tests/**", "tests/x/y/a.json", True),
        ("**/legacy", "a/b/legacy/p.json", True),
        ("tree/vendor/", "tree/vendor/c.json", True),
        ("./tree/vendor", "tree/vendor/c.json", True),
        ("tree/vend?r", "tree/vendor/c.json", True),
        ("tree/v", "tree/vendor/c.json", False),
        ("**", "anything.json", True),
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert PathPatterns([pattern]).matches(path) is expected


def test_absolute_path_patterns() -> None:
    anchored = PathPatterns([f"{DATA.as_posix()}/tree/**/b.json"])
    assert anchored.matches("tree/sub/b.json")
    assert not anchored.matches("tree/a.json")
    assert not PathPatterns([])


def test_hostile_keys_stay_short_and_printable() -> None:
    what = describe_json({"\x1b[31m" + "k" * 100: 1})
    assert what == "an object without Statement (its keys: \\x1b[31m" + "k" * 55 + "…)"
