"""Proposing the smallest repair for each high/critical finding (issue 5, cli.md `fix`).

A repair edits one statement's Condition: it adds the missing source guard at the chosen scope,
or rewrites the operator that fails open. Which key guards the source comes from the scope and
from the integration table: a key the granted integration is documented not to send is never
chosen. Every proposal is verified by `fix.verify` before it is offered.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from deputyguard.analysis.model import Finding
from deputyguard.awsdata.arn import split_arn
from deputyguard.awsdata.integrations import KeyStatus, key_status
from deputyguard.fix.scope import Scope
from deputyguard.org import OrgModel
from deputyguard.policy.operators import OperatorError, Qualifier, parse_operator


@dataclass(frozen=True)
class RepairSettings:
    scope: Scope
    owner: str | None
    org: OrgModel | None
    trusted_accounts: tuple[str, ...] = ()
    ou: str | None = None
    source_arn: str | None = None


class Unfixable(ValueError):
    """No sound repair can be proposed; the message says why (never a guessed account id)."""


def statement_of(document: dict[str, Any], index: int) -> dict[str, Any]:
    raw = document.get("Statement")
    found: Any = None
    if isinstance(raw, dict):
        found = raw
    elif isinstance(raw, list) and 0 <= index < len(raw):
        found = raw[index]
    if not isinstance(found, dict):
        raise Unfixable(f"statement {index} not found")
    return found


def guard(settings: RepairSettings, principal: str | None, actions: list[str]) -> dict[str, Any]:
    """The condition block that binds the source at the chosen scope."""
    scope = settings.scope
    organization = settings.org.organization if settings.org else None
    if scope is Scope.ORG:
        if organization is None:
            raise Unfixable("--scope org needs the organization model (--org)")
        if _not_sent(principal, actions, "aws:SourceOrgID"):
            raise Unfixable(
                f"{principal} is documented not to send aws:SourceOrgID; use --scope account"
            )
        return {"StringEquals": {"aws:SourceOrgID": organization.id}}
    if scope is Scope.OU:
        if organization is None or settings.org is None:
            raise Unfixable("--scope ou needs the organization model (--org)")
        unit = next((u for u in settings.org.units() if u.id == settings.ou), None)
        if unit is None:
            raise Unfixable(f"--scope ou needs --ou with an OU of the model (got {settings.ou})")
        if _not_sent(principal, actions, "aws:SourceOrgPaths"):
            raise Unfixable(f"{principal} is documented not to send aws:SourceOrgPaths")
        return {"ForAnyValue:StringLike": {"aws:SourceOrgPaths": unit.path + "*"}}
    if scope is Scope.ACCOUNT:
        if settings.owner is None:
            raise Unfixable("the owner's account is unknown: give --account (never guessed)")
        accounts = [settings.owner, *(a for a in settings.trusted_accounts if a != settings.owner)]
        return {
            "StringEquals": {"aws:SourceAccount": accounts if len(accounts) > 1 else accounts[0]}
        }
    arn = settings.source_arn
    if not arn:
        raise Unfixable("--scope source-arn needs --source-arn")
    parts = split_arn(arn)
    if parts is None:
        raise Unfixable(f"--source-arn {arn!r} is not an ARN")
    block: dict[str, Any] = {
        "ArnLike" if "*" in arn or "?" in arn else "ArnEquals": {"aws:SourceArn": arn}
    }
    if not parts[4]:  # no account field (S3): pin the account too (S7, S19)
        if settings.owner is None:
            raise Unfixable(f"{arn} has no account field; give --account to pin aws:SourceAccount")
        block["StringEquals"] = {"aws:SourceAccount": settings.owner}
    return block


def _not_sent(principal: str | None, actions: list[str], key: str) -> bool:
    if principal is None:
        return False
    return any(key_status(principal, a, key) is KeyStatus.NOT_SENT for a in actions)


def propose(document: dict[str, Any], finding: Finding, settings: RepairSettings) -> dict[str, Any]:
    """A repaired copy of `document` for one finding, or Unfixable."""
    if finding.statement_index is None:
        raise Unfixable("the finding names no statement")
    fixed = copy.deepcopy(document)
    statement = statement_of(fixed, finding.statement_index)
    rule = finding.rule
    if rule in ("DG013", "DG016"):
        raise Unfixable(
            f"{rule}: the grant reaches everyone; choosing who should be allowed needs a person"
        )
    conditions = statement.setdefault("Condition", {})
    if not isinstance(conditions, dict):
        raise Unfixable("the statement's Condition is not an object")
    if rule == "DG002":
        key = _offending_key(finding) or "aws:SourceOrgPaths"
        conditions.setdefault("Null", {})[key] = "false"
        return fixed
    if rule in ("DG003", "DG009"):
        _rewrite_operator(
            conditions, finding, drop_if_exists=rule == "DG003", drop_qualifier=rule == "DG009"
        )
        return fixed
    if rule == "DG010" and _drop_untrusted_value(conditions, finding):
        return fixed
    if rule == "DG004" and settings.owner and _pin_account(conditions, finding, settings.owner):
        return fixed
    if rule in ("DG004", "DG010", "DG012", "DG015"):
        _remove_offending(conditions, finding)
    actions = list(finding.actions)
    for operator, keys in guard(settings, finding.principal, actions).items():
        conditions.setdefault(operator, {}).update(keys)
    return fixed


def _counterexample_value(finding: Finding, key: str) -> Any:
    context = (finding.counterexample or {}).get("context") or {}
    return next((v for k, v in context.items() if k.lower() == key.lower()), None)


def _drop_untrusted_value(conditions: dict[str, Any], finding: Finding) -> bool:
    """DG010: remove just the value that names the untrusted source; the smallest change. False
    when that would leave the key without values (then the guard is rebuilt)."""
    operator, key = _offending_operator(finding), _offending_key(finding)
    if operator is None or key is None or not isinstance(conditions.get(operator), dict):
        return False
    bad = _counterexample_value(finding, key)
    values = conditions[operator].get(key)
    items = values if isinstance(values, list) else [values]
    kept = [v for v in items if str(v) != str(bad)]
    if bad is None or not kept or len(kept) == len(items):
        return False
    conditions[operator][key] = kept if len(kept) > 1 else kept[0]
    return True


def _pin_account(conditions: dict[str, Any], finding: Finding, owner: str) -> bool:
    """DG004: write the owner's account into the wildcarded account field of the ARN pattern
    (ArnLike, so `*` can no longer cross `:`), or replace a wildcard account id by the owner."""
    operator, key = _offending_operator(finding), _offending_key(finding)
    if operator is None or key is None or not isinstance(conditions.get(operator), dict):
        return False
    values = conditions[operator][key]
    items = values if isinstance(values, list) else [values]
    if key.lower() == "aws:sourceaccount":
        pinned: list[Any] = [owner if ("*" in str(v) or "?" in str(v)) else v for v in items]
    elif key.lower() == "aws:sourcearn":
        pinned = []
        for value in items:
            parts = split_arn(str(value))
            if parts is None or (not parts[4] and not parts[3]):
                return False  # S3 names have no account field: rebuild the guard instead
            pinned.append(":".join((*parts[:4], owner, parts[5])))
    else:
        return False
    block = conditions.pop(operator)
    del block[key]
    if block:
        conditions[operator] = block
    target = "ArnLike" if key.lower() == "aws:sourcearn" else "StringEquals"
    conditions.setdefault(target, {})[key] = pinned if len(pinned) > 1 else pinned[0]
    return True


def _offending_key(finding: Finding) -> str | None:
    pointer = finding.location.pointer
    if "/Condition/" not in pointer:
        return None
    return pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _offending_operator(finding: Finding) -> str | None:
    pointer = finding.location.pointer
    if "/Condition/" not in pointer:
        return None
    tail = pointer.split("/Condition/", 1)[1]
    return tail.split("/", 1)[0].replace("~1", "/").replace("~0", "~")


def _remove_offending(conditions: dict[str, Any], finding: Finding) -> None:
    operator, key = _offending_operator(finding), _offending_key(finding)
    if operator is None or key is None or operator not in conditions:
        return
    block = conditions[operator]
    if isinstance(block, dict):
        block.pop(key, None)
        if not block:
            del conditions[operator]


def _rewrite_operator(
    conditions: dict[str, Any], finding: Finding, *, drop_if_exists: bool, drop_qualifier: bool
) -> None:
    operator, key = _offending_operator(finding), _offending_key(finding)
    if operator is None or key is None or operator not in conditions:
        raise Unfixable("cannot locate the condition to rewrite")
    try:
        parsed = parse_operator(operator)
    except OperatorError as exc:
        raise Unfixable(exc.message) from None
    name = parsed.base.name
    if parsed.qualifier is not None and not drop_qualifier:
        qualifier = parsed.qualifier
        if qualifier is Qualifier.FOR_ALL_VALUES and not drop_if_exists:
            qualifier = Qualifier.FOR_ANY_VALUE
        name = f"{qualifier.value}:{name}"
    if parsed.if_exists and not drop_if_exists:
        name += "IfExists"
    block = conditions[operator]
    value = block.pop(key)
    if not block:
        del conditions[operator]
    conditions.setdefault(name, {})[key] = value
