"""Project configuration: where it is found, what it means, and errors that say where to look."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from deputyguard.config import Config, ConfigError, PathIgnore, find_config, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def pyproject(folder: Path, body: str) -> Path:
    return write(folder / "pyproject.toml", "[tool.deputyguard]\n" + textwrap.dedent(body))


def error_of(folder: Path, body: str, *, own_file: bool = False) -> ConfigError:
    if own_file:
        write(folder / ".deputyguard.toml", body)
    else:
        pyproject(folder, body)
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    return caught.value


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert (config.fail_on, config.source, config.per_path_ignores) == ("high", None, ())


def test_full_pyproject_table(tmp_path: Path) -> None:
    path = pyproject(
        tmp_path,
        """
        org = "org/model.yaml"
        account = "111122223333"
        trusted-accounts = ["444455556666"]
        trusted-organizations = ["o-a1b2c3d4e5"]
        select = ["DG0"]
        ignore = ["DG006", "prefer-arn-operator"]
        fail-on = "medium"
        exclude = ["fixtures", "tests/data/**"]
        baseline = "deputyguard-baseline.json"

        [[tool.deputyguard.per-path-ignores]]
        path = "legacy/**/*.json"
        rules = ["DG001"]
        reason = "  decommissioned in Q3; tracked in SEC-12  "
        """,
    )
    config = load_config(tmp_path)
    root = tmp_path.resolve()
    assert config == Config(
        org=os.path.join(root, "org", "model.yaml"),
        account="111122223333",
        trusted_accounts=("444455556666",),
        trusted_organizations=("o-a1b2c3d4e5",),
        select=("DG0",),
        ignore=("DG006", "prefer-arn-operator"),
        fail_on="medium",
        exclude=("fixtures", f"{root.as_posix()}/tests/data/**"),
        per_path_ignores=(
            PathIgnore(
                f"{root.as_posix()}/legacy/**/*.json",
                ("DG001",),
                "decommissioned in Q3; tracked in SEC-12",
            ),
        ),
        baseline=os.path.join(root, "deputyguard-baseline.json"),
        source=os.fspath(path.resolve()),
    )


def test_relative_paths_follow_the_config_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(
        tmp_path,
        """
        baseline = "ci/baseline.json"
        [[tool.deputyguard.per-path-ignores]]
        path = "legacy/*.json"
        rules = ["DG001"]
        reason = "old"
        """,
    )
    (tmp_path / "services" / "api").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "services" / "api")
    config = load_config()
    assert config.baseline == os.path.join(tmp_path.resolve(), "ci", "baseline.json")
    [entry] = config.per_path_ignores
    assert entry.matches(Path("../../legacy/a.json"))
    assert entry.matches(tmp_path / "legacy" / "a.json")
    assert not entry.matches("legacy/a.json")  # that is services/api/legacy
    assert config.ignored_rules("../../legacy/a.json") == frozenset({"DG001"})
    assert config.ignored_rules("../../other/a.json") == frozenset()


def test_bare_name_globs_match_anywhere(tmp_path: Path) -> None:
    pyproject(
        tmp_path,
        """
        [[tool.deputyguard.per-path-ignores]]
        path = "*.sample.json"
        rules = ["DG016"]
        reason = "documentation samples"
        """,
    )
    [entry] = load_config(tmp_path).per_path_ignores
    assert entry.path == "*.sample.json"
    assert entry.matches("docs/deep/x.sample.json")


def test_search_goes_upward_and_skips_pyprojects_without_the_table(tmp_path: Path) -> None:
    own = write(tmp_path / ".deputyguard.toml", 'fail-on = "low"\n')
    write(tmp_path / "pkg" / "pyproject.toml", "[tool.other]\nx = 1\n")
    (tmp_path / "pkg" / "src" / "deep").mkdir(parents=True)
    config = load_config(tmp_path / "pkg" / "src" / "deep")
    assert (config.fail_on, config.source) == ("low", os.fspath(own.resolve()))
    assert find_config(tmp_path / "pkg") == own.resolve()


def test_the_nearest_file_wins(tmp_path: Path) -> None:
    write(tmp_path / ".deputyguard.toml", 'fail-on = "low"\n')
    pyproject(tmp_path / "inner", 'fail-on = "critical"\n')
    assert load_config(tmp_path / "inner").fail_on == "critical"


def test_own_file_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    pyproject(tmp_path, 'fail-on = "critical"\n')
    write(tmp_path / ".deputyguard.toml", 'fail-on = "info"\n')
    assert load_config(tmp_path).fail_on == "info"


def test_explicit_file(tmp_path: Path) -> None:
    path = write(tmp_path / "ci" / "strict.toml", 'fail-on = "low"\n')
    config = load_config(tmp_path, explicit=path)
    assert (config.fail_on, config.source) == ("low", os.fspath(path))


def test_explicit_pyproject_needs_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"has no \[tool.deputyguard\] table"):
        load_config(explicit=path)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read: No such file or directory"):
        load_config(explicit=tmp_path / "nope.toml")


def test_unknown_key_names_file_line_and_a_suggestion(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'account = "111122223333"\nfail_on = "low"\n')
    assert error.key == "tool.deputyguard.fail_on"
    assert error.line == 3
    assert error.message == "unknown key; did you mean 'fail-on'?"
    assert str(error).endswith(
        "pyproject.toml:3: tool.deputyguard.fail_on: unknown key; did you mean 'fail-on'?"
    )


def test_unknown_key_without_a_close_match_lists_the_keys(tmp_path: Path) -> None:
    error = error_of(tmp_path, "colour = true\n", own_file=True)
    assert (error.key, error.line) == ("colour", 1)
    assert error.message.startswith("unknown key; expected one of org, account, ")


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ('account = "12345"', "account", "'12345' is not an AWS account id (12 digits)"),
        ("account = 111122223333", "account", "account ids must be quoted strings"),
        ('trusted-accounts = "444455556666"', "trusted-accounts", "must be a list of strings"),
        ('trusted-accounts = ["44445555666x"]', "trusted-accounts", "is not an AWS account id"),
        ('trusted-organizations = ["o-1"]', "trusted-organizations", "not an organization id"),
        ('fail-on = "severe"', "fail-on", "'severe' is not one of critical, high, medium"),
        ('select = "DG001"', "select", 'must be a list of strings, e.g. ["DG001"]'),
        ('ignore = ["DG 001"]', "ignore", "'DG 001' is not a rule id"),
        ("exclude = [1]", "exclude", "must hold non-empty strings, not a number"),
        ('org = ""', "org", "must be a non-empty string, not an empty string"),
        ("baseline = 2024-01-01", "baseline", "must be a non-empty string, not a date"),
        ('per-path-ignores = "x"', "per-path-ignores", "must be an array of tables"),
    ],
)
def test_invalid_values(tmp_path: Path, body: str, key: str, message: str) -> None:
    error = error_of(tmp_path, f"# the project's settings\n{body}\n")
    assert (error.key, error.line) == (f"tool.deputyguard.{key}", 3)
    assert message in error.message


def test_per_path_ignore_needs_a_reason(tmp_path: Path) -> None:
    error = error_of(
        tmp_path,
        """
        [[tool.deputyguard.per-path-ignores]]
        path = "a/*.json"
        rules = ["DG001"]
        reason = "ok"

        [[tool.deputyguard.per-path-ignores]]
        path = "b/*.json"
        rules = ["DG001"]
        """,
    )
    assert error.key == "tool.deputyguard.per-path-ignores[1]"
    assert error.line == 8
    assert error.message == "missing 'reason' (say why these findings are accepted)"


@pytest.mark.parametrize(
    ("entry", "sub", "line", "message"),
    [
        ('path = "a"\nrules = ["DG001"]\nreason = "  "', "reason", 5, "must be a non-empty string"),
        ('path = "a"\nrules = []\nreason = "r"', "rules", 4, "must list at least one rule"),
        ('path = 3\nrules = ["DG001"]\nreason = "r"', "path", 3, "not a number"),
        ('path = "a"\nrules = ["DG001"]\nreason = "r"\nwhy = "x"', "why", 6, "unknown key"),
    ],
)
def test_per_path_ignore_entries(
    tmp_path: Path, entry: str, sub: str, line: int, message: str
) -> None:
    error = error_of(tmp_path, f"[[tool.deputyguard.per-path-ignores]]\n{entry}\n")
    assert error.key == f"tool.deputyguard.per-path-ignores[0].{sub}"
    assert error.line == line
    assert message in error.message


def test_inline_per_path_ignores_point_at_the_key(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'per-path-ignores = [{path = "a", rules = ["DG001"]}]\n')
    assert (error.key, error.line) == ("tool.deputyguard.per-path-ignores[0]", 2)


def test_tool_table_in_the_own_file_gets_a_hint(tmp_path: Path) -> None:
    error = error_of(tmp_path, '[tool.deputyguard]\nfail-on = "low"\n', own_file=True)
    assert (error.key, error.line) == ("tool", None)
    assert error.message == "unknown key; in .deputyguard.toml settings go at the top level"


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'fail-on = "high\n')
    assert error.line == 2
    assert error.message.startswith("invalid TOML: ")
    assert "(at line" not in error.message


def test_table_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", 'tool = {deputyguard = "x"}\n')
    with pytest.raises(ConfigError, match=r"tool\.deputyguard: must be a table"):
        load_config(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".deputyguard.toml").write_bytes(b'fail-on = "h\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)
