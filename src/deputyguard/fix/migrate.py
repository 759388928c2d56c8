"""Migration of account-list guards to organization keys, with an access-change report (issue 7).

A statement that grants a service and binds the source with an enumeration of accounts
(`aws:SourceAccount` values, or per-account `aws:SourceArn` patterns that differ only in the
account) is rewritten with `aws:SourceOrgID` (scope org) or `aws:SourceOrgPaths` (scope ou).
Listed accounts outside the organization keep access through a separate statement with an
explicit `aws:SourceAccount` allow-list (in the same statement the AND of keys would exclude
them). The report says, for every service principal and action the statement grants, which
accounts gain, keep and lose access, each decided by the engine on both policies.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from deputyguard.analysis.probes import concrete_actions, source_arn_for
from deputyguard.awsdata.arn import is_account_id, split_arn
from deputyguard.engine.compiled import compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.evaluate import PolicySet, Request, evaluate
from deputyguard.fix.repair import Unfixable, statement_of
from deputyguard.fix.scope import Scope
from deputyguard.org import OrgModel, SourceRef, source_context
from deputyguard.policy.model import Effect, Policy, Statement
from deputyguard.policy.parse import parse_policy

FOREIGN_ACCOUNT = "999988887777"
ARN_OPERATORS = ("ArnLike", "ArnEquals")


class UntrustedListed(Unfixable):
    """A listed account is neither in the organization nor trusted: the list cannot be migrated
    as it stands (the account is reported by `check` as DG010 and repaired there)."""


@dataclass
class AccessChanges:
    gain: set[str] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)
    lose: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, list[str]]:
        return {"gain": sorted(self.gain), "keep": sorted(self.keep), "lose": sorted(self.lose)}


@dataclass
class Migration:
    document: dict[str, Any]
    statements: list[int]
    changes: AccessChanges
    notes: list[str]
    bytes_saved: int

    def to_json(self) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "access_changes": self.changes.to_json(),
            "notes": self.notes,
            "bytes_saved": self.bytes_saved,
        }


@dataclass
class _Guard:
    """How a statement enumerates its sources."""

    operator: str
    key: str
    accounts: list[str]
    template: str | None
    """For ARN patterns: the pattern with `{account}` in place of the account component."""


def _account_guard(statement: dict[str, Any], skipped: list[str]) -> _Guard | None:
    """The statement's account enumeration, if it has one that can be migrated; why an
    enumeration cannot be is added to `skipped` (never dropped silently)."""
    conditions = statement.get("Condition")
    if not isinstance(conditions, dict):
        return None
    for operator, block in conditions.items():
        if not isinstance(block, dict):
            continue
        for key, raw in block.items():
            values = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
            lowered = key.lower()
            if lowered == "aws:sourceaccount" and operator == "StringEquals":
                if len(values) >= 2 and all(is_account_id(v) for v in values):
                    return _Guard(operator, key, values, None)
            elif operator in ARN_OPERATORS and (
                lowered == "aws:sourcearn" or lowered.startswith("kms:encryptioncontext:")
            ):
                guard = _arn_guard(operator, key, values, skipped)
                if guard is not None:
                    return guard
    return None


def _arn_guard(operator: str, key: str, values: list[str], skipped: list[str]) -> _Guard | None:
    templates = set()
    accounts = []
    for value in values:
        parts = split_arn(value)
        if parts is None or not is_account_id(parts[4]):
            return None
        templates.add(":".join((*parts[:4], "{account}", parts[5])))
        accounts.append(parts[4])
    if len(accounts) < 2:
        return None
    if len(templates) != 1:
        skipped.append(
            f"{operator} {key} lists {len(values)} patterns that differ beyond the account "
            "(resource names or Regions too): one organization-wide pattern cannot keep what "
            "each allows, so they are left as they are; split them by shape to migrate"
        )
        return None
    return _Guard(operator, key, accounts, templates.pop())


def _org_condition(org: OrgModel, scope: Scope, ou: str | None) -> tuple[str, str, str]:
    organization = org.organization
    if organization is None:
        raise Unfixable("the organization model describes no organization")
    if scope is Scope.ORG:
        return "StringEquals", "aws:SourceOrgID", organization.id
    unit = next((u for u in org.units() if u.id == ou), None)
    if unit is None:
        raise Unfixable(f"--scope ou needs --ou with an OU of the model (got {ou})")
    return "ForAnyValue:StringLike", "aws:SourceOrgPaths", unit.path + "*"


def migrate(
    document: dict[str, Any],
    policy: Policy,
    org: OrgModel,
    scope: Scope,
    ou: str | None,
    owner: str | None,
) -> Migration | None:
    """The migrated document with its access-change report, or None if nothing enumerates
    accounts. Raises Unfixable when the migration cannot be expressed."""
    migrated = copy.deepcopy(document)
    raw_statements = migrated.get("Statement")
    notes: list[str] = []
    touched: list[int] = []
    extra: list[dict[str, Any]] = []
    operator, org_key, org_value = _org_condition(org, scope, ou)
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.principal is None:
            continue
        if not statement.principal.service:
            continue
        raw = statement_of(migrated, statement.index)
        skipped: list[str] = []
        guard = _account_guard(raw, skipped)
        notes.extend(f"{statement.label}: {note}" for note in skipped)
        if guard is None:
            continue
        inside = [a for a in guard.accounts if org.contains_account(a)]
        outside = [a for a in guard.accounts if not org.contains_account(a)]
        if not inside:
            continue
        untrusted = [a for a in outside if a not in org.trusted_accounts]
        if untrusted:
            raise UntrustedListed(
                f"account {', '.join(untrusted)} is neither in the organization model nor "
                "trusted; trust it (trusted_accounts) or remove it before migrating"
            )
        partners = copy.deepcopy(raw) if outside else None
        block = raw["Condition"][guard.operator]
        if guard.template is None:
            del block[guard.key]
        else:
            block[guard.key] = guard.template.format(account="*")
            if guard.operator == "ArnEquals":
                raw["Condition"]["ArnLike"] = raw["Condition"].pop("ArnEquals")
        if not block and guard.operator in raw["Condition"]:
            del raw["Condition"][guard.operator]
        raw["Condition"].setdefault(operator, {})[org_key] = org_value
        touched.append(statement.index)
        if partners is not None:
            partner_block = partners["Condition"][guard.operator]
            if guard.template is None:
                partner_block[guard.key] = outside if len(outside) > 1 else outside[0]
            else:
                patterns = [guard.template.format(account=a) for a in outside]
                partner_block[guard.key] = patterns if len(patterns) > 1 else patterns[0]
            if "Sid" in partners:
                partners["Sid"] = f"{partners['Sid']}OutsideOrganization"
            extra.append(partners)
    if not touched:
        if notes:
            raise Unfixable("; ".join(notes))
        return None
    if extra:
        if isinstance(raw_statements, dict):
            migrated["Statement"] = [raw_statements, *extra]
        elif isinstance(raw_statements, list):
            migrated["Statement"] = [*raw_statements, *extra]
    changes = access_changes(document, migrated, policy, org, owner, touched)
    if not (changes.gain or changes.keep or changes.lose):
        notes.append(
            "no modelled source was allowed before or after (other conditions of the statement "
            "were not met by the modelled requests): the access-change report is empty, review "
            "the change by hand"
        )
    if FOREIGN_ACCOUNT in changes.gain:
        raise Unfixable("the migrated policy would admit an account outside the organization")
    saved = len(_compact(document)) - len(_compact(migrated))
    return Migration(migrated, touched, changes, notes, saved)


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def access_changes(
    before: dict[str, Any],
    after: dict[str, Any],
    policy: Policy,
    org: OrgModel,
    owner: str | None,
    statements: list[int],
) -> AccessChanges:
    """Gain/keep/lose per account, over every principal and action the statements grant."""
    old = _compiled(before)
    new = _compiled(after)
    listed: set[str] = set()
    for index in statements:
        guard = _account_guard(statement_of(before, index), [])
        if guard is not None:
            listed.update(guard.accounts)
    candidates = sorted({*org.accounts(), *org.trusted_accounts, *listed, FOREIGN_ACCOUNT})
    result = AccessChanges()
    for statement in policy.statements:
        if statement.index not in statements:
            continue
        guard = _account_guard(statement_of(before, statement.index), [])
        for principal in statement.principal.service if statement.principal else ():
            for action in concrete_actions(statement, principal)[:2]:
                resource = _resource(statement, owner)
                for account in candidates:
                    was = _allowed(old, org, principal, action, resource, account, guard, owner)
                    now = _allowed(new, org, principal, action, resource, account, guard, owner)
                    if now and not was:
                        result.gain.add(account)
                    elif was and now:
                        result.keep.add(account)
                    elif was and not now:
                        result.lose.add(account)
    result.keep -= result.lose
    result.gain -= result.lose | result.keep
    return result


def _compiled(document: dict[str, Any]) -> PolicySet:
    parsed = parse_policy(document).policy
    if parsed is None:
        raise Unfixable("the migrated document does not parse")
    return PolicySet(resource=compile_policy(parsed, "resource"))


def _resource(statement: Statement, owner: str | None) -> str:
    for pattern in statement.resources or ():
        if pattern != "*":
            return pattern.replace("*", "example")
    return f"arn:aws:sns:us-east-1:{owner or '111122223333'}:example"


def _allowed(
    policies: PolicySet,
    org: OrgModel,
    principal: str,
    action: str,
    resource: str,
    account: str,
    guard: _Guard | None,
    owner: str | None,
) -> bool:
    arn = (
        guard.template.format(account=account).replace("*", "example")
        if guard is not None and guard.template is not None and guard.key.lower() == "aws:sourcearn"
        else source_arn_for(principal, account)
    )
    context = dict(source_context(org, SourceRef(arn, account), principal))
    if guard is not None and guard.template is not None and guard.key.lower() != "aws:sourcearn":
        context[guard.key] = guard.template.format(account=account).replace("*", "example")
    try:
        request = Request(principal, action, resource, Context.from_json(context), owner)
        return evaluate(request, policies).allowed
    except RequestError:
        return False
