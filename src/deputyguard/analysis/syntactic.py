"""Rules that need no counterexample: `medium`, `low` and `info` findings (rules.md).

They explain fragile or dead guards. None of them can raise a policy to FAIL; the semantic
analysis (engine + adversarial requests) alone produces `high`/`critical` findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from deputyguard.analysis.probes import SOURCE_KEYS
from deputyguard.awsdata.arn import split_arn
from deputyguard.awsdata.integrations import KeyStatus, for_grant
from deputyguard.engine.conditions import value_text
from deputyguard.engine.variables import Variable, parse_template
from deputyguard.org import OrgModel
from deputyguard.policy.model import Condition, Effect, Policy, PolicyType, Statement
from deputyguard.policy.operators import OperatorError, Qualifier, parse_operator
from deputyguard.wildcard import glob_match, has_wildcard

_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_VALUE_FORMATS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "aws:sourceorgid": (
        _ORG_ID,
        "an organization id (o- and 10–32 lowercase letters or digits)",
        "use the organization id shown by `aws organizations describe-organization`",
    ),
    "aws:sourceaccount": (
        _ACCOUNT,
        "a 12-digit account id",
        "write the account id as 12 digits, as a string",
    ),
}
"""Formats AWS gives these values (§6.1, §8): any other literal can never be sent."""
_NEVER_POPULATED = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP}
)
_SINGLE_VALUED_SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"})


@dataclass(frozen=True, slots=True)
class Note:
    rule: str
    severity: str
    statement: Statement
    condition: Condition | None
    message: str
    suggestion: str


def check(policy: Policy, policy_type: PolicyType, org: OrgModel | None) -> Iterator[Note]:
    for statement in policy.statements:
        for condition in statement.conditions:
            key = condition.key.lower()
            if key not in SOURCE_KEYS:
                continue
            if policy_type in _NEVER_POPULATED:
                yield Note(
                    "DG007",
                    "low",
                    statement,
                    condition,
                    f"{condition.key} is never present in a {policy_type} policy: only service "
                    "principals send it, and they are never evaluated against this policy type",
                    "move the guard to the resource policy or to an RCP",
                )
                continue
            yield from _condition_notes(statement, condition, key, org)
        if policy_type in (PolicyType.RESOURCE, PolicyType.TRUST):
            yield from _statement_notes(statement)
    yield from _duplicate_case_keys(policy)


def _condition_notes(
    statement: Statement, condition: Condition, key: str, org: OrgModel | None
) -> Iterator[Note]:
    try:
        operator = parse_operator(condition.operator)
    except OperatorError:
        return
    if operator.base.family.value == "Null":
        return  # Null takes true/false, not source values
    values = [value_text(v) for v in condition.values]
    allow = statement.effect is Effect.ALLOW
    label = f"{condition.operator} {condition.key}"
    base = operator.base
    if base.compare in ("eq", "eq_ci") and base.family.value == "String":
        literal_wildcards = [v for v in values if has_wildcard(v) and "${" not in v]
        if literal_wildcards and not base.negated:
            yield Note(
                "DG005",
                "low",
                statement,
                condition,
                f"{label} compares * and ? literally: {literal_wildcards[0]!r} never matches a "
                "real value",
                "use StringLike/ArnLike for patterns (but never wildcard account or org ids)",
            )
    value_format = _VALUE_FORMATS.get(key)
    if value_format is not None and not base.negated:
        pattern, what, fix = value_format
        bad = [v for v in values if not has_wildcard(v) and "${" not in v and not pattern.match(v)]
        if bad:
            yield Note(
                "DG005",
                "low",
                statement,
                condition,
                f"{label}: {bad[0]!r} is not {what}, so it never matches",
                fix,
            )
    if key == "aws:sourcearn" and base.family.value == "Arn" and not base.negated:
        for value in values:
            parts = split_arn(value)
            if (
                parts
                and "${" not in value
                and (parts[2] != parts[2].lower() or parts[3] != parts[3].lower())
            ):
                yield Note(
                    "DG005",
                    "low",
                    statement,
                    condition,
                    f"{label}: {value!r} has upper-case letters in its service or Region "
                    "component; ARN operators are case-sensitive and AWS writes these "
                    "in lower case, so it never matches",
                    "write the service and Region in lower case",
                )
                break
    if key == "aws:sourcearn" and base.family.value == "String" and allow:
        yield Note(
            "DG006",
            "info",
            statement,
            condition,
            f"{label}: ARN keys are best compared with ArnEquals/ArnLike, which match "
            "component by component",
            f"use {'ArnLike' if base.compare == 'like' else 'ArnEquals'}",
        )
    if key == "aws:sourceorgpaths" and operator.qualifier is None:
        yield Note(
            "DG008",
            "medium",
            statement,
            condition,
            f"{label}: aws:SourceOrgPaths is multivalued and needs ForAnyValue or "
            "ForAllValues (Access Analyzer MISSING_QUALIFIER); AWS does not document what "
            "the plain operator does",
            f"use ForAnyValue:{base.name}",
        )
    if (
        key in _SINGLE_VALUED_SOURCE_KEYS
        and operator.qualifier is Qualifier.FOR_ANY_VALUE
        and allow
    ):
        yield Note(
            "DG009",
            "info",
            statement,
            condition,
            f"{label}: {condition.key} is single-valued; ForAnyValue behaves like the "
            "plain operator here",
            f"use {base.name}",
        )
    if operator.qualifier is Qualifier.FOR_ANY_VALUE and operator.if_exists and allow:
        yield Note(
            "DG003",
            "medium",
            statement,
            condition,
            f"{label}: ForAnyValue with IfExists on an absent key is undocumented "
            "(spec §3.5); whether the guard holds for key-less requests is unknown",
            "drop IfExists and add a Null check if key-less requests must be refused",
        )
    for value in values:
        for part in parse_template(value).parts:
            if isinstance(part, Variable) and part.key and part.key.lower() not in SOURCE_KEYS:
                yield Note(
                    "DG015",
                    "info",
                    statement,
                    condition,
                    f"{label} takes its value from ${{{part.key}}}: Access Analyzer "
                    "reports variables on sensitive keys (VARIABLE_USAGE_TOO_PERMISSIVE)",
                    "write the literal account or organization id",
                )
                break
    if key == "aws:sourceorgpaths" and org is not None:
        yield from _org_path_notes(statement, condition, values, org)
    if key in ("aws:sourceaccount", "aws:sourcearn") and org is not None and allow:
        yield from _account_list_notes(statement, condition, key, values, org)


def _org_path_notes(
    statement: Statement, condition: Condition, values: list[str], org: OrgModel
) -> Iterator[Note]:
    organization = org.organization
    if organization is None:
        return
    paths = [f"{organization.id}/{organization.root}/"] + [u.path for u in org.units()]
    for value in values:
        if "${" in value:
            continue
        if not value.startswith("o-"):
            yield Note(
                "DG019",
                "medium",
                statement,
                condition,
                f"the path pattern {value!r} does not start with the organization id: "
                "OU and root ids are unique only within one organization",
                f"start the pattern with {organization.id}/",
            )
        elif not any(glob_match(value, p) for p in paths):
            yield Note(
                "DG019",
                "medium",
                statement,
                condition,
                f"the path pattern {value!r} matches no entity path of the organization model",
                "check the OU ids against `deputyguard org show`",
            )


def _account_list_notes(
    statement: Statement, condition: Condition, key: str, values: list[str], org: OrgModel
) -> Iterator[Note]:
    """DG018: an enumeration of accounts (or per-account ARN patterns) that all belong to the
    organization is better written with aws:SourceOrgID / aws:SourceOrgPaths (§6.3, §8)."""
    organization = org.organization
    if organization is None:
        return
    accounts = set()
    for value in values:
        if key == "aws:sourcearn":
            parts = split_arn(value)
            account = parts[4] if parts else ""
        else:
            account = value
        if not _ACCOUNT.match(account):
            return
        accounts.add(account)
    if len(accounts) < 2 or not all(org.contains_account(a) for a in accounts):
        return
    yield Note(
        "DG018",
        "info",
        statement,
        condition,
        f"{condition.operator} {condition.key} lists {len(accounts)} accounts that all "
        f"belong to {organization.id}: the list must change as accounts join and leave",
        f'use "StringEquals": {{"aws:SourceOrgID": "{organization.id}"}} or '
        "ForAnyValue:StringLike aws:SourceOrgPaths for an OU",
    )


def _statement_notes(statement: Statement) -> Iterator[Note]:
    if statement.effect is not Effect.ALLOW or statement.principal is None:
        return
    services = statement.principal.service
    if not services:
        return
    keys = {c.key.lower(): c.key for c in statement.conditions}
    actions = statement.actions or ()
    for principal in services:
        relevant = {i.id: i for action in actions for i in for_grant(principal, action)}.values()
        for integration in relevant:
            for key in keys.keys() & SOURCE_KEYS:
                status = next((s for k, s in integration.keys.items() if k.lower() == key), None)
                if status is KeyStatus.NOT_SENT:
                    yield Note(
                        "DG011",
                        "medium",
                        statement,
                        None,
                        f"{principal} is documented not to send {keys[key]} "
                        f"({integration.service}): this guard blocks the integration",
                        "guard with a key the integration sends (see its AWS page: "
                        + ", ".join(integration.sources[:1])
                        + ")",
                    )


def _duplicate_case_keys(policy: Policy) -> Iterator[Note]:
    for statement in policy.statements:
        seen: dict[tuple[str, str], str] = {}
        for condition in statement.conditions:
            marker = (condition.operator, condition.key.lower())
            if marker in seen and seen[marker] != condition.key:
                yield Note(
                    "DG005",
                    "low",
                    statement,
                    condition,
                    f"{condition.key} appears twice under {condition.operator} in "
                    "different letter case (Access Analyzer "
                    "DUPLICATE_KEYS_WITH_DIFFERENT_CASE)",
                    "keep one spelling and merge the values",
                )
            seen.setdefault(marker, condition.key)
