"""Verification of a proposed repair with the engine (issue 5 checks (a)–(e)).

(a) the fixed policy allows no request the original denied, over the adversarial and legitimate
requests; (b) it denies every counterexample of the original findings; (c) it still allows the
legitimate sources; (d) `check` finds nothing high/critical in it; (e) it fits the size limit.
Each check is computed here from the engine's decisions, independently of how the fix was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from deputyguard.analysis.analyze import Analyzer, OutcomeKind, PolicyInput
from deputyguard.analysis.model import Finding, Severity
from deputyguard.analysis.probes import Probe, ProbeKind
from deputyguard.engine.decision import Decision
from deputyguard.policy.limits import measure, size_limit


@dataclass
class Verification:
    checks: dict[str, bool] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(self.checks.values())


def _allowed(decision: Decision | None) -> bool:
    return decision is not None and decision.allowed


def _key(probe: Probe) -> bytes:
    return orjson.dumps(
        (probe.principal, probe.action, probe.resource, probe.context),
        option=orjson.OPT_SORT_KEYS,
    )


def verify(
    analyzer: Analyzer,
    original: PolicyInput,
    fixed_document: dict[str, Any],
    findings: list[Finding],
    *,
    owner_in_scope: bool = True,
    must_allow: tuple[dict[str, Any], ...] = (),
) -> Verification:
    """`owner_in_scope`: whether the chosen scope includes the owner's account (not so for an OU
    the owner is outside of, or one source ARN); `must_allow`: requests from the legitimate
    sources of the scope (e.g. the --source-arn resource) that the fixed policy must allow."""
    fixed = PolicyInput(
        original.file,
        original.pointer,
        fixed_document,
        original.policy_type,
        original.name,
        original.resource,
    )
    result = Verification()
    before = {_key(o.probe): o for o in analyzer.adversarial(original)}
    after = {_key(o.probe): o for o in analyzer.adversarial(fixed)}
    widened = [
        k
        for k, o in after.items()
        if o.decision.allowed and k in before and not before[k].decision.allowed
    ]
    result.checks["no_new_access"] = not widened
    if widened:
        result.reasons.append(f"{len(widened)} request(s) the original denied would be allowed")
    replayed = [analyzer.replay(fixed, f.counterexample) for f in findings if f.counterexample]
    still = [o for o in after.values() if o.kind is OutcomeKind.EXPLOIT]
    result.checks["counterexamples_denied"] = not still and not any(
        d is None or d.allowed for d in replayed
    )
    if still:
        result.reasons.append(f"still allows {still[0].probe.kind.value}")
    elif not result.checks["counterexamples_denied"]:
        result.reasons.append("an original counterexample is still allowed")
    legit_before = {
        k
        for k, o in before.items()
        if o.probe.kind is ProbeKind.LEGITIMATE and o.decision.allowed and owner_in_scope
    }
    lost = [k for k in legit_before if k in after and not after[k].decision.allowed]
    refused = [r for r in must_allow if not _allowed(analyzer.replay(fixed, r))]
    result.checks["legitimate_still_allowed"] = not lost and not refused
    if lost or refused:
        result.reasons.append("the legitimate source would lose access")
    analysis = analyzer.analyze(fixed)
    serious = [f for f in analysis.findings if f.severity in (Severity.HIGH, Severity.CRITICAL)]
    result.checks["check_passes"] = analysis.error is None and not serious
    if analysis.error:
        result.reasons.append(analysis.error)
    elif serious:
        result.reasons.append(f"check still reports {serious[0].rule}")
    limit = size_limit(original.policy_type)
    text = orjson.dumps(fixed_document).decode()
    result.checks["within_size_limit"] = limit is None or measure(text, limit) <= limit.limit
    if not result.checks["within_size_limit"]:
        result.reasons.append("the fixed policy exceeds the size limit of its type")
    return result
