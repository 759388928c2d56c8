"""`deputyguard check` on CloudFormation and Terraform, end to end (issue 6).

The analyzer corpus's subtle cases rewritten as templates (tests/sources/data/*/corpus, listed in
each format's expected.yaml) must get the same verdicts and rules as their JSON form, with
findings that point at the template's own lines and name the resource. A template with unknown
values is reported as "cannot verify" (DG020), and bad files are reported with their line while
the other files are still analyzed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.cli import main

DATA = Path(__file__).parents[1] / "sources" / "data"
CORPUS = Path(__file__).parents[1] / "analysis" / "corpus"
OWNER = "111122223333"


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _cloudformation_cases() -> list[Any]:
    expected = yaml.safe_load((DATA / "cloudformation" / "expected.yaml").read_text())
    return [
        pytest.param(
            {
                "file": DATA / "cloudformation" / case["file"],
                "resource": case["resource"],
                "pointer": case["pointer"],
                "verdict": case["verdict"],
                "rules": case["rules"],
                "line": case["first_finding_line"],
            },
            id=case["file"],
        )
        for case in expected["cases"]
    ]


def _terraform_cases() -> list[Any]:
    expected = yaml.safe_load((DATA / "terraform" / "expected.yaml").read_text())
    corpus = next(m for m in expected["modules"] if m["module"] == "corpus")
    return [
        pytest.param(
            {
                "file": DATA / "terraform" / policy["file"],
                "resource": policy["resource"],
                "pointer": policy["pointer"],
                "verdict": policy["verdict"],
                "rules": policy["rules"],
                "line": (policy["first_finding"] or {}).get("line"),
            },
            id=policy["file"],
        )
        for policy in corpus["policies"]
    ]


@pytest.fixture(scope="module")
def terraform_report() -> dict[str, Any]:
    """The Terraform corpus is one module: checked once, as a folder."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(
            [
                "check",
                str(DATA / "terraform" / "corpus"),
                "--account",
                OWNER,
                "--org",
                str(CORPUS / "org.yaml"),
                "--format",
                "json",
            ]
        )
    report: dict[str, Any] = json.loads(buffer.getvalue())
    return report


def _assert_case(report: dict[str, Any], case: dict[str, Any]) -> None:
    file = Path(case["file"]).resolve()
    verdicts = [
        v
        for v in report["verdicts"]
        if Path(v["file"]).resolve() == file and v["resource"] == case["resource"]
    ]
    assert [v["verdict"] for v in verdicts] == [case["verdict"]], report["errors"]
    assert verdicts[0]["pointer"] == case["pointer"]
    findings = [
        f
        for f in report["findings"]
        if Path(f["file"]).resolve() == file and f["resource"] == case["resource"]
    ]
    serious = sorted({f["rule"] for f in findings if f["severity"] != "info"})
    expected = sorted(
        r
        for r in case["rules"]
        if r not in {f["rule"] for f in findings if f["severity"] == "info"}
    )
    assert serious == expected
    assert {f["rule"] for f in findings} == set(case["rules"])
    if case["line"] is not None:
        assert findings[0]["line"] == case["line"], findings[0]
        assert findings[0]["pointer"].startswith(case["pointer"])
    for finding in findings:
        if finding["severity"] in ("high", "critical"):
            assert finding["counterexample"] is not None


@pytest.mark.parametrize("case", _cloudformation_cases())
def test_cloudformation_corpus_gets_the_json_verdicts(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = _check(
        capsys, str(case["file"]), "--account", OWNER, "--org", str(CORPUS / "org.yaml")
    )
    assert report["errors"] == []
    _assert_case(report, case)


@pytest.mark.parametrize("case", _terraform_cases())
def test_terraform_corpus_gets_the_json_verdicts(
    case: dict[str, Any], terraform_report: dict[str, Any]
) -> None:
    assert terraform_report["errors"] == []
    _assert_case(terraform_report, case)


EXAMPLES = Path(__file__).parents[2] / "examples" / "iac"


def test_unknown_guard_is_cannot_verify_not_pass_or_fail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = _check(capsys, str(EXAMPLES / "cloudformation" / "alerts-topic.yaml"))
    by_resource = {v["resource"]: v["verdict"] for v in report["verdicts"]}
    assert by_resource == {"AlertsTopicPolicy": "FAIL", "AlarmsTopicPolicy": "WARN"}
    dg020 = [f for f in report["findings"] if f["rule"] == "DG020"]
    assert len(dg020) == 1
    finding = dg020[0]
    assert finding["severity"] == "medium" and finding["counterexample"] is None
    assert "AlarmAccount has no default" in finding["message"]
    # points at `aws:SourceAccount: !Ref AlarmAccount`, not at synthesized JSON
    line = (
        (EXAMPLES / "cloudformation" / "alerts-topic.yaml")
        .read_text()
        .splitlines()[finding["line"] - 1]
    )
    assert "!Ref AlarmAccount" in line
    assert code == 1


def test_with_a_default_the_value_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Give the parameter a default and the guard is verified: the owner passes, another
    account is DG010 with a counterexample."""
    text = (EXAMPLES / "cloudformation" / "alerts-topic.yaml").read_text()
    owned = text.replace(
        "    Description: account whose alarms may publish (no default)\n",
        f'    Default: "{OWNER}"\n',
    )
    assert owned != text
    (tmp_path / "owned.yaml").write_text(owned)
    (tmp_path / "foreign.yaml").write_text(owned.replace(f'"{OWNER}"', '"999988887777"'))
    _, report = _check(capsys, str(tmp_path), "--account", OWNER)
    alarms = {
        Path(v["file"]).name: v["verdict"]
        for v in report["verdicts"]
        if v["resource"] == "AlarmsTopicPolicy"
    }
    assert alarms == {"owned.yaml": "PASS", "foreign.yaml": "FAIL"}
    foreign = [
        f
        for f in report["findings"]
        if f["resource"] == "AlarmsTopicPolicy" and f["file"].endswith("foreign.yaml")
    ]
    assert [f["rule"] for f in foreign] == ["DG010"]
    assert foreign[0]["counterexample"]["context"]["aws:SourceAccount"] == "999988887777"


def test_discovery_reads_every_format_and_goes_on_after_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "iac")
    (tmp_path / "iac" / "broken.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: [unclosed\n"
    )
    (tmp_path / "iac" / "terraform" / "broken.tf").write_text('resource "x" "y" {\n  a = \n')
    (tmp_path / "iac" / "workflow.yml").write_text("on: push\njobs: {}\n")  # not a template
    skipped = tmp_path / "iac" / ".terraform" / "modules"
    skipped.mkdir(parents=True)
    (skipped / "vendored.tf").write_text('resource "x" "y" {\n')
    (tmp_path / "iac" / "node_modules").mkdir()
    (tmp_path / "iac" / "node_modules" / "t.yaml").write_text("Resources: [\n")
    code, report = _check(capsys, str(tmp_path / "iac"))
    files = {Path(e["file"]).name: e for e in report["errors"]}
    assert set(files) == {"broken.yaml", "broken.tf"}
    assert files["broken.yaml"]["line"] is not None
    assert files["broken.tf"]["line"] is not None
    analyzed = {Path(v["file"]).name for v in report["verdicts"]}
    assert analyzed == {"audit-trail.yaml", "alerts-topic.yaml", "flow-logs.tf", "events-queue.tf"}
    assert code == 1  # findings at or above high, even with input errors


def test_config_excludes_apply_to_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "iac")
    (tmp_path / ".deputyguard.toml").write_text('exclude = ["iac/terraform"]\n')
    monkeypatch.chdir(tmp_path)
    _, report = _check(capsys, "iac")
    assert {Path(v["file"]).suffix for v in report["verdicts"]} == {".yaml"}


def test_sarif_names_the_template_resource(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(EXAMPLES / "terraform"), "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    assert results
    for result in results:
        location = result["locations"][0]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        names = [
            loc.get("fullyQualifiedName") or loc.get("name")
            for loc in location.get("logicalLocations", [])
        ]
        assert "aws_s3_bucket_policy.flow_logs" in names


def test_suggestions_name_the_deploying_account_as_the_template_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --account the owner is symbolic: the fix hint says how each format writes it."""
    _, report = _check(capsys, str(EXAMPLES))
    hints = {
        Path(f["file"]).suffix: f["suggestion"] for f in report["findings"] if f["rule"] == "DG001"
    }
    assert "${AWS::AccountId}" in hints[".yaml"]
    assert "${data.aws_caller_identity.current.account_id}" in hints[".tf"]
    assert all("000000000000" not in hint for hint in hints.values())


def test_a_json_file_read_by_a_module_is_analyzed_once_as_its_resource(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, report = _check(capsys, str(DATA / "terraform" / "resources"), "--account", OWNER)
    key = [v for v in report["verdicts"] if v["file"].endswith("policies/key.json")]
    assert [v["resource"] for v in key] == ["aws_kms_key.logs"]


def test_ecr_repository_policies_have_no_resource_and_are_analyzed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ECR repository policies omit Resource (the repository is implicit): not a blocking
    MISSING_RESOURCE, but a policy whose unguarded Lambda pull is DG001."""
    _, report = _check(
        capsys,
        str(DATA / "cloudformation" / "secrets_ecr.yaml"),
        str(DATA / "terraform" / "resources"),
        "--account",
        OWNER,
    )
    assert report["errors"] == []
    verdicts = {v["resource"]: v["verdict"] for v in report["verdicts"]}
    assert verdicts["Images"] == "FAIL"
    assert verdicts["aws_ecr_repository_policy.app"] == "PASS"
    images = [f for f in report["findings"] if f["resource"] == "Images"]
    assert [f["rule"] for f in images] == ["DG001"]
    assert images[0]["counterexample"]["resource"].startswith("arn:aws:ecr:")


def test_every_fixture_policy_gets_its_verdict_and_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every resource type and policy form of the reader fixtures, through `check`
    (tests/sources/data/verdicts.yaml; the corpus rewrites are checked above)."""
    expected = yaml.safe_load((DATA / "verdicts.yaml").read_text())["policies"]
    monkeypatch.chdir(DATA)
    _, report = _check(capsys, "cloudformation", "terraform", "--account", OWNER)
    got: dict[tuple[str, str, str], dict[str, Any]] = {}
    for verdict in report["verdicts"]:
        if "/corpus/" in verdict["file"]:
            continue
        key = (verdict["file"], verdict["resource"], verdict["pointer"])
        got.setdefault(key, {"verdicts": [], "rules": set()})["verdicts"].append(verdict["verdict"])
    for finding in report["findings"]:
        for (file, resource, pointer), entry in got.items():
            inside = finding["pointer"] == pointer or finding["pointer"].startswith(pointer + "/")
            if finding["file"] == file and finding["resource"] == resource and inside:
                entry["rules"].add(finding["rule"])
    assert {
        key: (sorted(entry["verdicts"]), sorted(entry["rules"])) for key, entry in got.items()
    } == {
        (p["file"], p["resource"], p["pointer"]): (sorted(p["verdicts"]), sorted(p["rules"]))
        for p in expected
    }
