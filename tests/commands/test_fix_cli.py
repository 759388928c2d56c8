"""`deputyguard fix`: every FAIL policy of the corpus gets a verified fix where one is sound, and
the fix is checked here independently of the fixer's own verification."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, OutcomeKind, PolicyInput
from deputyguard.cli import main
from deputyguard.org import load_org
from deputyguard.policy.model import PolicyType

CORPUS = Path(__file__).parents[1] / "analysis" / "corpus"
OWNER = "111122223333"


def _fail_cases() -> list[Any]:
    data = yaml.safe_load((CORPUS / "expected.yaml").read_text())
    return [
        pytest.param(c, id=c["file"])
        for c in data["cases"]
        if c["verdict"] == "FAIL"
        and c.get("policy_type", "resource") == "resource"
        and "org" not in c
        and "account" not in c
    ]


def _analyzer() -> Analyzer:
    org = load_org(CORPUS / "org.yaml")
    return Analyzer(AnalysisSettings(OWNER, org, org.trusted_accounts))


@pytest.mark.parametrize("scope", ["account", "org"])
@pytest.mark.parametrize("case", _fail_cases())
def test_fixes_are_sound(
    case: dict[str, Any], scope: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / case["file"]
    shutil.copy(CORPUS / case["file"], path)
    code = main(
        [
            "fix",
            str(path),
            "--org",
            str(CORPUS / "org.yaml"),
            "--account",
            OWNER,
            "--scope",
            scope,
            "--format",
            "json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    if not result["fixes"]:
        (unfixed,) = result["unfixed"]
        assert unfixed["reason"]  # every refusal says why
        assert (
            set(unfixed["rules"]) & {"DG013", "DG016"}
            or "documented not to send" in (unfixed["reason"])
            or "would" in unfixed["reason"]
            or "still" in unfixed["reason"]
        )
        return
    (fix,) = result["fixes"]
    original = json.loads(path.read_text())
    analyzer = _analyzer()
    before = analyzer.analyze(PolicyInput(str(path), "", original, PolicyType.RESOURCE))
    fixed_item = PolicyInput(str(path), "", fix["policy"], PolicyType.RESOURCE)
    after = analyzer.analyze(fixed_item)
    # (d) no high/critical finding is left
    assert not [f for f in after.findings if f.severity.value in ("high", "critical")]
    # (b) every original counterexample is now denied
    for finding in before.findings:
        if finding.counterexample:
            decision = analyzer.replay(fixed_item, finding.counterexample)
            assert decision is not None and not decision.allowed, finding.rule
    # (c) the legitimate source keeps its access; (a) no denied request becomes allowed
    was = {
        json.dumps(o.probe.request_json(OWNER), sort_keys=True): o.decision.allowed
        for o in analyzer.adversarial(PolicyInput(str(path), "", original, PolicyType.RESOURCE))
    }
    for outcome in analyzer.adversarial(fixed_item):
        key = json.dumps(outcome.probe.request_json(OWNER), sort_keys=True)
        if key in was:
            if outcome.probe.kind.value == "legitimate" and was[key]:
                assert outcome.decision.allowed
            if not was[key]:
                assert not outcome.decision.allowed
        assert outcome.kind is not OutcomeKind.EXPLOIT


def test_write_keeps_indentation_and_diff_applies_with_patch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / "dg003-stringequalsifexists-sourceaccount.json"
    original = tmp_path / "policy.json"
    text = json.dumps(json.loads(source.read_text()), indent=4) + "\n"
    original.write_text(text)
    copy = tmp_path / "copy.json"
    copy.write_text(text)
    args = ["--org", str(CORPUS / "org.yaml"), "--account", OWNER]
    assert main(["fix", str(original), *args, "--diff"]) == 0
    diff = capsys.readouterr().out
    assert diff.startswith("--- a/")
    assert main(["fix", str(copy), *args, "--write"]) == 0
    capsys.readouterr()
    written = copy.read_text()
    assert written.splitlines()[1].startswith("    ") and not written.splitlines()[1].startswith(
        "     "
    )
    if shutil.which("patch"):
        subprocess.run(
            ["patch", "-s", "-p1", str(original)],
            input=diff.replace(str(original), "x"),
            text=True,
            check=True,
            cwd=tmp_path,
        )
        assert original.read_text() == written


def test_unknown_owner_is_never_guessed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::trail-bucket/*",
            }
        ],
    }
    path = tmp_path / "bucket.json"
    path.write_text(json.dumps(bucket))
    code = main(["fix", str(path), "--scope", "account", "--format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["fixes"] == []
    assert "--account" in result["unfixed"][0]["reason"]


@pytest.mark.parametrize(
    ("source_arn", "pinned_account"),
    [
        ("arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail", None),
        ("arn:aws:s3:::example-source-bucket", OWNER),  # no account field: pin SourceAccount
    ],
)
def test_source_arn_scope(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source_arn: str,
    pinned_account: str | None,
) -> None:
    path = tmp_path / "bucket.json"
    shutil.copy(CORPUS / "dg001-cloudtrail-no-condition.json", path)
    code = main(
        [
            "fix",
            str(path),
            "--org",
            str(CORPUS / "org.yaml"),
            "--account",
            OWNER,
            "--scope",
            "source-arn",
            "--source-arn",
            source_arn,
            "--format",
            "json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    (fix,) = result["fixes"]
    condition = fix["policy"]["Statement"][0]["Condition"]
    assert condition["ArnEquals"]["aws:SourceArn"] == source_arn
    if pinned_account:
        assert condition["StringEquals"]["aws:SourceAccount"] == pinned_account
    else:
        assert "StringEquals" not in condition
    assert all(fix["checks"].values())
