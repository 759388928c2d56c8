"""Soundness of the analyzer over many generated policies (rules.md: "a high without a
replayable counterexample is a bug"): it never raises, and every high/critical finding's
counterexample is Allowed when replayed through `simulate`'s runner."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, PolicyInput
from deputyguard.org import load_org
from deputyguard.policy.model import PolicyType
from deputyguard.simulate.cases import RawCase
from deputyguard.simulate.runner import Runner

TESTS = Path(__file__).parents[1]


def _casegen() -> ModuleType:
    name = "deputyguard_tests_casegen"
    spec = importlib.util.spec_from_file_location(name, TESTS / "differential" / "casegen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _policies() -> list[dict[str, Any]]:
    cases = _casegen().generate(11, 600)
    return [
        c["policies"]["resource"] for c in cases if isinstance(c["policies"].get("resource"), dict)
    ]


@pytest.mark.parametrize("with_org", [True, False], ids=["org-model", "owner-only"])
def test_every_high_finding_replays_as_allowed(with_org: bool) -> None:
    org = load_org(TESTS / "analysis" / "corpus" / "org.yaml") if with_org else None
    settings = (
        AnalysisSettings("111122223333", org, org.trusted_accounts) if org else AnalysisSettings()
    )
    analyzer = Analyzer(settings)
    runner = Runner(org=org)
    replayed = 0
    for document in _policies():
        result = analyzer.analyze(PolicyInput("x.json", "", document, PolicyType.RESOURCE))
        assert result.error is None or result.verdict is None
        for finding in result.findings:
            if finding.severity.value not in ("high", "critical"):
                continue
            case = {
                "id": finding.rule,
                "request": finding.counterexample,
                "policies": {"resource": document},
            }
            decision = runner.run(RawCase(1, None, case)).decision
            assert decision is not None and decision.allowed, (finding, document)
            replayed += 1
    assert replayed > 100  # the generator produces plenty of weak policies
