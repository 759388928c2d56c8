"""Which rule explains a counterexample (rules.md: the most specific rule per cause).

The engine has already shown that a request from an untrusted source is allowed; here we look at
the statement that granted it and at how each of its source-key conditions treated that request,
to name the mistake: a vacuous ForAllValues, a fail-open IfExists, a negated operator, a wildcard,
an untrusted literal, a missing guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from deputyguard.analysis.probes import SOURCE_KEYS, Probe, ProbeKind, is_source_key
from deputyguard.awsdata.catalog import is_multivalued_key
from deputyguard.engine.conditions import value_text
from deputyguard.engine.variables import Variable, parse_template
from deputyguard.policy.model import Condition, Effect, Policy, Statement
from deputyguard.policy.operators import OperatorError, Qualifier, parse_operator
from deputyguard.wildcard import has_wildcard

PRIORITY = (
    "DG013",
    "DG016",
    "DG015",
    "DG002",
    "DG009",
    "DG003",
    "DG012",
    "DG004",
    "DG010",
    "DG017",
    "DG001",
)
"""Most specific first: a statement reports one counterexample-backed rule (rules.md)."""


@dataclass(frozen=True, slots=True)
class Cause:
    rule: str
    severity: str
    message: str
    suggestion: str
    condition: Condition | None = None


def source_conditions(statement: Statement) -> list[Condition]:
    return [c for c in statement.conditions if is_source_key(c.key.lower())]


def _who(probe: Probe) -> str:
    if probe.kind is ProbeKind.NO_SOURCE_KEYS:
        return "a request that carries no source keys"
    if probe.kind in (ProbeKind.FOREIGN_IAM, ProbeKind.ANONYMOUS):
        return f"{probe.kind.value} ({probe.principal})"
    if probe.source is None:
        return probe.kind.value
    org = f", organization {probe.source.org_id}" if probe.source.org_id else ", no organization"
    return f"a source in account {probe.source.account}{org} ({probe.source.arn})"


def guard_hint(owner: str | None) -> str:
    account = owner or "<your account id>"
    return (
        f'add "Condition": {{"StringEquals": {{"aws:SourceAccount": "{account}"}}}} or, for an '
        'organization, {"StringEquals": {"aws:SourceOrgID": "o-…"}} (and aws:SourceArn for one '
        "source resource)"
    )


def explain(statement: Statement, probe: Probe, policy: Policy, owner: str | None) -> Cause:
    """Name the rule behind an allowed untrusted request granted by `statement`."""
    who = _who(probe)
    grant = f"{probe.principal} may call {probe.action}"
    if statement.not_principal is not None:
        severity = (
            "critical" if probe.kind in (ProbeKind.FOREIGN_IAM, ProbeKind.ANONYMOUS) else "high"
        )
        return Cause(
            "DG013",
            severity,
            f"Allow with NotPrincipal grants every principal it does not name: {who} is allowed "
            f"{probe.action}",
            'use Effect "Deny" with NotPrincipal, or name the principals in Principal',
        )
    if probe.kind in (ProbeKind.FOREIGN_IAM, ProbeKind.ANONYMOUS):
        return Cause(
            "DG016",
            "critical",
            f"the statement grants everyone: {who} is allowed {probe.action}",
            "name the principals, or add a condition that excludes foreign callers "
            "(aws:PrincipalOrgID for IAM principals, source keys for services)",
        )
    conditions = source_conditions(statement)
    if not conditions:
        guards = [s for s in policy.statements if s.effect is Effect.DENY and source_conditions(s)]
        if guards:
            return Cause(
                "DG017",
                "high",
                f"{grant} on behalf of {who}: the Deny guard (statement {guards[0].index}) "
                "does not cover this request",
                "make the Deny cover every action, resource and principal of the Allow, with an "
                "operator that is true when the key is absent, or guard the Allow itself",
            )
        return Cause(
            "DG001",
            "high",
            f"{grant} on behalf of any source: {who} is allowed",
            guard_hint(owner),
        )
    context_keys = {k.lower() for k in probe.context}
    for condition in conditions:
        cause = _condition_cause(condition, probe, who, grant, context_keys, owner)
        if cause is not None:
            return cause
    return Cause(
        "DG001",
        "high",
        f"{grant} on behalf of {who}: the source conditions do not bind the source",
        guard_hint(owner),
    )


def _condition_cause(
    condition: Condition,
    probe: Probe,
    who: str,
    grant: str,
    context_keys: set[str],
    owner: str | None,
) -> Cause | None:
    try:
        operator = parse_operator(condition.operator)
    except OperatorError:
        return None
    key = condition.key.lower()
    present = key in context_keys
    values = [value_text(v) for v in condition.values]
    label = f"{condition.operator} {condition.key}"
    if any(_self_reference(v, key) for v in values):
        return Cause(
            "DG015",
            "high",
            f"{label} compares the key with a variable that resolves to the request's own "
            f"source: it matches every source, so {who} is allowed",
            "compare with literal values: your account id, organization id or source ARN",
            condition,
        )
    if operator.qualifier is Qualifier.FOR_ALL_VALUES and not present:
        multivalued = is_multivalued_key(condition.key) is True
        return Cause(
            "DG002" if multivalued else "DG009",
            "high",
            f"{label} is vacuously true when the key is absent: {who} is allowed",
            f'add "Null": {{"{condition.key}": "false"}}, or use ForAnyValue'
            if multivalued
            else f"drop ForAllValues: {condition.key} is single-valued (use {operator.base.name})",
            condition,
        )
    if operator.if_exists and not present:
        return Cause(
            "DG003",
            "high",
            f"{label} is true when the key is absent: {who} is allowed",
            f"use {operator.base.name} without IfExists in an Allow, or add "
            f'"Null": {{"{condition.key}": "false"}}',
            condition,
        )
    if operator.base.negated:
        return Cause(
            "DG012",
            "high",
            f"{label} in an Allow matches every other value and an absent key: {who} is allowed",
            f"use the positive operator ({operator.base.positive.replace('Like', 'Equals')}) "
            "with the values you trust",
            condition,
        )
    if key == "aws:sourceorgpaths" and present and _org_prefixed(values, probe):
        return Cause(
            "DG010",
            "high",
            f"{label} admits organization {probe.source.org_id if probe.source else '?'}, which "
            f"is not trusted: {who} is allowed",
            "give the organization model (--org) or list the organization as trusted "
            "(--trusted-org) if it is yours",
            condition,
        )
    if present and any(has_wildcard(v) for v in values) and operator.base.compare == "like":
        return Cause(
            "DG004",
            "high",
            f"the pattern of {label} admits foreign sources: {who} is allowed",
            "pin the account component (ArnLike arn:aws:<service>:*:<your account>:…) or add "
            "aws:SourceAccount; never wildcard account or organization ids",
            condition,
        )
    if present:
        return Cause(
            "DG010",
            "high",
            f"{label} names a source outside the trusted set: {who} is allowed",
            "remove the value, or list the account/organization as trusted "
            "(--trusted-account / --trusted-org) if it really is",
            condition,
        )
    return None


def _org_prefixed(values: list[str], probe: Probe) -> bool:
    """Whether the probe's organization is the one the path patterns name literally (so the
    problem is trust in that organization, not a pattern that escapes it)."""
    org_id = probe.source.org_id if probe.source else None
    return org_id is not None and any(v.startswith(f"{org_id}/") for v in values)


def _self_reference(value: str, key: str) -> bool:
    for part in parse_template(value).parts:
        if isinstance(part, Variable) and part.key.lower() in SOURCE_KEYS | {key}:
            return True
    return False
