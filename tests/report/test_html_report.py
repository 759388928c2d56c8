"""The HTML report: complete, and safe with hostile policy content (everything escaped)."""

from __future__ import annotations

from deputyguard.analysis.model import Finding, Location, PolicyVerdict, Report, Severity, Verdict
from deputyguard.report.html import render_html


def test_findings_verdicts_and_errors_are_rendered_and_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    finding = Finding(
        rule="DG001",
        name="unguarded-service-grant",
        severity=Severity.HIGH,
        message=f"cloudtrail may write {hostile}",
        location=Location("policies/<b>bucket</b>.json", 4, 5, "/Statement/0"),
        policy_pointer="",
        policy_type="resource",
        statement_index=0,
        statement_sid="AllowTrail",
        principal="cloudtrail.amazonaws.com",
        actions=("s3:PutObject",),
        counterexample={
            "principal": "cloudtrail.amazonaws.com",
            "action": "s3:PutObject",
            "resource": "arn:aws:s3:::b/x",
            "context": {"aws:SourceAccount": hostile},
        },
        suggestion="pin aws:SourceAccount",
        snippet=hostile,
    )
    report = Report(
        findings=[finding],
        verdicts=[PolicyVerdict("policies/<b>bucket</b>.json", "", Verdict.FAIL, "resource")],
        files=1,
    )
    page = render_html(report, [], version="0.1.0")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "DG001" in page and "FAIL" in page and "pin aws:SourceAccount" in page
    assert "1 high" in page
