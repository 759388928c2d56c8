"""Loading organization models: the cli.md schema, every validation error with its position."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from deputyguard.org import (
    DocumentMap,
    OrgModel,
    OrgModelError,
    Position,
    load_org,
    org_from_data,
    parse_document,
)
from deputyguard.org import load as load_module

DATA = Path(__file__).parent / "data"


def write(tmp_path: Path, text: str, name: str = "org.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, int | None, str]]:
    with pytest.raises(OrgModelError) as caught:
        load_org(write(tmp_path, text))
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def only_problem(tmp_path: Path, text: str) -> tuple[int | None, int | None, str]:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


# -- valid files ---------------------------------------------------------------------------------


def test_cli_example_loads() -> None:
    model = load_org(DATA / "org.yaml")
    org = model.organization
    assert org is not None
    assert (org.id, org.root, org.management_account) == ("o-a1b2c3d4e5", "r-ab12", "111111111111")
    assert org.accounts == ("111111111111",)
    assert [u.name for u in model.units()] == ["workloads", "prod"]
    assert model.trusted_accounts == frozenset({"444455556666"})
    assert model.trusted_organizations == frozenset()


def test_inline_rcp_keeps_raw_document_and_positions() -> None:
    rcp = load_org(DATA / "org.yaml").rcp_levels("111111111111")[0][0]
    assert rcp.target == "r-ab12"
    assert rcp.name == "confused-deputy"
    assert isinstance(rcp.document, dict)
    # Unquoted `2012-10-17` stays a string (YAML 1.1 would make it a date).
    assert rcp.document["Version"] == "2012-10-17"
    assert (rcp.location.file, rcp.location.line) == (str(DATA / "org.yaml"), 19)
    assert rcp.pointer == "/organization/rcps/0/policy"
    assert rcp.source_map is not None
    effect = rcp.source_map.values[rcp.pointer + "/Statement/0/Effect"]
    assert (effect.line, effect.column) == (22, 21)


def test_rcp_file_reference_is_relative_to_the_org_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the data directory: the path must not depend on the cwd
    model = load_org(DATA / "org.yaml")
    rcp = model.rcp_levels("222233334444")[2][0]
    assert (rcp.target, rcp.name) == ("ou-ab12-22222222", "rcp.json")
    assert rcp.location.file == str(DATA / "rcp.json")
    assert rcp.pointer == ""
    assert isinstance(rcp.document, dict)
    assert rcp.document["Statement"][0]["Sid"] == "OnlyProdSources"
    assert rcp.source_map is not None
    # rcp.json is indented with tabs: each counts as one column.
    assert rcp.source_map.values["/Statement/0/Effect"] == Position(6, 14)


def test_a_file_attached_twice_is_shared() -> None:
    model = load_org(DATA / "org.yaml")
    at_ou, at_account = model.rcp_levels("222233334444")[2:]
    assert at_ou[0].document is at_account[0].document


def test_json_model_equals_yaml_model() -> None:
    from_json = load_org(DATA / "org.json")
    from_yaml = load_org(DATA / "org.yaml")
    assert from_json.accounts() == from_yaml.accounts()
    assert from_json.units() == from_yaml.units()
    assert from_json.trusted_organizations == frozenset({"o-zzzzzzzzzz"})
    assert from_json.rcp_levels("222233334444")[1:] == from_yaml.rcp_levels("222233334444")[1:]


def test_account_ids_as_unquoted_yaml_numbers(tmp_path: Path) -> None:
    model = load_org(
        write(
            tmp_path,
            """
            organization:
              id: o-a1b2c3d4e5
              root: r-ab12
              management_account: 111111111111
              accounts: [111111111111, 012345678901, 012345670123]
              rcps:
                - {target: 111111111111, policy: {Statement: []}}
            trusted_accounts: [044455556666]
            """,
        )
    )
    # The text as written: no octal reading, no lost leading zero.
    assert model.accounts() == ("012345670123", "012345678901", "111111111111")
    assert model.is_management_account("111111111111")
    assert model.trusted_accounts == frozenset({"044455556666"})
    assert model.rcp_levels("111111111111")[-1][0].target == "111111111111"


def test_only_trusted_sets(tmp_path: Path) -> None:
    model = load_org(write(tmp_path, "trusted_organizations: [o-zzzzzzzzzz]\n"))
    assert model.organization is None
    assert model.trusted_organizations == frozenset({"o-zzzzzzzzzz"})


def test_null_lists_are_empty(tmp_path: Path) -> None:
    model = load_org(
        write(
            tmp_path,
            """
            organization:
              id: o-a1b2c3d4e5
              root: r-ab12
              accounts:
              units:
              rcps:
            """,
        )
    )
    assert model.accounts() == ()


# -- inline data (case files) --------------------------------------------------------------------

INLINE = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "root": "r-ab12",
        "accounts": ["111111111111"],
        "units": [{"id": "ou-ab12-11111111", "accounts": ["111122223333"]}],
        "rcps": [{"target": "r-ab12", "policy": {"Version": "2012-10-17", "Statement": []}}],
    }
}


def test_inline_data() -> None:
    model = org_from_data(INLINE)
    assert model.entity_path_of("111122223333") == "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
    (rcp,) = model.rcp_levels("111111111111")[0]
    assert rcp.name == "rcps[0]"  # the default name says where it was written
    assert rcp.location.file is None


def test_inline_data_error_without_positions_is_just_the_message() -> None:
    bad = {"organization": {"id": "o-a1b2c3d4e5", "root": "r-AB12"}}
    with pytest.raises(OrgModelError) as caught:
        org_from_data(bad)
    assert str(caught.value) == (
        "invalid root id 'r-AB12': expected 'r-' then 4 to 32 lowercase letters or digits, "
        "e.g. 'r-ab12'"
    )


def test_inline_data_inside_a_case_file_reports_case_file_lines(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        id: c1
        org:
          organization:
            id: o-a1b2c3d4e5
            root: r-ab12
            accounts: ["11112222333"]
        """
    )
    data, positions = parse_document(text, file="cases.yaml")
    assert isinstance(data, dict)
    with pytest.raises(OrgModelError) as caught:
        org_from_data(data["org"], positions=positions, pointer="/org")
    assert str(caught.value) == (
        "cases.yaml:6:16: invalid account id '11112222333': expected 12 digits"
    )


def test_inline_data_with_plain_pointer_positions() -> None:
    # Any reader's pointer -> (line, column) mapping will do, e.g. the policy layer's JSON parser.
    positions = {"/organization/root": Position(3, 11)}
    with pytest.raises(OrgModelError) as caught:
        org_from_data(
            {"organization": {"id": "o-a1b2c3d4e5", "root": "root"}},
            file="case.json",
            positions=positions,
        )
    assert (caught.value.file, caught.value.line, caught.value.column) == ("case.json", 3, 11)


def test_inline_rcp_file_uses_base_dir() -> None:
    data = {
        "organization": {
            "id": "o-a1b2c3d4e5",
            "root": "r-ab12",
            "rcps": [{"target": "r-ab12", "file": "rcp.json", "name": "prod-only"}],
        }
    }
    model = org_from_data(data, base_dir=DATA)
    assert model.organization is not None
    (rcp,) = model.organization.rcps
    assert rcp.name == "prod-only"
    assert rcp.location.file == str(DATA / "rcp.json")


def test_inline_data_ints_that_lost_leading_zeros() -> None:
    # yaml.safe_load reads 012345670123 as an octal int: say how to fix it.
    data = {"organization": {"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": [1402433619]}}
    with pytest.raises(OrgModelError, match="quote ids with leading zeros"):
        org_from_data(data)


# -- every validation error, with its position --------------------------------------------------

HEADER = """
organization:
  id: o-a1b2c3d4e5
  root: r-ab12
"""


@pytest.mark.parametrize(
    ("body", "line", "column", "fragment"),
    [
        # line numbers count from the `organization:` line (1) of HEADER + body
        ("  accounts: ['1111']\n", 4, 14, "invalid account id '1111': expected 12 digits"),
        ("  accounts: [1111]\n", 4, 14, "invalid account id 1111: expected 12 digits"),
        ("  accounts: [true]\n", 4, 14, "account id must be a string, not a Boolean"),
        ("  accounts: '111111111111'\n", 4, 13, "accounts must be a list, not the string"),
        ("  units: {id: ou-ab12-11111111}\n", 4, 10, "units must be a list, not a mapping"),
        ("  units: [ou-ab12-11111111]\n", 4, 11, "an OU must be a mapping, not the string"),
        ("  units:\n    - name: prod\n", 5, 7, "an OU needs 'id'"),
        ("  units:\n    - {id: ou-ab12-11111111, name: 7}\n", 5, 36, "OU name must be a string"),
        (
            "  units:\n    - id: OU-AB12-11111111\n",
            5,
            11,
            "invalid OU id 'OU-AB12-11111111': expected 'ou-'",
        ),
        (
            "  units:\n    - id: ou-ab12-1111\n",
            5,
            11,
            "invalid OU id 'ou-ab12-1111'",
        ),
        (
            "  units:\n    - id: ou-cd34-11111111\n",
            5,
            11,
            "OU id 'ou-cd34-11111111' does not carry its root's suffix: under root r-ab12 OU ids "
            "start with 'ou-ab12-'",
        ),
        (
            "  units:\n    - id: ou-ab12-11111111\n    - id: ou-ab12-11111111\n",
            6,
            11,
            "OU ou-ab12-11111111 is already defined (line 5)",
        ),
        (
            "  accounts: ['111111111111']\n  units:\n"
            "    - id: ou-ab12-11111111\n      accounts: ['111111111111']\n",
            7,
            18,
            "account 111111111111 is already in r-ab12 (line 4); an account belongs to exactly "
            "one parent",
        ),
        (
            "  accounts: ['111111111111', '111111111111']\n",
            4,
            30,
            "account 111111111111 is already in r-ab12 (line 4)",
        ),
        (
            "  management_account: '999999999999'\n",
            4,
            23,
            "management account 999999999999 is not an account of the organization",
        ),
        ("  management_account: [1]\n", 4, 23, "management_account must be a string, not a list"),
        ("  acounts: []\n", 4, 3, "unknown key 'acounts' in organization (expected one of: id,"),
        ("  units:\n    - id: ou-ab12-11111111\n      acount: []\n", 6, 7, "unknown key 'acount'"),
        (
            "  rcps:\n    - {target: r-ab12, policy: {}, file: x.json}\n",
            5,
            7,
            "this one has both 'policy' and 'file'",
        ),
        ("  rcps:\n    - target: r-ab12\n", 5, 7, "this one has neither 'policy' nor 'file'"),
        ("  rcps:\n    - policy: {}\n", 5, 7, "an RCP entry needs 'target'"),
        (
            "  rcps:\n    - {target: ou-ab12-99999999, policy: {}}\n",
            5,
            16,
            "RCP target 'ou-ab12-99999999' is not the root, an OU or an account of the "
            "organization",
        ),
        (
            "  rcps:\n    - {target: r-ab12, policy: '{}'}\n",
            5,
            32,
            "policy must be a mapping (the policy document), not the string '{}'",
        ),
        (
            "  rcps:\n    - {target: r-ab12, policy: {}, polcy: {}}\n",
            5,
            36,
            "unknown key 'polcy' in an RCP entry (expected one of: target, name, policy, file)",
        ),
        (
            "  rcps:\n    - {target: r-ab12, name: a, policy: {}}\n"
            "    - {target: r-ab12, name: a, policy: {}}\n",
            6,
            7,
            "an RCP named 'a' is already attached to r-ab12 (line 5)",
        ),
        ("  root: r-cd34\n", 4, 3, "key 'root' is written twice"),
        ("trusted_accounts: ['1']\n", 4, 20, "invalid account id '1'"),
        ("trusted_organizations: [o-short]\n", 4, 25, "invalid organization id 'o-short'"),
        ("trusted_organizations: o-a1b2c3d4e5\n", 4, 24, "trusted_organizations must be a list"),
        ("trusted: []\n", 4, 1, "unknown key 'trusted' in the organization model"),
    ],
)
def test_validation_error(tmp_path: Path, body: str, line: int, column: int, fragment: str) -> None:
    found_line, found_column, message = only_problem(tmp_path, HEADER + body)
    assert fragment in message
    assert (found_line, found_column) == (line, column), message


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("organization:\n  id: o-SHORT\n  root: r-ab12\n", 2, 7, "invalid organization id"),
        ("organization:\n  id: o-a1b2c3d4e5\n  root: R-AB12\n", 3, 9, "invalid root id 'R-AB12'"),
        ("organization:\n  id: o-a1b2c3d4e5\n", 2, 3, "organization needs 'root'"),
        ("organization: [o-a1b2c3d4e5]\n", 1, 15, "organization must be a mapping, not a list"),
        ("- organization\n", 1, 1, "the organization model must be a mapping, not a list"),
    ],
)
def test_top_level_errors(tmp_path: Path, text: str, line: int, column: int, fragment: str) -> None:
    found_line, found_column, message = only_problem(tmp_path, text)
    assert fragment in message
    assert (found_line, found_column) == (line, column), message


def test_ou_depth_six_is_an_error(tmp_path: Path) -> None:
    text = (
        (DATA / "deep.yaml")
        .read_text(encoding="utf-8")
        .replace(
            '                      accounts: ["555555555555"]\n',
            "                      units:\n                        - id: ou-ab12-00000006\n",
        )
    )
    found = problems(tmp_path, text)
    assert found == [
        (17, 31, "OU ou-ab12-00000006 is 6 levels deep under the root; AWS allows at most 5")
    ]


def test_all_problems_are_collected_in_file_order() -> None:
    path = DATA / "errors.yaml"
    with pytest.raises(OrgModelError) as caught:
        load_org(path)
    error = caught.value
    expected = [
        (3, "invalid organization id 'o-SHORT'"),
        (5, "management account 999999999999 is not an account of the organization"),
        (6, "unknown key 'acounts' in organization (expected one of"),
        (8, "OU id 'ou-zz99-11111111' does not carry its root's suffix"),
        (9, "invalid account id '1111'"),
        (11, "account 111122223333 is already in OU ou-zz99-11111111 (line 9)"),
        (13, "RCP target 'ou-ab12-33333333' is not the root, an OU or an account"),
        (14, f"cannot read RCP file '{DATA / 'missing.json'}'"),
        (15, "trusted_accounts must be a list, not the string '444455556666'"),
    ]
    assert len(error.problems) == len(expected)
    for problem, (line, start) in zip(error.problems, expected, strict=True):
        assert problem.line == line, problem
        assert problem.message.startswith(start), problem
    # The first problem fills the error's own fields; str() lists every problem on its own line.
    assert (error.file, error.line, error.column) == (str(path), 3, 7)
    lines = str(error).splitlines()
    assert len(lines) == 9
    assert lines[0] == (
        f"{path}:3:7: invalid organization id 'o-SHORT': expected 'o-' then 10 to 32 lowercase "
        "letters or digits, e.g. 'o-a1b2c3d4e5'"
    )
    assert isinstance(error, ValueError)


# -- RCP files -------------------------------------------------------------------------------------


def rcp_model(tmp_path: Path, rcp_text: str) -> Path:
    (tmp_path / "rcp.json").write_text(rcp_text, encoding="utf-8")
    return write(
        tmp_path,
        """
        organization:
          id: o-a1b2c3d4e5
          root: r-ab12
          rcps:
            - target: r-ab12
              file: rcp.json
        """,
    )


def test_rcp_file_invalid_json_names_the_rcp_file(tmp_path: Path) -> None:
    # A trailing comma is valid YAML flow syntax but not JSON: AWS would refuse the policy.
    with pytest.raises(OrgModelError) as caught:
        load_org(rcp_model(tmp_path, (DATA / "bad_rcp.json").read_text(encoding="utf-8")))
    error = caught.value
    assert (error.file, error.line, error.column) == (str(tmp_path / "rcp.json"), 4, 23)
    assert error.message.startswith("invalid JSON: Expecting property name")


def test_rcp_file_must_hold_an_object(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(rcp_model(tmp_path, '\n  ["not", "a", "policy"]\n'))
    assert str(caught.value) == (
        f"{tmp_path / 'rcp.json'}:2:3: an RCP file must hold one JSON object (the policy "
        "document), not a list"
    )


def test_rcp_file_missing(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(write(tmp_path, HEADER + "  rcps:\n    - {target: r-ab12, file: nope.json}\n"))
    assert (caught.value.line, caught.value.column) == (5, 30)
    assert "cannot read RCP file" in caught.value.message
    assert "No such file or directory" in caught.value.message


def test_duplicate_keys_inside_a_policy_are_left_to_the_policy_parser(tmp_path: Path) -> None:
    model = load_org(
        rcp_model(tmp_path, '{"Version": "2012-10-17", "Statement": [], "Statement": 1}')
    )
    assert model.organization is not None
    (rcp,) = model.organization.rcps
    assert rcp.document == {"Version": "2012-10-17", "Statement": 1}
    assert rcp.source_map is not None
    assert rcp.source_map.duplicates == (("", "Statement"),)
    assert rcp.source_map.all_values["/Statement"] == ([], 1)


# -- text that is not a valid document ------------------------------------------------------------


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(write(tmp_path, "organization:\n  id: o-a1b2c3d4e5\n   root: r-ab12\n"))
    error = caught.value
    assert (error.line, error.column) == (3, 8)
    assert error.message == "invalid YAML: mapping values are not allowed here"


def test_json_syntax_error_has_a_line(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(
            write(
                tmp_path, '{\n  "organization": {\n    "id": "o-a1b2c3d4e5",\n  }\n}\n', "org.json"
            )
        )
    error = caught.value
    assert (error.line, error.column) == (4, 3)
    assert error.message.startswith("invalid JSON: Expecting property name")


def test_json_looking_yaml_file_that_is_neither_gets_the_json_error(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(write(tmp_path, '{"organization": [}\n'))
    assert (caught.value.line, caught.value.column) == (1, 19)
    assert caught.value.message.startswith("invalid JSON: Expecting value")


def test_json_positions(tmp_path: Path) -> None:
    text = '{"organization": {"id": "o-a1b2c3d4e5",\n\t"root": "r-ab12", "acounts": []}}'
    assert only_problem(tmp_path, text) == (
        2,
        20,
        "unknown key 'acounts' in organization (expected one of: id, root, management_account, "
        "accounts, units, rcps)",
    )


@pytest.mark.parametrize("text", ["", "# nothing here\n", "null\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(OrgModelError, match="the file is empty"):
        load_org(write(tmp_path, text))


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(tmp_path / "absent.yaml")
    assert str(caught.value).startswith(
        f"{tmp_path / 'absent.yaml'}: cannot read organization model"
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(b"organization: \xff\n")
    with pytest.raises(OrgModelError, match="not UTF-8"):
        load_org(path)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: &x [*x]\n", 1, "refers to a collection that contains it"),
        ("base: &b {id: 1}\nother:\n  <<: *b\n", 3, "merge keys"),
        ("organization: !Ref Org\n", 1, "unsupported YAML tag '!Ref'"),
        ("? [a, b]\n: c\n", 1, "mapping keys must be strings"),
        ("a: 1\n---\nb: 2\n", 2, "invalid YAML: expected a single document"),
    ],
)
def test_yaml_features_we_refuse(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    with pytest.raises(OrgModelError) as caught:
        load_org(write(tmp_path, text))
    assert fragment in caught.value.message
    assert caught.value.line == line


def test_alias_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "_MAX_VALUES", 100)
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(OrgModelError, match="expands to more than 100 values"):
        parse_document(text, file="bomb.yaml")


# -- parse_document: JSON semantics for YAML plain scalars -----------------------------------------


def test_plain_scalars_read_as_json_would() -> None:
    text = "v: 2012-10-17\nyes_: yes\nn: null\nt: true\ni: 12\nf: 1.5e3\nz: 0123\nx: 0x1F\n"
    data, _ = parse_document(text + "s: !!str 12\n")
    assert data == {
        "v": "2012-10-17",
        "yes_": "yes",
        "n": None,
        "t": True,
        "i": 12,
        "f": 1500.0,
        "z": "0123",
        "x": "0x1F",
        "s": "12",
    }


def test_json_text_gets_exact_json_values() -> None:
    text = '{"a": 1e5, "b": "\\ud83d\\ude00"}'
    data, positions = parse_document(text)
    assert data == json.loads(text)
    assert positions.values["/b"] == Position(1, 17)


def test_document_map_falls_back_to_the_nearest_ancestor() -> None:
    _, positions = parse_document("a:\n  b: [1, 2]\n", file="f.yaml")
    assert isinstance(positions, DocumentMap)
    assert str(positions.locate("/a/b/1")) == "f.yaml:2:10"
    assert str(positions.locate("/a/b/7/c")) == "f.yaml:2:6"
    assert str(positions.locate("/a/b", key=True)) == "f.yaml:2:3"


def test_pointer_escaping_in_keys() -> None:
    _, positions = parse_document('{"a/b": {"c~d": 1}}')
    assert positions.values["/a~1b/c~0d"] == Position(1, 17)


def test_loaded_model_is_an_org_model() -> None:
    assert isinstance(load_org(str(DATA / "org.yaml")), OrgModel)
