"""SARIF output: valid against the official 2.1.0 schema and shaped for GitHub code scanning."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker

from deputyguard.analysis.model import (
    Finding,
    InputError,
    Location,
    PolicyVerdict,
    Report,
    Severity,
    Verdict,
)
from deputyguard.report import render_sarif
from deputyguard.report.sarif import artifact_location, rule_severity

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ROOT = "/home/ci/repo"
# RFC 3986 URI-reference characters (the schema's "uri-reference" format is not checked by
# jsonschema without optional packages, so the tests check it here).
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")


@dataclass(frozen=True)
class FakeRule:
    id: str
    slug: str
    severity: str
    title: str
    summary: str
    help: str
    bad_example: dict[str, Any] = field(default_factory=dict)
    good_example: dict[str, Any] = field(default_factory=dict)
    spec: str = ""


RULES = (
    FakeRule(
        "DG001",
        "unguarded-service-grant",
        "high",
        "Service principal granted without a source guard",
        "An Allow grants a service principal and no condition binds the source.",
        "Add `aws:SourceAccount` or `aws:SourceArn`.",
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}},
        {"Effect": "Allow", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
        "iam-semantics.md §5.2, §6",
    ),
    FakeRule("DG006", "prefer-arn-operator", "info", "Prefer ArnLike", "Use Arn*.", "Use Arn*."),
    FakeRule("DG013", "allow-with-notprincipal", "high / critical", "NotPrincipal", "s", "h"),
    FakeRule("DG014", "global-name-without-account", "medium", "S3 ARN", "s", "h"),
    FakeRule("DG005", "never-matches", "low", "Dead condition", "s", ""),
)

COUNTEREXAMPLE = {
    "principal": "cloudtrail.amazonaws.com",
    "action": "s3:PutObject",
    "resource": "arn:aws:s3:::trail-bucket/AWSLogs/999988887777/x.json.gz",
    "resourceAccount": "111122223333",
    "context": {
        "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:999988887777:trail/evil",
        "aws:SourceAccount": "999988887777",
    },
}


def _finding(**changes: Any) -> Finding:
    base = Finding(
        rule="DG001",
        name="unguarded-service-grant",
        severity=Severity.HIGH,
        message="cloudtrail.amazonaws.com may write here\non behalf of any trail",
        location=Location("policies/bucket.json", 4, 5, "/Statement/0"),
        policy_pointer="",
        policy_type="resource",
        statement_index=0,
        statement_sid="AllowTrail",
        principal="cloudtrail.amazonaws.com",
        actions=("s3:PutObject",),
        counterexample=COUNTEREXAMPLE,
        suggestion='add "aws:SourceAccount": "111122223333"',
        snippet='"Principal": {"Service": "cloudtrail.amazonaws.com"},',
        fingerprint="0123abcd",
    )
    return replace(base, **changes)


@cache
def _validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FormatChecker())


def _uris(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uri"]] if isinstance(node.get("uri"), str) else []
        return found + [u for v in node.values() for u in _uris(v)]
    if isinstance(node, list):
        return [u for v in node for u in _uris(v)]
    return []


def _check(report: Report, **kwargs: Any) -> dict[str, Any]:
    """Render, validate against the schema and GitHub's extra rules, return the parsed log."""
    text = render_sarif(report, RULES, version="0.1.0", root=ROOT, **kwargs)
    log: dict[str, Any] = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(log)]
    assert not errors, errors
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        assert isinstance(rule["properties"]["security-severity"], str)
        assert len(rule["properties"]["tags"]) <= 10
    for result in log["runs"][0]["results"]:
        assert "\n" not in result["message"]["text"]
        assert isinstance(result["properties"]["security-severity"], str)
    for uri in _uris(log):
        assert URI_REFERENCE.match(uri), uri
        assert "\\" not in uri
    return log


def _run(report: Report, **kwargs: Any) -> dict[str, Any]:
    run: dict[str, Any] = _check(report, **kwargs)["runs"][0]
    return run


def test_schema_file_is_the_oasis_2_1_0_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_schema_rejects_an_invalid_log() -> None:
    log = json.loads(render_sarif(Report(findings=[_finding()]), RULES, version="0", root=ROOT))
    log["runs"][0]["results"][0]["level"] = "critical"
    assert list(_validator().iter_errors(log))


def test_every_rule_is_described() -> None:
    run = _run(Report(), information_uri="https://example.org/dg", help_uri="https://x/{id}")
    driver = run["tool"]["driver"]
    assert driver["name"] == "deputyguard"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://example.org/dg"
    assert [r["id"] for r in driver["rules"]] == [r.id for r in RULES]
    dg001 = driver["rules"][0]
    assert dg001["name"] == "unguarded-service-grant"
    assert dg001["shortDescription"]["text"] == RULES[0].title
    assert dg001["fullDescription"]["text"] == RULES[0].summary
    assert dg001["helpUri"] == "https://x/DG001"
    assert dg001["defaultConfiguration"]["level"] == "error"
    assert dg001["properties"]["security-severity"] == "8.0"
    assert dg001["properties"]["precision"] == "very-high"
    assert "security" in dg001["properties"]["tags"]
    assert "```json" in dg001["help"]["markdown"]
    assert "aws:SourceAccount" in dg001["help"]["text"]
    assert "```" not in dg001["help"]["text"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels == {
        "DG001": "error",
        "DG006": "note",
        "DG013": "error",
        "DG014": "warning",
        "DG005": "note",
    }
    severities = {r["id"]: r["properties"]["security-severity"] for r in driver["rules"]}
    assert severities["DG013"] == "9.5"  # "high / critical": the worst one
    assert severities["DG005"] == "3.0"
    assert severities["DG006"] == "0.0"


def test_no_information_or_help_uri_unless_given() -> None:
    driver = _run(Report())["tool"]["driver"]
    assert "informationUri" not in driver
    assert all("helpUri" not in r for r in driver["rules"])


def test_finding_with_counterexample() -> None:
    run = _run(Report(findings=[_finding()], files=1))
    (result,) = run["results"]
    assert result["ruleId"] == "DG001"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "DG001"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "cloudtrail.amazonaws.com may write here on behalf of any trail. Counterexample: "
        "cloudtrail.amazonaws.com s3:PutObject "
        "arn:aws:s3:::trail-bucket/AWSLogs/999988887777/x.json.gz on behalf of "
        "arn:aws:cloudtrail:us-east-1:999988887777:trail/evil, account 999988887777 → Allowed"
    )
    (location,) = result["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": "policies/bucket.json",
        "uriBaseId": "%SRCROOT%",
    }
    region = location["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (4, 5)
    assert "logicalLocations" not in location
    assert result["partialFingerprints"] == {"deputyguard/v1": "0123abcd"}
    props = result["properties"]
    assert props["security-severity"] == "8.0"
    assert props["policy_type"] == "resource"
    assert props["pointer"] == "/Statement/0"
    assert props["counterexample"] == COUNTEREXAMPLE
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_finding_without_counterexample() -> None:
    finding = _finding(
        rule="DG014",
        name="global-name-without-account",
        severity=Severity.MEDIUM,
        message="S3 ARN has no account",
        counterexample=None,
        suggestion=None,
        location=Location("b.json", 7, None, "/Statement/1/Condition"),
    )
    (result,) = _run(Report(findings=[finding]))["results"]
    assert result["message"]["text"] == "S3 ARN has no account"
    assert result["level"] == "warning"
    assert result["properties"]["security-severity"] == "5.5"
    assert "counterexample" not in result["properties"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert "startColumn" not in result["locations"][0]["physicalLocation"]["region"]


@pytest.mark.parametrize(
    ("severity", "level", "score"),
    [
        (Severity.CRITICAL, "error", "9.5"),
        (Severity.HIGH, "error", "8.0"),
        (Severity.MEDIUM, "warning", "5.5"),
        (Severity.LOW, "note", "3.0"),
        (Severity.INFO, "note", "0.0"),
    ],
)
def test_levels_and_scores(severity: Severity, level: str, score: str) -> None:
    (result,) = _run(Report(findings=[_finding(severity=severity)]))["results"]
    assert result["level"] == level
    assert result["properties"]["security-severity"] == score


def test_positionless_finding_has_no_region() -> None:
    finding = _finding(location=Location("a.json", None, None, ""), snippet=None)
    (result,) = _run(Report(findings=[finding]))["results"]
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_fileless_live_finding_uses_a_logical_location() -> None:
    arn = "arn:aws:sns:us-east-1:111122223333:alerts"
    finding = _finding(location=Location(None, None, None, "/Statement/0", resource=arn))
    (result,) = _run(Report(findings=[finding]))["results"]
    (location,) = result["locations"]
    assert "physicalLocation" not in location
    assert location["logicalLocations"] == [
        {"name": arn, "fullyQualifiedName": arn, "kind": "resource"}
    ]


def test_iac_finding_has_both_locations() -> None:
    location = Location("stack.yaml", 12, 9, "/Resources/P/Properties/PolicyDocument", "P")
    (result,) = _run(Report(findings=[_finding(location=location)]))["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stack.yaml"
    assert result["locations"][0]["logicalLocations"][0]["name"] == "P"


def test_finding_with_no_location_at_all() -> None:
    finding = _finding(location=Location(None, None, None, ""))
    (result,) = _run(Report(findings=[finding]))["results"]
    assert "locations" not in result


def test_input_errors_become_notifications() -> None:
    errors = [
        InputError("policies/broken.json", "Expecting ',' delimiter", 3, 17),
        InputError("arn:aws:s3:::locked", "AccessDenied: GetBucketPolicy"),
        InputError(None, "no input could be read"),
    ]
    run = _run(Report(errors=errors))
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    first, live, bare = invocation["toolExecutionNotifications"]
    assert first["level"] == "error"
    assert first["message"]["text"] == "Expecting ',' delimiter"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "policies/broken.json"
    assert physical["region"] == {"startLine": 3, "startColumn": 17}
    (logical,) = live["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"] == "arn:aws:s3:::locked"
    assert "locations" not in bare


def test_empty_report() -> None:
    run = _run(Report())
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True
    assert len(run["tool"]["driver"]["rules"]) == len(RULES)


def test_unicode_path_is_percent_encoded() -> None:
    finding = _finding(location=Location("politiques/accès dépôt/bücket.json", 1, 1, ""))
    (result,) = _run(Report(findings=[finding]))["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "politiques/acc%C3%A8s%20d%C3%A9p%C3%B4t/b%C3%BCcket.json"


def test_windows_path_normalised_to_forward_slashes() -> None:
    finding = _finding(location=Location(r".\policies\s3\bucket.json", 2, 3, ""))
    (result,) = _run(Report(findings=[finding]))["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "policies/s3/bucket.json", "uriBaseId": "%SRCROOT%"}


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("policies/a.json", ROOT, {"uri": "policies/a.json", "uriBaseId": "%SRCROOT%"}),
        ("./a/../b/c.json", ROOT, {"uri": "b/c.json", "uriBaseId": "%SRCROOT%"}),
        (f"{ROOT}/policies/a.json", ROOT, {"uri": "policies/a.json", "uriBaseId": "%SRCROOT%"}),
        (f"{ROOT}/a.json", ROOT + "/", {"uri": "a.json", "uriBaseId": "%SRCROOT%"}),
        ("/etc/policies/a.json", ROOT, {"uri": "file:///etc/policies/a.json"}),
        (r"C:\repo\pol\a.json", "c:\\Repo", {"uri": "pol/a.json", "uriBaseId": "%SRCROOT%"}),
        (r"D:\other\a b.json", r"C:\repo", {"uri": "file:///D:/other/a%20b.json"}),
        (r"\\server\share\a.json", ROOT, {"uri": "file://server/share/a.json"}),
    ],
)
def test_artifact_location(path: str, root: str, expected: dict[str, str]) -> None:
    assert artifact_location(path, root) == expected


def test_unknown_rule_gets_a_fallback_descriptor() -> None:
    run = _run(Report(findings=[_finding(rule="DG099", name="future-rule")]))
    rules = run["tool"]["driver"]["rules"]
    (result,) = run["results"]
    assert rules[result["ruleIndex"]]["id"] == "DG099"
    assert len(rules) == len(RULES) + 1


def test_rule_index_follows_the_catalog_order() -> None:
    findings = [_finding(rule="DG005", name="never-matches"), _finding(), _finding(rule="DG005")]
    run = _run(Report(findings=findings))
    assert [r["ruleIndex"] for r in run["results"]] == [4, 0, 4]


def test_rule_severity_parsing() -> None:
    assert rule_severity("high") is Severity.HIGH
    assert rule_severity("high / info") is Severity.HIGH
    assert rule_severity("High / Critical") is Severity.CRITICAL
    assert rule_severity("?") is Severity.MEDIUM


def test_output_is_deterministic_utf8_and_newline_ended() -> None:
    report = Report(findings=[_finding(message="accès refusé")])
    text = render_sarif(report, RULES, version="0", root=ROOT)
    assert text == render_sarif(report, RULES, version="0", root=ROOT)
    assert "accès refusé" in text
    assert text.endswith("}\n")


def test_default_root_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    finding = _finding(location=Location(str(tmp_path / "p" / "a.json"), 1, 1, ""))
    log = json.loads(render_sarif(Report(findings=[finding]), RULES, version="0"))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "p/a.json", "uriBaseId": "%SRCROOT%"}


_path_part = st.text(
    alphabet=st.characters(
        categories=None, exclude_categories=["Cs"], exclude_characters="/\\\x00"
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(_path_part, min_size=1, max_size=4),
    windows=st.booleans(),
    line=st.none() | st.integers(min_value=1, max_value=10**6),
    column=st.none() | st.integers(min_value=1, max_value=10**4),
    message=st.text(max_size=80),
    severity=st.sampled_from(Severity),
    with_file=st.booleans(),
)
def test_any_report_is_schema_valid(
    parts: list[str],
    windows: bool,
    line: int | None,
    column: int | None,
    message: str,
    severity: Severity,
    with_file: bool,
) -> None:
    path = ("\\" if windows else "/").join(parts)
    location = Location(path if with_file else None, line, column, "", resource="res")
    finding = _finding(location=location, message=message, severity=severity)
    verdict = PolicyVerdict(location.file, "", Verdict.of([severity]), "resource")
    error = InputError(path, message or "bad", line, column)
    _check(Report(findings=[finding], verdicts=[verdict], errors=[error], files=1))
