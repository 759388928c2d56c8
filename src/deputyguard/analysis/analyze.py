"""The analyzer: policies in, findings with proof out (rules.md, cli.md `check`).

For each grant a service principal, the public or `NotPrincipal` can use, adversarial requests are
evaluated by the engine against the whole policy (every statement, Allow and Deny) plus the RCPs
the organization model attaches above the owner's account. An allowed request from outside the
trusted set is a counterexample and becomes a `high`/`critical` finding named by the most specific
rule; syntactic rules add `medium`/`low`/`info` findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from deputyguard.analysis.baseline import fingerprint
from deputyguard.analysis.catalog import rule as rule_info
from deputyguard.awsdata.integrations import KeyStatus, is_passrole_gated, key_status

from deputyguard.analysis import attribution, syntactic
from deputyguard.analysis.model import Finding, Location, PolicyVerdict, Severity, Verdict
from deputyguard.analysis.probes import (
    Grant,
    Probe,
    ProbeBuilder,
    ProbeKind,
    Trust,
    concrete_actions,
    concrete_resources,
    grants,
    path_convention_resource,
)
from deputyguard.awsdata.arn import is_account_id, split_arn
from deputyguard.engine.compiled import CompiledPolicy, compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.decision import Decision
from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
from deputyguard.engine.options import DEFAULT_OPTIONS, EngineOptions
from deputyguard.org import OrgModel
from deputyguard.policy.model import Policy, PolicyType, Span, Statement
from deputyguard.policy.parse import parse_policy
from deputyguard.policy.validate import validate_policy


@dataclass(frozen=True)
class AnalysisSettings:
    owner: str | None = None
    org: OrgModel | None = None
    trusted_accounts: frozenset[str] = frozenset()
    trusted_organizations: frozenset[str] = frozenset()
    engine: EngineOptions = DEFAULT_OPTIONS

    @property
    def trust(self) -> Trust:
        return Trust(self.owner, self.org, self.trusted_accounts, self.trusted_organizations)


@dataclass(frozen=True)
class PolicyInput:
    file: str | None
    pointer: str
    document: Any
    policy_type: PolicyType
    name: str | None = None
    resource: str | None = None
    positions: Mapping[str, Any] | None = None
    duplicates: tuple[tuple[str, str], ...] = ()


@dataclass
class PolicyAnalysis:
    findings: list[Finding]
    verdict: PolicyVerdict | None
    error: str | None = None
    counterexamples: list[tuple[Finding, Decision]] = field(default_factory=list)


class PolicyRejected(ValueError):
    """The document cannot be evaluated (IAM would refuse it)."""


class Analyzer:
    """Analyzes policies under one set of settings; caches the organization's compiled RCPs."""

    def __init__(self, settings: AnalysisSettings) -> None:
        self.settings = settings
        self._rcp_levels: tuple[Level, ...] | None = None
        self._by_owner: dict[str, Analyzer] = {}

    def _for_owner(self, policy: Policy) -> Analyzer:
        """Without --account, a policy whose Resource ARNs all name one account is owned by that
        account (SQS, SNS, KMS and IAM ARNs carry it; S3 ARNs do not): analyze it as such."""
        if self.settings.owner is not None:
            return self
        owner = infer_owner(policy)
        if owner is None:
            return self
        if owner not in self._by_owner:
            self._by_owner[owner] = Analyzer(replace(self.settings, owner=owner))
        return self._by_owner[owner]

    # -- entry point ---------------------------------------------------------------------------
    def analyze(self, item: PolicyInput) -> PolicyAnalysis:
        try:
            policy = self._parse(item)
        except PolicyRejected as exc:
            return PolicyAnalysis([], None, str(exc))
        owned = self._for_owner(policy)
        if owned is not self:
            return owned.analyze(item)
        findings: list[Finding] = []
        if item.policy_type in (PolicyType.RESOURCE, PolicyType.TRUST):
            findings.extend(self._semantic(item, policy))
        findings.extend(self._syntactic(item, policy, findings))
        findings.sort(key=lambda f: (-f.severity.rank, f.statement_index or 0, f.rule))
        verdict = PolicyVerdict(
            item.file,
            item.pointer,
            Verdict.of([f.severity for f in findings]),
            item.policy_type.value,
            item.resource,
        )
        return PolicyAnalysis(findings, verdict)

    def _parse(self, item: PolicyInput) -> Policy:
        result = parse_policy(
            item.document,
            name=item.name,
            positions=item.positions,
            duplicates=item.duplicates,
            base_pointer=item.pointer,
        )
        issues = list(result.issues)
        if result.policy is not None:
            issues.extend(validate_policy(result.policy, item.policy_type, blocking_only=True))
        # Allow + NotPrincipal is refused by IAM but still stored by some services; DG013
        # reports it with a counterexample, so it must be evaluated rather than rejected.
        blocking = [i for i in issues if i.blocking and i.code != "NOT_PRINCIPAL_REQUIRES_DENY"]
        if blocking or result.policy is None:
            raise PolicyRejected("; ".join(i.describe() for i in blocking or issues))
        return result.policy

    # -- semantic analysis ---------------------------------------------------------------------
    def _policy_set(self, compiled: CompiledPolicy) -> PolicySet:
        return PolicySet(
            resource=compiled,
            rcps=self._org_rcps(),
            resource_in_management_account=bool(
                self.settings.org
                and self.settings.owner
                and self.settings.org.is_management_account(self.settings.owner)
            ),
        )

    def _org_rcps(self) -> tuple[Level, ...]:
        if self._rcp_levels is not None:
            return self._rcp_levels
        org, owner = self.settings.org, self.settings.owner
        levels: list[Level] = []
        if org is not None and owner and org.contains_account(owner):
            for target, attachments in zip(
                org.parent_chain(owner), org.rcp_levels(owner), strict=True
            ):
                compiled = []
                for attachment in attachments:
                    parsed = parse_policy(attachment.document, name=attachment.name).policy
                    if parsed is not None:
                        compiled.append(compile_policy(parsed, "rcp", level=target))
                levels.append(Level(target, tuple(compiled)))
        self._rcp_levels = tuple(levels)
        return self._rcp_levels

    def adversarial(
        self, item: PolicyInput, policy: Policy | None = None
    ) -> list[tuple[Grant, Probe, Decision]]:
        """Every adversarial request generated for the policy, with the engine's decision."""
        policy = policy or self._parse(item)
        owned = self._for_owner(policy)
        if owned is not self:
            return owned.adversarial(item, policy)
        policy_set = self._policy_set(compile_policy(policy, "resource"))
        builder = ProbeBuilder(policy, self.settings.trust)
        out = []
        for grant in grants(policy):
            for probe in self._probes(grant, builder):
                decision = self._decide(probe, policy_set)
                if decision is not None:
                    out.append((grant, probe, decision))
        return out

    def exploitable(self, item: PolicyInput, probe: Probe, decision: Decision) -> bool:
        """An allowed request from outside the trusted set that needs nothing unusual to happen
        first, and is not a role use gated by iam:PassRole (rules.md)."""
        if probe.trusted or not decision.allowed or probe.hypothetical is not None:
            return False
        return not (
            item.policy_type is PolicyType.TRUST
            and probe.kind is not ProbeKind.FOREIGN_IAM
            and is_passrole_gated(probe.principal)
        )

    def _semantic(self, item: PolicyInput, policy: Policy) -> list[Finding]:
        findings: dict[int, Finding] = {}
        for grant, probe, decision in self.adversarial(item, policy):
            if not self.exploitable(item, probe, decision):
                continue
            statement = _granting_statement(policy, decision, grant.statement)
            cause = attribution.explain(statement, probe, policy, self.settings.owner)
            known = findings.get(statement.index)
            if known is not None and _rank(known.rule) <= _rank(cause.rule):
                continue
            findings[statement.index] = self._finding(item, statement, cause, probe)
        return list(findings.values())

    def _probes(self, grant: Grant, builder: ProbeBuilder) -> list[Probe]:
        owner = self.settings.owner
        probes: list[Probe] = []
        statement = grant.statement
        for principal in grant.services:
            for action in concrete_actions(statement, principal)[:3]:
                for resource in concrete_resources(statement, action, owner):
                    for kind, source, hypothetical in builder.sources(principal):
                        trusted = builder.source_trusted(source)
                        target = resource
                        if not trusted:
                            target = path_convention_resource(resource, principal, source.account)
                        context = builder.service_context(principal, source, owner)
                        probes.append(
                            Probe(
                                kind,
                                principal,
                                action,
                                target,
                                context,
                                trusted,
                                source,
                                hypothetical,
                            )
                        )
                    if not _always_sends_source(principal, action):
                        probes.append(
                            Probe(
                                ProbeKind.NO_SOURCE_KEYS,
                                principal,
                                action,
                                resource,
                                builder.service_context(principal, None, owner),
                                False,
                            )
                        )
        if grant.everyone:
            foreign = builder.foreign[0]
            caller = f"arn:aws:iam::{foreign}:role/Attacker"
            for action in concrete_actions(statement, None)[:2]:
                for resource in concrete_resources(statement, action, owner):
                    probes.append(
                        Probe(
                            ProbeKind.FOREIGN_IAM,
                            caller,
                            action,
                            resource,
                            {
                                "aws:PrincipalArn": caller,
                                "aws:PrincipalAccount": foreign,
                                "aws:PrincipalIsAWSService": "false",
                            },
                            False,
                        )
                    )
                    probes.append(
                        Probe(ProbeKind.ANONYMOUS, "anonymous", action, resource, {}, False)
                    )
        return probes

    def _decide(self, probe: Probe, policy_set: PolicySet) -> Decision | None:
        if probe.resource == "*":
            return None
        try:
            request = Request(
                probe.principal,
                probe.action,
                probe.resource,
                Context.from_json(probe.context),
                self.settings.owner,
            )
            return evaluate(request, policy_set, self.settings.engine)
        except RequestError:
            return None

    # -- findings ------------------------------------------------------------------------------
    def _finding(
        self, item: PolicyInput, statement: Statement, cause: attribution.Cause, probe: Probe | None
    ) -> Finding:
        info = rule_info(cause.rule)
        span = cause.condition.span if cause.condition is not None else statement.span
        raw = _raw_statement(item.document, statement)
        actions = tuple(statement.actions or statement.not_actions or ())
        principal = probe.principal if probe is not None else _principal_label(statement)
        return Finding(
            rule=cause.rule,
            name=info.slug,
            severity=Severity(cause.severity),
            message=cause.message,
            location=_location(item, span),
            policy_pointer=item.pointer,
            policy_type=item.policy_type.value,
            statement_index=statement.index,
            statement_sid=statement.sid,
            principal=principal,
            actions=actions,
            counterexample=probe.request_json(self.settings.owner) if probe else None,
            suggestion=cause.suggestion,
            snippet=_snippet(raw),
            fingerprint=fingerprint(
                rule=cause.rule,
                policy_identity=f"{item.file or ''}#{item.name or item.resource or item.pointer}",
                statement=raw,
                principal=principal,
                actions=actions,
                detail=cause.condition.key if cause.condition is not None else "",
            ),
        )

    def _syntactic(
        self, item: PolicyInput, policy: Policy, semantic: Sequence[Finding]
    ) -> list[Finding]:
        taken = {(f.statement_index, f.rule) for f in semantic}
        failing = {f.statement_index for f in semantic}
        out: list[Finding] = []
        for note in syntactic.check(policy, item.policy_type, self.settings.org):
            key = (note.statement.index, note.rule)
            if key in taken:
                continue
            if note.rule in ("DG006", "DG009") and note.statement.index in failing:
                continue  # advice on a statement that already has a counterexample
            taken.add(key)
            cause = attribution.Cause(
                note.rule, note.severity, note.message, note.suggestion, note.condition
            )
            out.append(self._finding(item, note.statement, cause, None))
        return out


def infer_owner(policy: Policy) -> str | None:
    accounts = set()
    for statement in policy.statements:
        for text in (*(statement.resources or ()), *(statement.not_resources or ())):
            parts = split_arn(text)
            if parts is not None and is_account_id(parts[4]):
                accounts.add(parts[4])
    return accounts.pop() if len(accounts) == 1 else None


def _rank(rule: str) -> int:
    return attribution.PRIORITY.index(rule) if rule in attribution.PRIORITY else 99


def _always_sends_source(principal: str, action: str) -> bool:
    """An integration documented to send aws:SourceArn or aws:SourceAccount never makes a
    key-less request; unknown integrations might (§6.2: 'not all service integrations …')."""
    return any(
        key_status(principal, action, key) is KeyStatus.SENT
        for key in ("aws:SourceArn", "aws:SourceAccount")
    )


def _granting_statement(policy: Policy, decision: Decision, fallback: Statement) -> Statement:
    for matched in decision.matched:
        if matched.policy == "resource" and matched.effect == "Allow":
            for statement in policy.statements:
                if statement.index == matched.statement:
                    return statement
    return fallback


def _principal_label(statement: Statement) -> str | None:
    principal = statement.principal or statement.not_principal
    if principal is None:
        return None
    if principal.wildcard:
        return "*"
    names = [*principal.service, *principal.aws, *principal.federated]
    return names[0] if names else None


def _location(item: PolicyInput, span: Span) -> Location:
    return Location(item.file, span.line, span.column, span.pointer, item.resource)


def _raw_statement(document: Any, statement: Statement) -> dict[str, Any] | None:
    if not isinstance(document, dict):
        return None
    raw = document.get("Statement")
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list) and 0 <= statement.index < len(raw):
        item = raw[statement.index]
        return item if isinstance(item, dict) else None
    return None


def _snippet(raw: dict[str, Any] | None) -> str | None:
    if raw is None:
        return None
    text = orjson.dumps(raw, option=orjson.OPT_INDENT_2).decode()
    lines = text.splitlines()
    return "\n".join(lines[:12] + (["  …"] if len(lines) > 12 else []))
