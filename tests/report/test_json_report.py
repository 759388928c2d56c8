"""The `check --format json` document must match cli.md member for member, in order."""

from __future__ import annotations

import json

from deputyguard.analysis.model import (
    Finding,
    InputError,
    Location,
    PolicyVerdict,
    Report,
    Severity,
    Verdict,
)
from deputyguard.report import render_json

COUNTEREXAMPLE = {
    "principal": "cloudtrail.amazonaws.com",
    "action": "s3:PutObject",
    "resource": "arn:aws:s3:::trail-bucket/AWSLogs/999988887777/x.json.gz",
    "resourceAccount": "111122223333",
    "context": {"aws:SourceAccount": "999988887777"},
}


def _report() -> Report:
    finding = Finding(
        rule="DG001",
        name="unguarded-service-grant",
        severity=Severity.HIGH,
        message="cloudtrail.amazonaws.com may write for any trail — «überall»",
        location=Location("bucket.json", 4, 5, "/Statement/0"),
        policy_pointer="",
        policy_type="resource",
        statement_index=0,
        statement_sid="AllowTrail",
        principal="cloudtrail.amazonaws.com",
        actions=("s3:PutObject",),
        counterexample=COUNTEREXAMPLE,
        suggestion="pin aws:SourceAccount",
        fingerprint="f1",
    )
    return Report(
        findings=[finding],
        verdicts=[PolicyVerdict("bucket.json", "", Verdict.FAIL, "resource")],
        errors=[InputError("broken.json", "Expecting ',' delimiter", 3, 17)],
        files=2,
    )


def test_top_level_members_in_contract_order() -> None:
    document = json.loads(render_json(_report(), version="1.2.3"))
    assert list(document) == ["tool", "findings", "verdicts", "errors", "summary"]
    assert document["tool"] == {"name": "deputyguard", "version": "1.2.3"}


def test_members_are_the_models_own_json() -> None:
    report = _report()
    document = json.loads(render_json(report, version="0"))
    assert document["findings"] == [f.to_json() for f in report.findings]
    assert document["verdicts"] == [v.to_json() for v in report.verdicts]
    assert document["errors"] == [e.to_json() for e in report.errors]
    assert document["summary"] == {
        "files": 2,
        "policies": 1,
        "findings": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0},
    }


def test_cli_md_finding_members_present() -> None:
    finding = json.loads(render_json(_report(), version="0"))["findings"][0]
    for member in (
        "rule",
        "name",
        "severity",
        "file",
        "line",
        "column",
        "pointer",
        "resource",
        "policy_type",
        "statement",
        "principal",
        "actions",
        "message",
        "counterexample",
        "fingerprint",
    ):
        assert member in finding
    assert finding["statement"] == {"index": 0, "sid": "AllowTrail"}
    assert finding["counterexample"] == COUNTEREXAMPLE


def test_utf8_two_space_indent_newline_ended() -> None:
    text = render_json(_report(), version="0")
    assert "«überall»" in text and "\\u" not in text
    assert text.endswith("}\n")
    assert text.splitlines()[1] == '  "tool": {'
    assert text == render_json(_report(), version="0")  # deterministic


def test_empty_report() -> None:
    document = json.loads(render_json(Report(), version="0"))
    assert document["findings"] == document["verdicts"] == document["errors"] == []
    assert document["summary"]["policies"] == 0
    assert set(document["summary"]["findings"].values()) == {0}
