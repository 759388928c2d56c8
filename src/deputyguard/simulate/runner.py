"""Turn one neutral-format case into a decision record (cli.md `simulate`).

The case format is the oracle's (`../shared/oracle/README.md`) plus `org` and `request.source`.
With a source, the service-principal context keys are derived from the organization model; keys
given in `request.context` always win. Without a source the context is used exactly as given.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from deputyguard.awsdata.arn import account_of
from deputyguard.engine.compiled import CompiledPolicy, compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.decision import Decision
from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
from deputyguard.engine.options import DEFAULT_OPTIONS, EngineOptions
from deputyguard.engine.principals import CallerKind, classify_caller
from deputyguard.org import (
    DocumentMap,
    OrgModel,
    OrgModelError,
    RcpAttachment,
    SourceRef,
    org_from_data,
)
from deputyguard.org.derive import resource_context, source_context
from deputyguard.policy.issues import Issue, PolicyError, error
from deputyguard.policy.model import PolicyType
from deputyguard.policy.operators import OperatorError
from deputyguard.policy.parse import parse_policy
from deputyguard.policy.validate import validate_policy
from deputyguard.simulate.cases import RawCase

COMPILE_CACHE_SIZE = 2048
CACHE_PROBE = 1000


class CaseError(ValueError):
    """The case is invalid; its message names the member at fault."""


@dataclass(frozen=True, slots=True)
class CaseResult:
    id: Any
    decision: Decision | None
    error: str | None
    expect: str | None = None
    has_expect: bool = False
    warnings: tuple[str, ...] = ()
    request: Request | None = None
    source: Mapping[str, Any] | None = None

    @property
    def mismatch(self) -> bool:
        if not self.has_expect:
            return False
        got = self.decision.decision.value if self.decision is not None else None
        return got != self.expect

    def to_json(self, explain: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "decision": self.decision.decision.value if self.decision else None,
            "error": self.error,
            "matched": [m.to_json() for m in self.decision.matched] if self.decision else [],
        }
        if self.decision is not None:
            out["reason"] = self.decision.reason
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if explain and self.decision is not None and self.decision.explanation is not None:
            out["explain"] = self.decision.explanation.to_json()
        return out


@dataclass
class Runner:
    org: OrgModel | None = None
    options: EngineOptions = DEFAULT_OPTIONS
    explain: bool = False
    lint: bool = False
    """Report every validation finding as a warning; otherwise only check that each policy can
    be evaluated (the blocking checks), which is several times cheaper."""
    _org_rcps: dict[int, dict[str, tuple[CompiledPolicy, ...]]] = field(default_factory=dict)
    _cache_stats: list[int] = field(default_factory=lambda: [0, 0])
    """Look-ups made and hits, while probing whether the compile cache pays off."""
    _compiled: OrderedDict[tuple[Any, ...], tuple[CompiledPolicy | None, tuple[Issue, ...]]] = (
        field(default_factory=OrderedDict)
    )

    def run(self, raw: RawCase) -> CaseResult:
        if raw.data is None:
            return CaseResult(raw.id, None, raw.error or "unreadable case")
        data = raw.data
        expect = data.get("expect")
        has_expect = "expect" in data and isinstance(expect, str)
        try:
            request, policies, warnings, source = self._build(data)
            decision = evaluate(request, policies, self.options, explain=self.explain)
        except (CaseError, RequestError, PolicyError, OrgModelError) as exc:
            return CaseResult(raw.id, None, str(exc), expect, has_expect)
        return CaseResult(
            raw.id, decision, None, expect, has_expect, tuple(warnings), request, source
        )

    # -- building -------------------------------------------------------------------------------
    def _build(
        self, data: dict[str, Any]
    ) -> tuple[Request, PolicySet, list[str], Mapping[str, Any] | None]:
        raw_request = _member(data, "request", dict)
        principal = _string(raw_request, "principal", "request")
        action = _string(raw_request, "action", "request")
        resource = _string(raw_request, "resource", "request")
        resource_account = raw_request.get("resourceAccount")
        if resource_account is not None and not isinstance(resource_account, str):
            raise CaseError("request.resourceAccount must be a string")
        raw_context = raw_request.get("context")
        if raw_context is None:
            raw_context = {}
        if not isinstance(raw_context, dict):
            raise CaseError("request.context must be an object")
        try:
            context = Context.from_json(raw_context)
        except RequestError as exc:
            raise CaseError(f"request.context: {exc}") from exc
        org = self._org_for(data)
        caller = classify_caller(principal)
        account = resource_account or account_of(resource)
        source = raw_request.get("source")
        if source is not None:
            if caller.kind is not CallerKind.SERVICE:
                raise CaseError("request.source is only for requests made by a service principal")
            context = context.with_values(
                source_context(org, _source_ref(source), principal)
            ).with_values(resource_context(org, account))
        raw_policies = data.get("policies")
        if raw_policies is None:
            raw_policies = {}
        if not isinstance(raw_policies, dict):
            raise CaseError("policies must be an object")
        warnings: list[str] = []
        policy_set = self._policy_set(raw_policies, action, org, account, caller.account, warnings)
        request = Request(principal, action, resource, context, resource_account)
        return request, policy_set, warnings, source if isinstance(source, dict) else None

    def _org_for(self, data: dict[str, Any]) -> OrgModel | None:
        if "org" not in data:
            return self.org
        return org_from_data(data["org"], file=None)

    def _policy_set(
        self,
        raw: dict[str, Any],
        action: str,
        org: OrgModel | None,
        resource_account: str | None,
        principal_account: str | None,
        warnings: list[str],
    ) -> PolicySet:
        known = {
            "identity",
            "resource",
            "permissionBoundary",
            "session",
            "vpcEndpoint",
            "scps",
            "rcps",
        }
        for key in raw:
            if key not in known:
                raise CaseError(f"policies.{key}: unknown member (expected one of {sorted(known)})")
        trust = action.lower().startswith("sts:assumerole")
        resource_type = PolicyType.TRUST if trust else PolicyType.RESOURCE
        resource = None
        if raw.get("resource") is not None:
            resource = self._compile_member(
                warnings, raw["resource"], "policies.resource", resource_type, "resource"
            )
        identity = tuple(
            self._compile_member(
                warnings, p, f"policies.identity[{i}]", PolicyType.IDENTITY, "identity"
            )
            for i, p in enumerate(_list(raw.get("identity"), "policies.identity"))
        )
        boundaries = tuple(
            self._compile_member(
                warnings, p, f"policies.permissionBoundary[{i}]", PolicyType.BOUNDARY, "boundary"
            )
            for i, p in enumerate(
                _list(raw.get("permissionBoundary"), "policies.permissionBoundary")
            )
        )
        session = None
        if raw.get("session") is not None:
            session = self._compile_member(
                warnings, raw["session"], "policies.session", PolicyType.SESSION, "session"
            )
        vpce = tuple(
            self._compile_member(
                warnings, p, f"policies.vpcEndpoint[{i}]", PolicyType.VPC_ENDPOINT, "vpc-endpoint"
            )
            for i, p in enumerate(_list(raw.get("vpcEndpoint"), "policies.vpcEndpoint"))
        )
        scps = self._levels(raw.get("scps"), "scps", PolicyType.SCP, warnings)
        if "rcps" in raw:
            rcps = self._levels(raw.get("rcps"), "rcps", PolicyType.RCP, warnings)
        else:
            rcps = self._org_rcp_levels(org, resource_account, warnings)
        return PolicySet(
            identity=identity,
            resource=resource,
            boundaries=boundaries,
            session=session,
            vpc_endpoint=vpce,
            scps=scps,
            rcps=rcps,
            resource_in_management_account=bool(
                org and resource_account and org.is_management_account(resource_account)
            ),
            principal_in_management_account=bool(
                org and principal_account and org.is_management_account(principal_account)
            ),
        )

    def _compile_member(
        self, warnings: list[str], value: Any, where: str, ptype: PolicyType, kind: str
    ) -> CompiledPolicy:
        return self._compile(value, where, ptype, kind, warnings)

    def _levels(
        self, raw: Any, member: str, ptype: PolicyType, warnings: list[str]
    ) -> tuple[Level, ...]:
        levels = []
        kind = ptype.value
        for i, level in enumerate(_list(raw, f"policies.{member}")):
            where = f"policies.{member}[{i}]"
            target: str | None = None
            if isinstance(level, dict):
                target = level.get("id") if isinstance(level.get("id"), str) else None
                items = _list(level.get("policies"), f"{where}.policies")
            elif isinstance(level, list):
                items = level
            else:
                raise CaseError(f"{where}: a level is a list of policies or {{id, policies}}")
            compiled = tuple(
                self._compile(p, f"{where}[{j}]", ptype, kind, warnings, target)
                for j, p in enumerate(items)
            )
            levels.append(Level(target, compiled))
        return tuple(levels)

    def _org_rcp_levels(
        self, org: OrgModel | None, account: str | None, warnings: list[str]
    ) -> tuple[Level, ...]:
        if org is None or account is None or not org.contains_account(account):
            return ()
        cache = self._org_rcps.setdefault(id(org), {})
        levels = []
        for target, attachments in zip(
            org.parent_chain(account), org.rcp_levels(account), strict=True
        ):
            if target not in cache:
                cache[target] = tuple(self._org_rcp(a, target, warnings) for a in attachments)
            levels.append(Level(target, cache[target]))
        return tuple(levels)

    def _org_rcp(
        self, attachment: RcpAttachment, target: str, warnings: list[str]
    ) -> CompiledPolicy:
        """An RCP from the org file, reported with the file, line and column it was written at."""
        location = attachment.location
        where = f"{location.file or 'org'}: RCP {attachment.name!r} on {target}"
        compiled, issues = self._parse_validate_compile(
            attachment.document,
            PolicyType.RCP,
            "rcp",
            attachment.name,
            target,
            attachment.source_map,
            attachment.pointer,
        )
        return _accept(compiled, issues, where, warnings)

    def _compile(
        self,
        value: Any,
        where: str,
        ptype: PolicyType,
        kind: str,
        warnings: list[str],
        level: str | None = None,
    ) -> CompiledPolicy:
        name = None
        document = value
        if isinstance(value, dict) and "policy" in value and "Statement" not in value:
            name = value.get("name") if isinstance(value.get("name"), str) else None
            document = value["policy"]
        compiled, issues = self._compile_cached(document, ptype, kind, name, level)
        return _accept(compiled, issues, where, warnings)

    def _compile_cached(
        self, document: Any, ptype: PolicyType, kind: str, name: str | None, level: str | None
    ) -> tuple[CompiledPolicy | None, tuple[Issue, ...]]:
        """Parse, validate and compile, remembering recent documents: suites of cases usually
        share a few policies, and compiling dominates the cost of a decision. When the first
        CACHE_PROBE look-ups hit less than 5 % of the time, the cache stops being consulted."""
        key = None
        lookups, hits = self._cache_stats
        if lookups < CACHE_PROBE or hits * 20 >= lookups:
            try:
                key = (orjson.dumps(document), ptype, kind, name, level)
            except (TypeError, orjson.JSONEncodeError):
                key = None
            self._cache_stats[0] += 1
        if key is not None and key in self._compiled:
            self._cache_stats[1] += 1
            self._compiled.move_to_end(key)
            return self._compiled[key]
        entry = self._parse_validate_compile(document, ptype, kind, name, level)
        if key is not None:
            self._compiled[key] = entry
            if len(self._compiled) > COMPILE_CACHE_SIZE:
                self._compiled.popitem(last=False)
        return entry

    def _parse_validate_compile(
        self,
        document: Any,
        ptype: PolicyType,
        kind: str,
        name: str | None,
        level: str | None,
        source_map: DocumentMap | None = None,
        pointer: str = "",
    ) -> tuple[CompiledPolicy | None, tuple[Issue, ...]]:
        result = parse_policy(
            document,
            name=name,
            positions=source_map.values if source_map else None,
            duplicates=source_map.duplicates if source_map else (),
            all_values=source_map.all_values if source_map else None,
            base_pointer=pointer,
        )
        issues: list[Issue] = list(result.issues)
        compiled: CompiledPolicy | None = None
        if result.policy is not None:
            issues.extend(validate_policy(result.policy, ptype, blocking_only=not self.lint))
            try:
                compiled = compile_policy(result.policy, kind, name=name, level=level)
            except OperatorError as exc:
                issues.append(error(exc.code, exc.message, result.policy.span))
        return compiled, tuple(issues)


def _accept(
    compiled: CompiledPolicy | None, issues: tuple[Issue, ...], where: str, warnings: list[str]
) -> CompiledPolicy:
    """The compiled policy, or a PolicyError naming every blocking issue; other issues become
    warnings prefixed with where the policy came from."""
    blocking = tuple(i for i in issues if i.blocking)
    if blocking or compiled is None:
        raise PolicyError(blocking or issues, where)
    warnings.extend(f"{where}: {i.describe()}" for i in issues)
    return compiled


def _member(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise CaseError(f"{key} must be an object")
    return value


def _string(data: dict[str, Any], key: str, parent: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise CaseError(f"{parent}.{key} must be a non-empty string")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise CaseError(f"{where} must be a list")


def _source_ref(raw: Any) -> SourceRef:
    if not isinstance(raw, dict):
        raise CaseError("request.source must be an object with arn and/or account")
    arn, account = raw.get("arn"), raw.get("account")
    org_id, org_paths = raw.get("org_id"), raw.get("org_paths")
    if arn is not None and not isinstance(arn, str):
        raise CaseError("request.source.arn must be a string")
    if account is not None and not isinstance(account, str):
        raise CaseError("request.source.account must be a string")
    if arn is None and account is None:
        raise CaseError("request.source needs an arn or an account")
    if org_id is not None and not isinstance(org_id, str):
        raise CaseError("request.source.org_id must be a string")
    if org_paths is not None and not (
        isinstance(org_paths, list) and all(isinstance(p, str) for p in org_paths)
    ):
        raise CaseError("request.source.org_paths must be a list of strings")
    return SourceRef(arn, account, org_id, tuple(org_paths) if org_paths is not None else None)
