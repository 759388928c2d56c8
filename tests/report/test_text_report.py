"""The terminal report: a golden rendering, plain text without colour, one-line counterexamples."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from deputyguard.analysis.model import (
    Finding,
    InputError,
    Location,
    PolicyVerdict,
    Report,
    Severity,
    Verdict,
)
from deputyguard.report import render_text
from deputyguard.report.text import counterexample_line

GOLDEN = Path(__file__).parent / "data" / "text_golden.txt"


@dataclass(frozen=True)
class FakeRule:
    id: str
    slug: str
    severity: str
    title: str
    summary: str = ""
    help: str = ""
    bad_example: dict[str, Any] = field(default_factory=dict)
    good_example: dict[str, Any] = field(default_factory=dict)
    spec: str = ""


RULES = (
    FakeRule("DG001", "unguarded-service-grant", "high", "Service grant without a source guard"),
    FakeRule("DG006", "prefer-arn-operator", "info", "Use an Arn operator on aws:SourceArn"),
    FakeRule("DG014", "global-name-without-account", "medium", "S3 source without an account"),
    FakeRule("DG016", "public-grant", "critical", "Anyone is allowed"),
)

BUCKET_SNIPPET = """\
    {
      "Sid": "AllowTrail",
      "Effect": "Allow",
      "Principal": {"Service": "cloudtrail.amazonaws.com"},
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::trail-bucket/*"
    }"""


def _finding(**changes: Any) -> Finding:
    base = Finding(
        rule="DG001",
        name="unguarded-service-grant",
        severity=Severity.HIGH,
        message="cloudtrail.amazonaws.com may write here on behalf of any account's trail",
        location=Location("policies/bucket.json", 4, 5, "/Statement/0"),
        policy_pointer="",
        policy_type="resource",
        statement_index=0,
        statement_sid="AllowTrail",
        principal="cloudtrail.amazonaws.com",
        actions=("s3:PutObject",),
    )
    return replace(base, **changes)


def _report() -> Report:
    live = "arn:aws:sns:us-east-1:111122223333:alerts"
    findings = [
        _finding(
            snippet=BUCKET_SNIPPET,
            counterexample={
                "principal": "cloudtrail.amazonaws.com",
                "action": "s3:PutObject",
                "resource": "arn:aws:s3:::trail-bucket/AWSLogs/999988887777/x.json.gz",
                "resourceAccount": "111122223333",
                "context": {
                    "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:999988887777:trail/evil",
                    "aws:SourceAccount": "999988887777",
                    "aws:PrincipalIsAWSService": True,
                },
            },
            suggestion='add "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}',
        ),
        _finding(
            rule="DG006",
            name="prefer-arn-operator",
            severity=Severity.INFO,
            message="StringLike on aws:SourceArn: [ArnLike] says what is meant",
            location=Location("policies/bucket.json", 17, 9, "/Statement/1/Condition"),
            suggestion="replace StringLike with ArnLike",
        ),
        _finding(
            rule="DG014",
            name="global-name-without-account",
            severity=Severity.MEDIUM,
            message="aws:SourceArn names an S3 bucket; another account can re-register the name",
            location=Location("stacks/logging.yaml", 23, 11, "/Resources/Logs", "LogsPolicy"),
            policy_pointer="/Resources/LogsPolicy/Properties/PolicyDocument",
            snippet="aws:SourceArn: arn:aws:s3:::access-log-source",
            suggestion="also pin aws:SourceAccount",
        ),
        _finding(
            rule="DG016",
            name="public-grant",
            severity=Severity.CRITICAL,
            message='Principal "*" without a condition: anyone can publish',
            location=Location(None, None, None, "/Statement/0", live),
            principal="*",
            actions=("sns:Publish",),
            counterexample={
                "request": {"principal": "anonymous", "action": "sns:Publish", "resource": live}
            },
        ),
    ]
    verdicts = [
        PolicyVerdict("policies/bucket.json", "", Verdict.FAIL, "resource"),
        PolicyVerdict("policies/queue.json", "", Verdict.PASS, "resource"),
        PolicyVerdict("stacks/logging.yaml", "/Resources/LogsPolicy", Verdict.WARN, "resource"),
        PolicyVerdict("stacks/logging.yaml", "/Resources/KeyPolicy", Verdict.PASS, "resource"),
        PolicyVerdict(None, "", Verdict.FAIL, "resource", live),
    ]
    errors = [
        InputError("policies/broken.json", "Expecting ',' delimiter", 3, 17),
        InputError("arn:aws:s3:::locked-bucket", "AccessDenied: GetBucketPolicy"),
    ]
    return Report(findings=findings, verdicts=verdicts, errors=errors, files=4)


def _render(report: Report) -> tuple[str, str]:
    stream = io.StringIO()
    console = Console(width=100, no_color=True, record=True, file=stream)
    render_text(report, console, RULES)
    return console.export_text(), stream.getvalue()


def test_golden() -> None:
    recorded, written = _render(_report())
    if os.environ.get("DEPUTYGUARD_UPDATE_GOLDEN"):
        GOLDEN.write_text(recorded, encoding="utf-8")
    assert recorded == GOLDEN.read_text(encoding="utf-8")
    assert written == recorded
    assert "\x1b" not in written


def test_colour_comes_from_styles() -> None:
    stream = io.StringIO()
    console = Console(width=100, file=stream, force_terminal=True, color_system="truecolor")
    render_text(_report(), console, RULES)
    assert "\x1b[" in stream.getvalue()


def test_long_lines_are_not_wrapped() -> None:
    stream = io.StringIO()
    console = Console(width=40, no_color=True, file=stream)
    render_text(_report(), console, RULES)
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("    counterexample: ") and len(line) > 40 for line in lines)
    assert not any(line.startswith("on behalf of") for line in lines)


def test_markup_in_messages_is_printed_literally() -> None:
    recorded, _ = _render(_report())
    assert "[ArnLike]" in recorded


def test_empty_report() -> None:
    recorded, _ = _render(Report())
    assert recorded == "Checked 0 files, 0 policies: 0 findings\n"


@pytest.mark.parametrize(
    ("counterexample", "expected"),
    [
        (
            {
                "principal": "delivery.logs.amazonaws.com",
                "action": "s3:PutObject",
                "resource": "arn:aws:s3:::b/k",
                "context": {"AWS:SourceOrgID": "o-zzzzzzzzzz", "aws:SourceOrgPaths": ["p/", "q/"]},
            },
            "delivery.logs.amazonaws.com s3:PutObject arn:aws:s3:::b/k on behalf of "
            "org o-zzzzzzzzzz, org path p/,q/ → Allowed",
        ),
        (
            {"principal": "sns.amazonaws.com", "action": "sqs:SendMessage", "resource": "q"},
            "sns.amazonaws.com sqs:SendMessage q with no source keys → Allowed",
        ),
        (
            {
                "request": {
                    "principal": "config.amazonaws.com",
                    "action": "s3:PutObject",
                    "resource": "r",
                    "source": {"arn": "arn:aws:config:us-east-1:444455556666:x", "account": "4"},
                    "context": {"aws:SourceAccount": "444455556666"},
                },
                "decision": "ImplicitlyDenied",
            },
            "config.amazonaws.com s3:PutObject r on behalf of "
            "arn:aws:config:us-east-1:444455556666:x, account 444455556666 → ImplicitlyDenied",
        ),
        (
            {"principal": "arn:aws:iam::999988887777:root", "action": "s3:GetObject"},
            "arn:aws:iam::999988887777:root s3:GetObject ? → Allowed",
        ),
    ],
)
def test_counterexample_line(counterexample: dict[str, Any], expected: str) -> None:
    assert counterexample_line(counterexample) == expected
