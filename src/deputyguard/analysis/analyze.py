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
from enum import StrEnum
from typing import Any

import orjson

from deputyguard.analysis import attribution, syntactic
from deputyguard.analysis.baseline import fingerprint
from deputyguard.analysis.catalog import rule as rule_info
from deputyguard.analysis.model import Finding, Location, PolicyVerdict, Severity, Verdict
from deputyguard.analysis.probes import (
    FOREIGN_ACCOUNTS,
    REREGISTERED,
    Grant,
    Probe,
    ProbeBuilder,
    ProbeKind,
    Trust,
    concrete_actions,
    concrete_resources,
    grants,
    path_convention_resource,
    request_key_values,
)
from deputyguard.analysis.unknowns import Readings, first_unknown_pointer, readings
from deputyguard.awsdata.arn import is_account_id, split_arn
from deputyguard.awsdata.integrations import is_passrole_gated
from deputyguard.engine.compiled import CompiledPolicy, compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.decision import Decision
from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
from deputyguard.engine.options import DEFAULT_OPTIONS, EngineOptions
from deputyguard.org import OrgModel
from deputyguard.policy.model import Condition, Policy, PolicyType, Span, Statement
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
    owner: str | None = None
    """The account the policy's resource lives in when the input knows it (IaC); `--account`
    takes precedence."""
    unknowns: Mapping[str, str] = field(default_factory=dict)
    """Unknown markers in `document` and why each is unknown (`analysis.unknowns`)."""
    service: str | None = None
    """Service prefix of the resource holding the policy, when known (validation differs)."""


@dataclass
class PolicyAnalysis:
    findings: list[Finding]
    verdict: PolicyVerdict | None
    error: str | None = None
    counterexamples: list[tuple[Finding, Decision]] = field(default_factory=list)


class OutcomeKind(StrEnum):
    EXPLOIT = "exploit"
    """Allowed, from outside the trusted set: a counterexample."""
    TRUSTED = "trusted"
    DENIED = "denied"
    HYPOTHETICAL = "hypothetical"
    """Allowed only after something unusual (a global name re-registered, random ids reused)."""
    PASSROLE = "passrole"
    """A role use gated by iam:PassRole in the owner account (no source keys are sent)."""
    RCP_ACCEPTED = "rcp-accepted"
    """A key-less call that the organization's confused-deputy RCP lets through by design."""
    CONVENTION = "convention"
    """Denied only because the integration writes under the source account's path."""


@dataclass(frozen=True, slots=True)
class Outcome:
    grant: Grant
    probe: Probe
    decision: Decision
    kind: OutcomeKind


class PolicyRejected(ValueError):
    """The document cannot be evaluated (IAM would refuse it)."""


class Analyzer:
    """Analyzes policies under one set of settings; caches the organization's compiled RCPs."""

    def __init__(self, settings: AnalysisSettings) -> None:
        self.settings = settings
        self._rcp_levels: tuple[Level, ...] | None = None
        self._by_owner: dict[str, Analyzer] = {}

    def _for_owner(self, policy: Policy, item: PolicyInput) -> Analyzer:
        """Without --account, the owner the input names (IaC), else the one account all Resource
        ARNs name (SQS, SNS, KMS and IAM ARNs carry it; S3 ARNs do not): analyze it as such."""
        if self.settings.owner is not None:
            return self
        owner = item.owner or infer_owner(policy)
        if owner is None:
            return self
        if owner not in self._by_owner:
            self._by_owner[owner] = Analyzer(replace(self.settings, owner=owner))
        return self._by_owner[owner]

    # -- entry point ---------------------------------------------------------------------------
    def analyze(self, item: PolicyInput) -> PolicyAnalysis:
        if item.unknowns:
            # Before parsing: a marker may stand where IAM accepts only some formats (an account
            # id in a principal ARN), so only the two readings are valid policies.
            bounded = readings(item.document)
            if bounded is not None:
                return self._analyze_bounded(item, bounded)
        try:
            policy = self._parse(item)
        except PolicyRejected as exc:
            return PolicyAnalysis([], None, str(exc))
        owned = self._for_owner(policy, item)
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

    def _analyze_bounded(self, item: PolicyInput, bounded: Readings) -> PolicyAnalysis:
        """Findings that hold for every value of the unknowns, plus DG020 where a counterexample
        exists only for some values (analysis.unknowns explains the two readings)."""
        narrow = self.analyze(replace(item, document=bounded.narrow, unknowns={}))
        wide = self.analyze(replace(item, document=bounded.wide, unknowns={}))
        if narrow.verdict is None or wide.verdict is None:
            return PolicyAnalysis([], None, narrow.error or wide.error)
        findings = [f for f in narrow.findings if f.statement_index not in bounded.inert_in_narrow]
        worst_narrow: dict[int | None, int] = {}
        for finding in findings:
            index = finding.statement_index
            worst_narrow[index] = max(worst_narrow.get(index, -1), finding.severity.rank)
        worst_wide: dict[int | None, Finding] = {}
        for finding in wide.findings:
            index = finding.statement_index
            if index in bounded.inert_in_wide:
                continue
            known = worst_wide.get(index)
            if known is None or finding.severity.rank > known.severity.rank:
                worst_wide[index] = finding
        for index, finding in worst_wide.items():
            # Worse for some values than for every value: the verdict depends on the unknown.
            rank = finding.severity.rank
            if rank >= Severity.MEDIUM.rank and rank > worst_narrow.get(index, -1):
                findings.append(self._cannot_verify(item, finding))
        findings.sort(key=lambda f: (-f.severity.rank, f.statement_index or 0, f.rule))
        verdict = replace(narrow.verdict, verdict=Verdict.of([f.severity for f in findings]))
        return PolicyAnalysis(findings, verdict)

    def _cannot_verify(self, item: PolicyInput, finding: Finding) -> Finding:
        """DG020 at the unknown value the counterexample of `finding` depends on."""
        info = rule_info("DG020")
        index = finding.statement_index
        written = _statement_at(item.document, index)
        pointer = (
            first_unknown_pointer(item.document, index, item.pointer) if index is not None else None
        )
        location = finding.location
        position = item.positions.get(pointer) if pointer and item.positions else None
        if pointer is not None and position is not None:
            location = replace(
                location, line=position.line, column=position.column, pointer=pointer
            )
        reasons = [
            reason
            for marker, reason in item.unknowns.items()
            if _mentions(item.document, index, marker)
        ] or list(item.unknowns.values())
        message = (
            f"cannot verify: whether this grant is safe depends on "
            f"{'a value' if len(reasons) == 1 else 'values'} not known before deployment "
            f"({'; '.join(reasons)}). For some values it would be {finding.rule}: "
            f"{finding.message}"
        )
        return replace(
            finding,
            rule=info.id,
            name=info.slug,
            severity=Severity.MEDIUM,
            message=message,
            location=location,
            counterexample=None,
            snippet=_snippet(written),
            suggestion=(
                "give the value a default, or pass the deploying account with --account and "
                "the parameter's value in the template, so the guard can be checked"
            ),
            fingerprint=fingerprint(
                rule=info.id,
                policy_identity=f"{item.file or ''}#{item.name or item.resource or item.pointer}",
                statement=written,
                principal=finding.principal,
                actions=finding.actions,
                detail=f"{index}",
            ),
        )

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
            issues.extend(
                validate_policy(
                    result.policy, item.policy_type, service=item.service, blocking_only=True
                )
            )
        blocking = [i for i in issues if i.blocking]
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

    def replay(self, item: PolicyInput, request: Mapping[str, Any]) -> Decision | None:
        """Evaluate a request (the `simulate` request format, e.g. a finding's counterexample)
        against this policy and the organization's RCPs."""
        policy = self._parse(item)
        owned = self._for_owner(policy, item)
        if owned is not self:
            return owned.replay(item, request)
        policy_set = self._policy_set(compile_policy(policy, "resource"))
        try:
            principal, action = str(request["principal"]), str(request["action"])
            resource, context = str(request["resource"]), request.get("context") or {}
        except KeyError:
            return None
        account = request.get("resourceAccount") or self.settings.owner
        return self._evaluate(principal, action, resource, context, account, policy_set)

    def adversarial(self, item: PolicyInput, policy: Policy | None = None) -> list[Outcome]:
        """Every adversarial request generated for the policy, with the engine's decision and
        what it means (see `OutcomeKind`)."""
        policy = policy or self._parse(item)
        owned = self._for_owner(policy, item)
        if owned is not self:
            return owned.adversarial(item, policy)
        policy_set = self._policy_set(compile_policy(policy, "resource"))
        builder = ProbeBuilder(policy, self.settings.trust)
        out = []
        for grant in grants(policy):
            for probe in self._probes(grant, builder):
                decision = self._decide(probe, policy_set)
                if decision is not None:
                    kind = self._classify(item, grant, probe, decision, policy_set)
                    out.append(Outcome(grant, probe, decision, kind))
        return out

    def _classify(
        self,
        item: PolicyInput,
        grant: Grant,
        probe: Probe,
        decision: Decision,
        policy_set: PolicySet,
    ) -> OutcomeKind:
        if probe.trusted:
            return OutcomeKind.TRUSTED
        if not decision.allowed:
            if probe.original_resource is not None:
                original = replace(probe, resource=probe.original_resource)
                again = self._decide(original, policy_set)
                if again is not None and again.allowed:
                    return OutcomeKind.CONVENTION
            return OutcomeKind.DENIED
        if probe.hypothetical is not None:
            return OutcomeKind.HYPOTHETICAL
        if (
            item.policy_type is PolicyType.TRUST
            and probe.kind is not ProbeKind.FOREIGN_IAM
            and is_passrole_gated(probe.principal)
        ):
            return OutcomeKind.PASSROLE
        if probe.kind is ProbeKind.NO_SOURCE_KEYS and not attribution.source_conditions(
            grant.statement
        ):
            if self._rcp_denies_keyed(probe, policy_set):
                return OutcomeKind.RCP_ACCEPTED
            foreign = FOREIGN_ACCOUNTS[0]
            convention = path_convention_resource(probe.resource, probe.principal, foreign)
            if convention != probe.resource:
                return OutcomeKind.CONVENTION  # writes land under the source account's path
        return OutcomeKind.EXPLOIT

    def _rcp_denies_keyed(self, probe: Probe, policy_set: PolicySet) -> bool:
        """AWS's confused-deputy RCP denies foreign sources but lets key-less calls through by
        design (`Null aws:SourceAccount false`, §6.4, #73). When the resource policy has no guard
        of its own and an RCP denies the same call from a foreign source, the key-less gap is
        the organization's accepted design, not this policy's mistake."""
        foreign = FOREIGN_ACCOUNTS[0]
        context = dict(probe.context)
        context["aws:SourceAccount"] = foreign
        keyed = self._decide(replace(probe, context=context), policy_set)
        return keyed is not None and any(
            m.policy == "rcp" and m.effect == "Deny" for m in keyed.matched
        )

    def _semantic(self, item: PolicyInput, policy: Policy) -> list[Finding]:
        findings: dict[int, Finding] = {}
        advisory: dict[int, Finding] = {}
        for outcome in self.adversarial(item, policy):
            probe, decision = outcome.probe, outcome.decision
            if outcome.kind is OutcomeKind.PASSROLE:
                statement = outcome.grant.statement
                cause = attribution.Cause(
                    "DG001",
                    "info",
                    f"{probe.principal} assumes this role only where iam:PassRole in your "
                    "account hands it over, and sends no source keys then: no confused deputy",
                    "nothing to change; add aws:SourceAccount if the service documents it",
                )
                advisory.setdefault(statement.index, self._finding(item, statement, cause, None))
                continue
            if outcome.kind is OutcomeKind.CONVENTION:
                statement = outcome.grant.statement
                cause = attribution.Cause(
                    "DG001",
                    "medium",
                    f"{probe.principal} has no source condition; only the AWSLogs/<account>/ "
                    "path the integration writes under keeps other accounts' deliveries out of "
                    "the Resource it grants (a convention, not a documented condition key)",
                    attribution.guard_hint(self.settings.owner),
                )
                advisory.setdefault(statement.index, self._finding(item, statement, cause, None))
                continue
            if outcome.kind is OutcomeKind.HYPOTHETICAL and probe.hypothetical == REREGISTERED:
                statement = _granting_statement(policy, decision, outcome.grant.statement)
                arn = probe.source.arn if probe.source else "the source bucket"
                cause = attribution.Cause(
                    "DG014",
                    "medium",
                    f"{arn} has no account field and nothing pins aws:SourceAccount: if "
                    f"{REREGISTERED}, that account's bucket is accepted as the source",
                    'add "StringEquals": {"aws:SourceAccount": "<account that owns the bucket>"}',
                    _source_arn_condition(statement),
                )
                advisory.setdefault(statement.index, self._finding(item, statement, cause, None))
                continue
            if outcome.kind is not OutcomeKind.EXPLOIT:
                continue
            statement = _granting_statement(policy, decision, outcome.grant.statement)
            cause = attribution.explain(statement, probe, policy, self.settings.owner)
            known = findings.get(statement.index)
            if known is not None and _worse_or_equal(known, cause):
                continue
            findings[statement.index] = self._finding(item, statement, cause, probe)
        for index, finding in advisory.items():
            findings.setdefault(index, finding)
        return list(findings.values())

    def _probes(self, grant: Grant, builder: ProbeBuilder) -> list[Probe]:
        owner = self.settings.owner
        probes: list[Probe] = []
        statement = grant.statement
        extra = request_key_values(statement)
        for principal in grant.services:
            for action in concrete_actions(statement, principal)[:3]:
                for resource in concrete_resources(statement, action, owner):
                    for kind, source, hypothetical in builder.sources(principal):
                        trusted = builder.source_trusted(source)
                        target = resource
                        if not trusted:
                            target = path_convention_resource(resource, principal, source.account)
                        context = builder.service_context(principal, source, owner, action) | extra
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
                                resource if target != resource else None,
                            )
                        )
                    probes.append(
                        Probe(
                            ProbeKind.NO_SOURCE_KEYS,
                            principal,
                            action,
                            resource,
                            builder.service_context(principal, None, owner, action) | extra,
                            False,
                        )
                    )
        if grant.everyone:
            foreign = builder.foreign[0]
            caller = f"arn:aws:iam::{foreign}:role/Attacker"
            identity = {
                "aws:PrincipalArn": caller,
                "aws:PrincipalAccount": foreign,
                "aws:PrincipalIsAWSService": "false",
            }
            for action in concrete_actions(statement, None)[:2]:
                for resource in concrete_resources(statement, action, owner):
                    probes.append(
                        Probe(
                            ProbeKind.FOREIGN_IAM, caller, action, resource, identity | extra, False
                        )
                    )
                    probes.append(
                        Probe(
                            ProbeKind.ANONYMOUS, "anonymous", action, resource, dict(extra), False
                        )
                    )
        return probes

    def _decide(self, probe: Probe, policy_set: PolicySet) -> Decision | None:
        if probe.resource == "*":
            return None
        return self._evaluate(
            probe.principal,
            probe.action,
            probe.resource,
            probe.context,
            self.settings.owner,
            policy_set,
        )

    def _evaluate(
        self,
        principal: str,
        action: str,
        resource: str,
        context: Mapping[str, Any],
        account: str | None,
        policy_set: PolicySet,
    ) -> Decision | None:
        """One request against the policy set; None when the request itself is malformed."""
        try:
            request = Request(principal, action, resource, Context.from_json(context), account)
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
            snippet=_condition_snippet(cause.condition) if cause.condition else _snippet(raw),
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
        out: list[Finding] = []
        for note in syntactic.check(policy, item.policy_type, self.settings.org):
            key = (note.statement.index, note.rule)
            if key in taken:
                continue
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


def _worse_or_equal(known: Finding, cause: attribution.Cause) -> bool:
    """Keep the most specific rule per statement, and within one rule the worst severity."""
    if _rank(known.rule) != _rank(cause.rule):
        return _rank(known.rule) < _rank(cause.rule)
    return known.severity.rank >= Severity(cause.severity).rank


def _source_arn_condition(statement: Statement) -> Condition | None:
    return next((c for c in statement.conditions if c.key.lower() == "aws:sourcearn"), None)


def _rank(rule: str) -> int:
    return attribution.PRIORITY.index(rule) if rule in attribution.PRIORITY else 99


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
    return _statement_at(document, statement.index)


def _condition_snippet(condition: Condition) -> str:
    """The offending condition as the user wrote it (operator, key, values)."""
    values: Any = list(condition.values) if len(condition.values) != 1 else condition.values[0]
    return orjson.dumps({condition.operator: {condition.key: values}}).decode()


def _snippet(raw: dict[str, Any] | None) -> str | None:
    if raw is None:
        return None
    text = orjson.dumps(raw, option=orjson.OPT_INDENT_2).decode()
    lines = text.splitlines()
    return "\n".join(lines[:12] + (["  …"] if len(lines) > 12 else []))


def _statement_at(document: Any, index: int | None) -> dict[str, Any] | None:
    """Statement `index` as written (a lone `Statement` object is statement 0)."""
    if not isinstance(document, dict) or index is None:
        return None
    raw = document.get("Statement")
    statement = raw[index] if isinstance(raw, list) and 0 <= index < len(raw) else raw
    return statement if isinstance(statement, dict) else None


def _mentions(document: Any, index: int | None, marker: str) -> bool:
    """Whether statement `index` of `document` holds `marker` (for the DG020 message)."""
    statement = _statement_at(document, index) or {}
    deciding = {k: v for k, v in statement.items() if k.lower() not in ("resource", "notresource")}
    return marker in orjson.dumps(deciding).decode()
