"""Values unknown until deployment (deputyguard.analysis.unknowns and the analyzer's DG020).

An unknown never passes silently and never fails as if it were known: findings that hold for every
value are reported as themselves, findings that hold only for some values as DG020 (medium), and
unknowns that cannot change a decision (resource names, a value next to a correct guard) change
nothing.
"""

from __future__ import annotations

from typing import Any

from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, PolicyInput
from deputyguard.analysis.model import Severity
from deputyguard.analysis.unknowns import first_unknown_pointer, readings
from deputyguard.policy.jsontext import Position
from deputyguard.policy.model import PolicyType

OWNER = "111122223333"
PEER = "deputyguard-unknown-1"
BUCKET = "deputyguard-unknown-2"
REASONS = {
    PEER: "parameter PeerAccount has no default (t.yaml line 4)",
    BUCKET: "parameter BucketName has no default (t.yaml line 6)",
}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _trail(condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "TrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    return statement


def _analyze(document: dict[str, Any], positions: dict[str, Position] | None = None) -> Any:
    analyzer = Analyzer(AnalysisSettings())
    return analyzer.analyze(
        PolicyInput(
            "t.yaml",
            "/Resources/P/Properties/PolicyDocument",
            document,
            PolicyType.RESOURCE,
            resource="P",
            positions=positions,
            owner=OWNER,
            unknowns=REASONS,
        )
    )


def test_unknown_guard_value_cannot_be_verified() -> None:
    pointer = "/Resources/P/Properties/PolicyDocument/Statement/0"
    positions = {
        pointer: Position(8, 7),
        pointer + "/Condition/StringEquals/aws:SourceAccount": Position(14, 38),
    }
    result = _analyze(
        _policy(_trail({"StringEquals": {"aws:SourceAccount": PEER}})), positions=positions
    )
    assert result.error is None
    assert [(f.rule, f.severity) for f in result.findings] == [("DG020", Severity.MEDIUM)]
    finding = result.findings[0]
    assert finding.counterexample is None
    assert "PeerAccount has no default" in finding.message
    assert "BucketName" not in finding.message, "the resource name does not decide anything"
    assert (finding.location.line, finding.location.column) == (14, 38)
    assert finding.location.resource == "P"
    assert result.verdict.verdict.value == "WARN"


def test_unguarded_grant_is_high_whatever_the_unknowns() -> None:
    result = _analyze(_policy(_trail()))
    assert {f.rule for f in result.findings if f.severity is Severity.HIGH} == {"DG001"}
    assert "DG020" not in {f.rule for f in result.findings}
    assert result.verdict.verdict.value == "FAIL"


def test_unknown_next_to_a_correct_guard_passes() -> None:
    guarded = _trail(
        {
            "StringEquals": {"aws:SourceAccount": OWNER},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{OWNER}:trail/{PEER}"},
        }
    )
    result = _analyze(_policy(guarded))
    assert result.findings == [] and result.verdict.verdict.value == "PASS"


def test_unknown_only_in_resource_changes_nothing() -> None:
    result = _analyze(_policy(_trail({"StringEquals": {"aws:SourceAccount": OWNER}})))
    assert result.findings == [] and result.verdict.verdict.value == "PASS"
    assert readings(_policy(_trail())) is None


def test_deny_with_unknown_cannot_be_relied_on() -> None:
    """A Deny guard whose value is unknown may deny nothing: DG020, not PASS and not DG001."""
    deny = {
        "Sid": "DenyForeign",
        "Effect": "Deny",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceAccount": PEER}},
    }
    result = _analyze(_policy(_trail(), deny))
    # The Allow is unguarded, and whether the Deny closes it depends on PeerAccount. The wide
    # reading (Deny dropped) has the counterexample; the narrow one (Deny widened to every
    # request of the service) does not.
    assert [f.rule for f in result.findings if f.severity.rank >= Severity.MEDIUM.rank] == ["DG020"]


def test_unknown_principal_is_not_guessed() -> None:
    statement = _trail(Principal={"Service": PEER})
    result = _analyze(_policy(statement))
    assert [f.rule for f in result.findings] == ["DG020"]


def test_readings_keep_statement_indices() -> None:
    document = _policy(
        _trail({"StringEquals": {"aws:SourceAccount": PEER}}),
        _trail({"StringEquals": {"aws:SourceAccount": OWNER}}),
    )
    bounded = readings(document)
    assert bounded is not None
    assert len(bounded.narrow["Statement"]) == len(bounded.wide["Statement"]) == 2
    assert bounded.inert_in_narrow == {0} and bounded.inert_in_wide == set()
    assert "Condition" not in bounded.wide["Statement"][0]
    assert bounded.narrow["Statement"][1] == document["Statement"][1]
    assert (
        first_unknown_pointer(document, 0, "/p")
        == "/p/Statement/0/Condition/StringEquals/aws:SourceAccount"
    )
    assert first_unknown_pointer(document, 1, "/p") is None


def test_a_medium_that_depends_on_the_unknown_is_not_passed_silently() -> None:
    """CloudTrail writing under AWSLogs/<owner>/ with an unknown guard: for a foreign value the
    grant would rest on the path convention alone (DG001 medium), so PASS would be a guess."""
    statement = _trail(
        {"StringEquals": {"aws:SourceAccount": PEER}},
        Resource=f"arn:aws:s3:::{BUCKET}/AWSLogs/{OWNER}/*",
    )
    result = _analyze(_policy(statement))
    assert [(f.rule, f.severity) for f in result.findings] == [("DG020", Severity.MEDIUM)]
    assert "DG001" in result.findings[0].message
