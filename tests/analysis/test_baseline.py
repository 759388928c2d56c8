"""Baselines: fingerprints survive layout changes and edits elsewhere, and not a changed guard."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from deputyguard.analysis.baseline import (
    BaselineError,
    filter_new,
    fingerprint,
    load_baseline,
    policy_identity,
    write_baseline,
)
from deputyguard.analysis.model import Finding, Location, Severity
from deputyguard.sources import read_policy_file

GUARDED = {
    "Sid": "AllowTrail",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::trail/AWSLogs/*",
    "Condition": {"StringLike": {"aws:SourceArn": ["arn:aws:cloudtrail:*:111122223333:trail/*"]}},
}
OTHER = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}


def fingerprints_of(
    tmp_path: Path, statements: list[dict[str, Any]], indent: int | None
) -> dict[str, str]:
    """Write a policy, read it back as deputyguard does, and fingerprint each statement."""
    path = tmp_path / "bucket.json"
    document = {"Version": "2012-10-17", "Statement": statements}
    path.write_text(json.dumps(document, indent=indent), encoding="utf-8")
    [source] = read_policy_file(path, policy_type=None)[0]
    identity = policy_identity(
        file=source.file, name=source.name, pointer=source.pointer, root=tmp_path
    )
    result: dict[str, str] = {}
    assert isinstance(source.document, dict)
    for index, statement in enumerate(source.document["Statement"]):
        label = statement.get("Sid") or f"#{index}"
        result[label] = fingerprint(
            rule="DG001",
            policy_identity=identity,
            statement=statement,
            principal="cloudtrail.amazonaws.com",
            actions=["s3:PutObject"],
        )
    return result


def test_fingerprint_shape() -> None:
    value = fingerprint(
        rule="DG001", policy_identity="a.json", statement=None, principal=None, actions=[]
    )
    assert len(value) == 32
    assert int(value, 16) >= 0


def test_reindenting_keeps_fingerprints(tmp_path: Path) -> None:
    compact = fingerprints_of(tmp_path, [GUARDED, OTHER], indent=None)
    indented = fingerprints_of(tmp_path, [GUARDED, OTHER], indent=8)
    assert compact == indented


def test_reordering_statements_with_sids_keeps_fingerprints(tmp_path: Path) -> None:
    second = {**OTHER, "Sid": "Admin"}
    before = fingerprints_of(tmp_path, [GUARDED, second], indent=2)
    after = fingerprints_of(tmp_path, [second, GUARDED], indent=2)
    assert before == after


def test_inserting_an_unrelated_statement_before_keeps_fingerprints(tmp_path: Path) -> None:
    plain = {k: v for k, v in GUARDED.items() if k != "Sid"}
    before = fingerprints_of(tmp_path, [GUARDED, plain], indent=2)
    after = fingerprints_of(tmp_path, [OTHER, GUARDED, plain], indent=2)
    assert before["AllowTrail"] == after["AllowTrail"]
    assert before["#1"] == after["#2"]  # no Sid: identified by content, not index


def test_changing_the_condition_changes_the_fingerprint(tmp_path: Path) -> None:
    plain = {k: v for k, v in GUARDED.items() if k != "Sid"}
    weaker = {"StringLike": {"aws:SourceArn": ["arn:aws:cloudtrail:*:*:trail/*"]}}
    before = fingerprints_of(tmp_path, [GUARDED, plain], indent=2)
    after = fingerprints_of(
        tmp_path, [{**GUARDED, "Condition": weaker}, {**plain, "Condition": weaker}], indent=2
    )
    assert before["AllowTrail"] != after["AllowTrail"]
    assert before["#1"] != after["#1"]


def test_list_order_and_single_item_lists_do_not_matter() -> None:
    def of(statement: dict[str, Any]) -> str:
        return fingerprint(
            rule="DG001",
            policy_identity="p.json",
            statement=statement,
            principal="sns.amazonaws.com",
            actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
        )

    a = {"Effect": "Allow", "Action": ["a:X", "a:Y"], "Resource": ["r"], "Principal": "*"}
    b = {"Principal": "*", "Resource": "r", "Action": ["a:Y", "a:X", "a:Y"], "Effect": "Allow"}
    assert of(a) == of(b)
    assert of(a) != of({**a, "Resource": ["r", "s"]})


def test_sid_identifies_a_statement_whose_resources_change() -> None:
    def of(statement: dict[str, Any]) -> str:
        return fingerprint(
            rule="DG001",
            policy_identity="p.json",
            statement=statement,
            principal="cloudtrail.amazonaws.com",
            actions=["s3:PutObject"],
        )

    assert of(GUARDED) == of({**GUARDED, "Resource": ["arn:aws:s3:::other/*"]})


@pytest.mark.parametrize(
    "change",
    [
        {"rule": "DG004"},
        {"policy_identity": "other.json"},
        {"principal": "config.amazonaws.com"},
        {"actions": ["s3:GetObject"]},
        {"detail": "aws:SourceArn"},
    ],
)
def test_every_part_counts(change: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "rule": "DG001",
        "policy_identity": "bucket.json",
        "statement": GUARDED,
        "principal": "cloudtrail.amazonaws.com",
        "actions": ["s3:PutObject"],
    }
    assert fingerprint(**base) != fingerprint(**{**base, **change})


def test_policy_identity() -> None:
    here = os.getcwd()
    # A name beats the pointer, so moving a named policy within its file keeps its identity.
    assert policy_identity(file="p.json", name="Bucket", pointer="/0") == "p.json#Bucket"
    assert policy_identity(file="p.json", name="Bucket", pointer="/3") == "p.json#Bucket"
    assert policy_identity(file="p.json", pointer="/1") == "p.json#/1"
    assert policy_identity(file="p.json") == "p.json"
    assert policy_identity(file="t.yaml", name="X", resource="MyBucket") == "t.yaml#MyBucket"
    assert policy_identity(file=None, resource="arn:aws:s3:::b") == "arn:aws:s3:::b"
    nested = os.path.join(here, "infra", "p.json")
    assert policy_identity(file=nested) == "infra/p.json"
    assert policy_identity(file=os.path.join("infra", "p.json"), root="infra") == "p.json"


def finding(fp: str, rule: str = "DG001", file: str | None = "bucket.json") -> Finding:
    return Finding(
        rule=rule,
        name="unguarded-service-grant",
        severity=Severity.HIGH,
        message=f"{rule} message",
        location=Location(file, 4, 5, "/Statement/0"),
        policy_pointer="",
        policy_type="resource",
        statement_index=0,
        statement_sid=None,
        principal="cloudtrail.amazonaws.com",
        actions=("s3:PutObject",),
        fingerprint=fp,
    )


FP_A = "a" * 32
FP_B = "b" * 32
FP_C = "c" * 32


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, [finding(FP_B, "DG004"), finding(FP_A), finding(FP_A)])
    first = path.read_bytes()
    assert json.loads(first) == {
        "version": 1,
        "fingerprints": {
            FP_A: {"rule": "DG001", "file": "bucket.json", "message": "DG001 message"},
            FP_B: {"rule": "DG004", "file": "bucket.json", "message": "DG004 message"},
        },
    }
    assert load_baseline(path) == frozenset({FP_A, FP_B})
    write_baseline(path, [finding(FP_A), finding(FP_B, "DG004")])
    assert path.read_bytes() == first  # order of findings does not matter
    assert first.endswith(b"}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]  # no temporary left


def test_write_refuses_findings_without_fingerprints(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no fingerprint"):
        write_baseline(tmp_path / "b.json", [finding("")])


def test_filter_new() -> None:
    findings = [finding(FP_A), finding(FP_B), finding(FP_C), finding(FP_A)]
    new, suppressed = filter_new(findings, frozenset({FP_A}))
    assert [f.fingerprint for f in new] == [FP_B, FP_C]
    assert suppressed == 2


def test_a_check_report_works_as_a_baseline(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    report = {"findings": [finding(FP_A).to_json(), finding(FP_C).to_json()], "errors": []}
    path.write_text(json.dumps(report), encoding="utf-8")
    assert load_baseline(path) == frozenset({FP_A, FP_C})


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ('{"version": 1,\n "fingerprints": [}', "invalid JSON: ", 2),
        ("[]", "not a baseline", 1),
        ('{"version": 2, "fingerprints": {}}', "unsupported baseline version 2; expected 1", 1),
        ('{"version": 1,\n "fingerprints": []}', "'fingerprints' must be an object", 2),
        ('{"version": 1, "fingerprints": {\n"xyz": {}}}', "'xyz' is not a fingerprint", 2),
        ('{"findings": [{"rule": "DG001"}]}', "finding 0 has no valid fingerprint", 1),
    ],
)
def test_invalid_baselines(tmp_path: Path, content: str, message: str, line: int) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    assert message in caught.value.message
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}:")


def test_missing_baseline(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="baseline file not found"):
        load_baseline(tmp_path / "nope.json")
