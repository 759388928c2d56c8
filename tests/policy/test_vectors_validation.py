"""The spec's validation vectors (iam-semantics.md §9, shared/spec/vectors.jsonl), data-driven.

Every `kind: validation` vector (and variant) must report its expected code; request vectors that
carry `expect_warnings` / `expect_error` must report those codes too, and every request vector
must validate without a blocking issue, because the engine has to evaluate it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deputyguard.policy.issues import Issue, Severity
from deputyguard.policy.jsontext import parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import parse_policy
from deputyguard.policy.validate import CODES, validate_policy

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "vectors.jsonl"

if not VECTORS.is_file():
    pytest.skip(f"spec vectors not found at {VECTORS}", allow_module_level=True)

# Vectors whose expect_error is prose because the spec names no code: the code chosen here, why.
PROSE_CODES: dict[str, tuple[tuple[str, ...], str]] = {
    "v79-rcp-syntax-invalid": (
        ("RCP_SYNTAX_ERROR_PRINCIPAL",),
        "S18's RCP_SYNTAX_ERROR_PRINCIPAL text covers NotPrincipal in RCPs",
    ),
    "v85-service-principal-star-invalid": (
        ("SERVICE_PRINCIPAL_WILDCARD",),
        'S13: "Service": "*" is not allowed; no Access Analyzer code is named',
    ),
    "v89-allow-with-notprincipal-invalid": (
        ("NOT_PRINCIPAL_REQUIRES_DENY", "ALLOW_WITH_NOT_PRINCIPAL"),
        "S14: NotPrincipal only with Deny (chosen code) plus S18's security warning",
    ),
    "v106-multivalued-variable-invalid": (
        ("MULTIVALUED_KEY_AS_VARIABLE",),
        "S4, S8: a multivalued key cannot be a variable; no Access Analyzer code is named",
    ),
    "v115-duplicate-effect-invalid": (
        ("DUPLICATE_ELEMENT",),
        "the parser reports duplicated JSON keys (S16, S17)",
    ),
}

_CODE_TOKEN = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")


def _load() -> list[dict[str, Any]]:
    with VECTORS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _cases(vector: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The vector and each variant; a variant's members replace the top-level ones (vectors.md)."""
    yield vector
    for variant in vector.get("variants", ()):
        yield {**vector, **variant}


def _case_id(case: dict[str, Any]) -> str:
    label = case.get("label")
    return f"{case['id']}[{label}]" if label else str(case["id"])


ALL_CASES = [case for vector in _load() for case in _cases(vector)]
VALIDATION = [c for c in ALL_CASES if c.get("kind") == "validation"]
REQUESTS = [c for c in ALL_CASES if c.get("kind") != "validation"]
WITH_FINDINGS = [c for c in REQUESTS if c.get("expect_warnings") or c.get("expect_error")]


def _issues_of_document(document: Any, policy_type: PolicyType) -> list[Issue]:
    result = parse_policy(document)
    assert result.policy is not None, result.issues
    return [*result.issues, *validate_policy(result.policy, policy_type)]


def _issues_of_text(text: str, policy_type: PolicyType) -> list[Issue]:
    doc = parse_json(text)
    result = parse_policy(
        doc.value,
        positions=doc.positions,
        duplicates=[(d.pointer, d.key) for d in doc.duplicates],
        all_values=doc.all_values,
    )
    issues = list(result.issues)
    if result.policy is not None:
        issues += validate_policy(result.policy, policy_type, text=text)
    return issues


def _expected_codes(case: dict[str, Any]) -> tuple[str, ...]:
    if case["id"] in PROSE_CODES and not _CODE_TOKEN.match(case["expect_error"].split(" ")[0]):
        return PROSE_CODES[case["id"]][0]
    token = case["expect_error"].split(" ")[0]
    assert _CODE_TOKEN.match(token), (
        f"{_case_id(case)}: map {case['expect_error']!r} in PROSE_CODES"
    )
    return (token,)


@pytest.mark.parametrize("case", VALIDATION, ids=_case_id)
def test_validation_vector_reports_expected_code(case: dict[str, Any]) -> None:
    policy_type = PolicyType(case["policy_type"])
    if "policy_text" in case:
        issues = _issues_of_text(case["policy_text"], policy_type)
    else:
        issues = _issues_of_document(case["policy"], policy_type)
    codes = {i.code for i in issues}
    for code in _expected_codes(case):
        assert code in codes, f"{_case_id(case)}: expected {code}, got {sorted(codes)}"
    assert any(i.severity is Severity.ERROR for i in issues), "an Invalid vector needs an error"


def _documents(case: dict[str, Any]) -> Iterator[tuple[PolicyType, Any]]:
    """Every policy document of a request vector, with the type it is evaluated as."""
    policies = case.get("policies", {})
    if "resource" in policies:
        yield PolicyType.RESOURCE, policies["resource"]
    for item in policies.get("identity", ()):
        yield PolicyType.IDENTITY, _unwrap(item)
    for member, policy_type in (("scps", PolicyType.SCP), ("rcps", PolicyType.RCP)):
        for level in policies.get(member, ()):
            for item in level["policies"] if isinstance(level, dict) else level:
                yield policy_type, _unwrap(item)


def _unwrap(item: Any) -> Any:
    if isinstance(item, dict) and "policy" in item and "Statement" not in item:
        return item["policy"]
    return item


def _request_issues(case: dict[str, Any]) -> list[Issue]:
    return [i for t, d in _documents(case) for i in _issues_of_document(d, t)]


@pytest.mark.parametrize("case", WITH_FINDINGS, ids=_case_id)
def test_request_vector_reports_expected_findings(case: dict[str, Any]) -> None:
    codes = {i.code for i in _request_issues(case)}
    expected = list(case.get("expect_warnings", ()))
    if case.get("expect_error"):
        expected.append(case["expect_error"])  # #65: MISSING_QUALIFIER
    for code in expected:
        assert code in codes, f"{_case_id(case)}: expected {code}, got {sorted(codes)}"


def test_vector_65_reports_missing_qualifier() -> None:
    (case,) = [c for c in REQUESTS if c["id"] == "v65-multivalued-key-without-qualifier"]
    issues = [i for i in _request_issues(case) if i.code == "MISSING_QUALIFIER"]
    assert issues
    assert not issues[0].blocking  # the runtime result is UNCONFIRMED, not refused
    assert issues[0].span.pointer == "/Statement/0/Condition/StringLike/aws:SourceOrgPaths"


@pytest.mark.parametrize("case", REQUESTS, ids=_case_id)
def test_request_vector_has_no_blocking_issue(case: dict[str, Any]) -> None:
    blocking = [i.describe() for i in _request_issues(case) if i.blocking]
    assert not blocking, f"{_case_id(case)} must stay evaluable: {blocking}"


def test_prose_mapping_uses_known_codes() -> None:
    parser_codes = {"DUPLICATE_ELEMENT"}
    for codes, reason in PROSE_CODES.values():
        assert reason
        for code in codes:
            assert code in CODES or code in parser_codes
