"""The analyzer corpus (tests/analysis/corpus/expected.yaml): verdicts, rule ids, and proof.

For every `high`/`critical` finding the counterexample is replayed through `simulate`'s runner (a
separate path from the analyzer) and must be Allowed; for every PASS policy no generated
adversarial request from outside the trusted set may be allowed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, OutcomeKind, PolicyInput
from deputyguard.org import OrgModel, load_org
from deputyguard.policy.jsontext import parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.simulate.cases import RawCase
from deputyguard.simulate.runner import Runner
from deputyguard.sources.policy_files import auto_policy_type

CORPUS = Path(__file__).parent / "corpus"


def _expected() -> dict[str, Any]:
    path = CORPUS / "expected.yaml"
    if not path.is_file():
        return {"defaults": {}, "cases": []}
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


@cache
def _org(name: str) -> OrgModel:
    return load_org(CORPUS / name)


def _setup(case: dict[str, Any]) -> tuple[Analyzer, PolicyInput]:
    defaults = _expected().get("defaults", {})
    merged = {**defaults, **case}
    org = _org(merged["org"]) if merged.get("org") else None
    trusted = set(merged.get("trusted_accounts", []))
    trusted_orgs = set(merged.get("trusted_organizations", []))
    if org is not None:
        trusted |= org.trusted_accounts
        trusted_orgs |= org.trusted_organizations
    settings = AnalysisSettings(
        owner=merged.get("account"),
        org=org,
        trusted_accounts=frozenset(trusted),
        trusted_organizations=frozenset(trusted_orgs),
    )
    doc = parse_json((CORPUS / case["file"]).read_text())
    declared = merged.get("policy_type")
    policy_type = PolicyType(declared) if declared else auto_policy_type(doc.value)
    item = PolicyInput(
        file=case["file"],
        pointer="",
        document=doc.value,
        policy_type=policy_type,
        positions=doc.positions,
        duplicates=tuple((d.pointer, d.key) for d in doc.duplicates),
    )
    return Analyzer(settings), item


CASES = [pytest.param(c, id=c["file"]) for c in _expected()["cases"]]


@pytest.mark.parametrize("case", CASES)
def test_verdict_and_rules(case: dict[str, Any]) -> None:
    analyzer, item = _setup(case)
    result = analyzer.analyze(item)
    assert result.error is None, result.error
    assert result.verdict is not None
    got_rules = sorted({f.rule for f in result.findings})
    summary = [(f.rule, f.severity.value, f.message) for f in result.findings]
    assert (result.verdict.verdict.value, got_rules) == (
        case["verdict"],
        sorted(case.get("rules", [])),
    ), f"{case['reason']}\n{summary}"


@pytest.mark.parametrize("case", CASES)
def test_high_findings_replay_as_allowed(case: dict[str, Any]) -> None:
    analyzer, item = _setup(case)
    result = analyzer.analyze(item)
    for finding in result.findings:
        if finding.severity.value not in ("high", "critical"):
            assert finding.counterexample is None or finding.severity.value == "medium"
            continue
        assert finding.counterexample is not None, finding
        policies: dict[str, Any] = {"resource": item.document}
        replay = {"id": finding.rule, "request": finding.counterexample, "policies": policies}
        org = analyzer.settings.org
        runner = Runner(org=org)
        replayed = runner.run(RawCase(1, None, replay))
        assert replayed.error is None, replayed.error
        assert replayed.decision is not None and replayed.decision.allowed, finding


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0]["verdict"] == "PASS"])
def test_pass_policies_allow_no_adversarial_request(case: dict[str, Any]) -> None:
    analyzer, item = _setup(case)
    for outcome in analyzer.adversarial(item):
        assert outcome.kind is not OutcomeKind.EXPLOIT, (outcome.probe, outcome.decision.matched)


def test_corpus_covers_every_rule_and_verdict() -> None:
    cases = _expected()["cases"]
    if not cases:
        pytest.skip("corpus not present")
    assert len(cases) >= 80
    rules = {r for c in cases for r in c.get("rules", [])}
    assert {f"DG{n:03d}" for n in range(1, 18)} <= rules
    assert {c["verdict"] for c in cases} == {"PASS", "WARN", "FAIL"}
