"""`deputyguard org show` / `org match`: what each aws:SourceOrgPaths shape selects (rules.md
DG019), computed with the engine over the example organization."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deputyguard.cli import main

ORG = str(Path(__file__).parents[2] / "examples" / "org.yaml")
OU = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
PROD = f"{OU}ou-ab12-22222222/"


def match(capsys: pytest.CaptureFixture[str], key: str, *values: str) -> tuple[dict, str]:
    code = main(["org", "match", "--org", ORG, "--key", key, "--format", "json", *values])
    captured = capsys.readouterr()
    assert code == 0
    return json.loads(captured.out), captured.err


@pytest.mark.parametrize(
    ("pattern", "accounts", "outside"),
    [
        (OU, ["111122223333"], False),  # exact path: direct members only
        (OU + "*", ["111122223333", "222233334444", "222233335555", "333344445555"], False),
        (OU + "ou-*", ["222233334444", "222233335555", "333344445555"], False),
        (PROD, ["222233334444", "222233335555"], False),
        ("o-a1b2c3d4e5/*", None, False),  # the whole organization
        (
            "*/ou-ab12-11111111/*",
            ["111122223333", "222233334444", "222233335555", "333344445555"],
            True,
        ),  # no org id: other orgs may match
        (OU.rstrip("/"), [], False),  # no trailing slash: never equals a path
    ],
)
def test_org_paths_shapes(
    capsys: pytest.CaptureFixture[str], pattern: str, accounts: list[str] | None, outside: bool
) -> None:
    result, _ = match(capsys, "aws:SourceOrgPaths", pattern)
    if accounts is None:
        assert len(result["accounts"]) == 7
    else:
        assert result["accounts"] == accounts
    assert result["outside_org"] is outside


def test_typo_in_an_ou_id_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    result, err = match(capsys, "aws:SourceOrgPaths", "o-a1b2c3d4e5/r-ab12/ou-ab12-1111111x/*")
    assert result["accounts"] == []
    assert "matches no entity path" in err


def test_account_and_arn_guards(capsys: pytest.CaptureFixture[str]) -> None:
    result, err = match(capsys, "aws:SourceAccount", "111122223333", "999999999999")
    assert result["accounts"] == ["111122223333"] and result["outside_org"] is False
    assert "999999999999 is neither in the organization nor trusted" in err
    result, _ = match(capsys, "aws:SourceArn", "arn:aws:cloudtrail:*:*:trail/*")
    assert len(result["accounts"]) == 7 and result["outside_org"] is True
    result, _ = match(capsys, "aws:SourceOrgID", "o-a1b2c3d4e5")
    assert len(result["accounts"]) == 7 and result["outside_org"] is False


def test_show_json_and_account_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "show", ORG, "--format", "json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    workloads = tree["units"][0]
    assert workloads["path"] == OU
    assert workloads["patterns"]["with_descendants"] == OU + "*"
    assert main(["org", "show", ORG, "--account", "222233334444", "--format", "json"]) == 0
    keys = json.loads(capsys.readouterr().out)["source_keys"]
    assert keys["aws:SourceOrgPaths"] == [PROD]
    assert keys["aws:SourceOrgID"] == "o-a1b2c3d4e5"


def test_unknown_account_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "show", ORG, "--account", "123456789012"]) == 2
    assert "not in" in capsys.readouterr().err
