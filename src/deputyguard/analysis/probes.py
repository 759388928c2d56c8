"""Adversarial requests: who could call this grant, on behalf of which source (rules.md).

For every Allow statement that can grant a service principal, the public or everyone-but-some
(`NotPrincipal`), we build concrete requests: the legitimate source, a foreign account in no
organization, a foreign account in another organization (reusing our OU ids), a service call that
carries no source keys, a foreign IAM principal, an anonymous caller, and values derived from the
policy's own literals and wildcards (foreign accounts substituted into wildcard positions, `*`
stretched across `:` for StringLike, untrusted literal accounts and organizations). The engine
then decides each request against the whole policy set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from deputyguard.awsdata.arn import is_account_id, split_arn
from deputyguard.awsdata.catalog import expand_action_pattern, resource_arn_formats
from deputyguard.awsdata.integrations import Integration, for_grant, for_principal
from deputyguard.awsdata.integrations import integrations as integrations_table
from deputyguard.engine.conditions import value_text
from deputyguard.engine.values import like
from deputyguard.org import OrgModel, SourceRef, resource_context, source_context
from deputyguard.policy.model import Effect, Policy, PrincipalSet, Statement
from deputyguard.policy.operators import OperatorError, parse_operator
from deputyguard.wildcard import has_wildcard

SOURCE_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
    }
)
"""Keys that bind a service request to its source (S7; `aws:SourceOwner` is the legacy SNS key)."""


@cache
def service_source_keys() -> frozenset[str]:
    """Service-specific keys that carry the source, from the integration table (lower-cased),
    e.g. `kms:EncryptionContext:aws:logs:arn` for CloudWatch Logs → KMS (rules.md)."""
    return frozenset(k.lower() for i in integrations_table() for k in i.service_keys)


def is_source_key(key: str) -> bool:
    """Whether a condition on `key` (lower-cased) binds the request to its source."""
    return key in SOURCE_KEYS or key in service_source_keys()


FOREIGN_ACCOUNTS = ("999988887777", "888877776666", "123412341234", "567856785678")
FOREIGN_ORG = "o-zzzzzzzzzz"
FOREIGN_ROOT = "r-zz99"
GENERIC_SERVICE = "example-service.amazonaws.com"
MAX_ACTIONS_PER_PATTERN = 3
LOOKALIKE = (
    "another organization would need the same root and OU ids, which AWS assigns at random "
    "(they are unique only within one organization)"
)
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
REREGISTERED = "the bucket is deleted and another account registers the same name"


class ProbeKind(StrEnum):
    LEGITIMATE = "legitimate"
    FOREIGN_NO_ORG = "foreign account in no organization"
    FOREIGN_OTHER_ORG = "foreign account in another organization"
    NO_SOURCE_KEYS = "service call carrying no source keys"
    DERIVED = "value derived from the policy"
    FOREIGN_IAM = "IAM principal of a foreign account"
    ANONYMOUS = "anonymous caller"


@dataclass(frozen=True, slots=True)
class Trust:
    """Who the owner trusts: its account, its organization's accounts, listed accounts/orgs."""

    owner: str | None
    org: OrgModel | None
    accounts: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()

    def account_trusted(self, account: str) -> bool:
        if account == self.owner or account in self.accounts:
            return True
        return self.org is not None and self.org.contains_account(account)

    def org_trusted(self, org_id: str | None) -> bool:
        if org_id is None:
            return False
        if org_id in self.organizations:
            return True
        organization = self.org.organization if self.org else None
        return organization is not None and organization.id == org_id


@dataclass(frozen=True, slots=True)
class Source:
    """The resource a service acts for; org membership may be given explicitly (foreign orgs)."""

    account: str
    arn: str
    org_id: str | None = None
    org_paths: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Probe:
    kind: ProbeKind
    principal: str
    action: str
    resource: str
    context: dict[str, Any]
    trusted: bool
    source: Source | None = None
    hypothetical: str | None = None
    """Set when the request needs something unusual to happen first (a deleted global name
    re-registered by another account): then it is evidence for a `medium` finding only."""
    original_resource: str | None = None
    """The statement's own resource when the probe writes under the source's path instead."""

    def request_json(self, resource_account: str | None) -> dict[str, Any]:
        """The request in the `simulate` case format (cli.md)."""
        out: dict[str, Any] = {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "context": self.context,
        }
        if resource_account:
            out["resourceAccount"] = resource_account
        return out


@dataclass(slots=True)
class Grant:
    """An Allow statement that can reach callers the owner may not trust."""

    statement: Statement
    services: tuple[str, ...]
    everyone: bool
    """`"*"`/`{"AWS": "*"}` or `NotPrincipal`: foreign IAM principals and anonymous too."""


def _principal_grants_everyone(principal: PrincipalSet | None) -> bool:
    return principal is not None and principal.wildcard


def grants(policy: Policy) -> list[Grant]:
    """Allow statements that grant a service principal, the public, or everyone but some."""
    out = []
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        if statement.not_principal is not None:
            excluded = set(statement.not_principal.service)
            services = tuple(s for s in _candidate_services(statement) if s not in excluded)
            out.append(Grant(statement, services, everyone=True))
        elif _principal_grants_everyone(statement.principal):
            out.append(Grant(statement, _candidate_services(statement), everyone=True))
        elif statement.principal is not None and statement.principal.service:
            out.append(Grant(statement, statement.principal.service, everyone=False))
    return out


def _candidate_services(statement: Statement) -> tuple[str, ...]:
    """Service principals that could use a `*` grant: integrations known for its actions."""
    found: list[str] = []
    for action in concrete_actions(statement, None)[:6]:
        for integration in for_grant_any(action):
            if integration.principal not in found:
                found.append(integration.principal)
    return tuple(found[:4]) or (GENERIC_SERVICE,)


def for_grant_any(action: str) -> tuple[Integration, ...]:
    """Integrations (of any principal) that call `action`."""
    lowered = action.lower()
    return tuple(i for i in integrations_table() if lowered in (a.lower() for a in i.actions))


def concrete_actions(statement: Statement, principal: str | None) -> tuple[str, ...]:
    """Actions to try: the integration's own actions that the statement grants, else a few
    expansions of each Action pattern (NotAction: a few actions it does not exclude)."""
    patterns = statement.actions or ()
    chosen: list[str] = []
    if principal is not None:
        for integration in for_principal(principal):
            for action in integration.actions:
                if _action_granted(statement, action) and action not in chosen:
                    chosen.append(action)
    if chosen:
        return tuple(chosen)
    if statement.not_actions is not None:
        services = {a.split(":", 1)[0] for a in statement.not_actions if ":" in a}
        for service in sorted(services) or ["s3"]:
            for action in expand_action_pattern(f"{service}:*"):
                if _action_granted(statement, action):
                    chosen.append(action)
                    if len(chosen) >= MAX_ACTIONS_PER_PATTERN:
                        return tuple(chosen)
        return tuple(chosen)
    for pattern in patterns:
        expanded = expand_action_pattern(pattern) if has_wildcard(pattern) else (pattern,)
        for action in expanded[:MAX_ACTIONS_PER_PATTERN]:
            if action not in chosen:
                chosen.append(action)
    return tuple(chosen)


def _action_granted(statement: Statement, action: str) -> bool:
    lowered = action.lower()
    if statement.actions is not None:
        return any(like(p.lower(), lowered) for p in statement.actions)
    if statement.not_actions is not None:
        return not any(like(p.lower(), lowered) for p in statement.not_actions)
    return False


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "example"), template)


def concrete_resources(statement: Statement, action: str, owner: str | None) -> tuple[str, ...]:
    """A resource of the statement's Resource patterns (wildcards filled), or one synthesised
    from the action's resource type when the statement says `*` or uses NotResource."""
    account = owner or "111122223333"
    out: list[str] = []
    for pattern in statement.resources or ():
        if pattern == "*" or "${" in pattern:
            continue
        out.append(_instantiate(pattern, "example"))
    if not out:
        for template in resource_arn_formats(action):
            if "accesspoint" in template:
                continue
            out.append(
                _fill(template, {"Partition": "aws", "Region": "us-east-1", "Account": account})
            )
            break
    if not out:
        out.append("*")
    return tuple(out[:2])


def _instantiate(pattern: str, filler: str) -> str:
    """Replace each wildcard by a plausible run of text."""
    return pattern.replace("*", filler).replace("?", "x")


def source_arn_for(principal: str, account: str) -> str:
    for integration in for_principal(principal):
        if integration.source_arn_format:
            return _fill(
                integration.source_arn_format,
                {"Partition": "aws", "Region": "us-east-1", "Account": account},
            )
    service = principal.split(".", 1)[0]
    return f"arn:aws:{service}:us-east-1:{account}:source/example"


def path_convention_resource(resource: str, principal: str, account: str) -> str:
    """Integrations that write under `AWSLogs/<source account>/` write a foreign source's files
    under the foreign account's prefix, not the owner's (rules.md)."""
    for integration in for_principal(principal):
        if integration.path_convention and "AWSLogs/" in resource:
            return re.sub(r"AWSLogs/\d{12}/", f"AWSLogs/{account}/", resource)
    return resource


class ProbeBuilder:
    """Builds the adversarial requests for one policy."""

    def __init__(self, policy: Policy, trust: Trust) -> None:
        self.policy = policy
        self.trust = trust
        mentioned = _mentioned_accounts(policy)
        self.foreign = [a for a in FOREIGN_ACCOUNTS if a not in mentioned and a != trust.owner]
        self.literals = _source_literals(policy)

    def service_context(
        self,
        principal: str,
        source: Source | None,
        resource_account: str | None,
        action: str | None = None,
    ) -> dict[str, Any]:
        if source is None:
            context: dict[str, Any] = {
                "aws:PrincipalIsAWSService": "true",
                "aws:PrincipalServiceName": principal,
            }
        else:
            ref = SourceRef(source.arn, source.account, source.org_id, source.org_paths)
            context = dict(source_context(self.trust.org, ref, principal))
            integrations = for_grant(principal, action) if action else for_principal(principal)
            for integration in integrations:
                for key in integration.service_keys:
                    if key.lower() != "aws:sourceowner":
                        context.setdefault(key, source.arn)
        if resource_account and is_account_id(resource_account):
            for key, value in resource_context(self.trust.org, resource_account).items():
                context.setdefault(key, value)
        return context

    def sources(self, principal: str) -> Iterator[tuple[ProbeKind, Source, str | None]]:
        """(kind, source, hypothetical) for a service principal."""
        owner = self.trust.owner
        if owner:
            yield ProbeKind.LEGITIMATE, Source(owner, source_arn_for(principal, owner)), None
        foreign = self.foreign[0]
        yield (
            ProbeKind.FOREIGN_NO_ORG,
            Source(foreign, source_arn_for(principal, foreign), org_id=None, org_paths=None),
            None,
        )
        other = self.foreign[1]
        own_path = f"{FOREIGN_ORG}/{FOREIGN_ROOT}/ou-zz99-aaaaaaaa/"
        yield (
            ProbeKind.FOREIGN_OTHER_ORG,
            Source(other, source_arn_for(principal, other), FOREIGN_ORG, (own_path,)),
            None,
        )
        yield (
            ProbeKind.FOREIGN_OTHER_ORG,
            Source(
                other, source_arn_for(principal, other), FOREIGN_ORG, tuple(self._lookalike_paths())
            ),
            LOOKALIKE,
        )
        yield from self._derived_sources(principal)

    def _lookalike_paths(self) -> list[str]:
        """Paths in a foreign org that reuse our root and OU ids (unique only within an org)."""
        organization = self.trust.org.organization if self.trust.org else None
        if organization is None:
            return [f"{FOREIGN_ORG}/{FOREIGN_ROOT}/"]
        paths = [f"{FOREIGN_ORG}/{organization.root}/"]
        for unit in self.trust.org.units() if self.trust.org else ():
            paths.append(FOREIGN_ORG + unit.path[unit.path.index("/") :])
        return paths[:1] + paths[-1:]

    def _derived_sources(self, principal: str) -> Iterator[tuple[ProbeKind, Source, str | None]]:
        foreign = self.foreign[2]
        for key, operator, value in self.literals:
            if key == "aws:sourceaccount":
                account = _account_from_pattern(value, foreign)
                if account:
                    yield (
                        ProbeKind.DERIVED,
                        Source(account, source_arn_for(principal, account)),
                        None,
                    )
            elif key == "aws:sourcearn" or key in service_source_keys():
                listed = [
                    a
                    for k, _, v in self.literals
                    if k == "aws:sourceaccount"
                    if (a := _account_from_pattern(v, foreign))
                ]
                for arn, hypothetical in _arns_from_pattern(value, operator, foreign):
                    parts = split_arn(arn)
                    if parts and is_account_id(parts[4]):
                        yield ProbeKind.DERIVED, Source(parts[4], arn), hypothetical
                        continue
                    # The ARN names no account (S3): pair it with the accounts the policy lists,
                    # whose buckets these may really be, and with a foreign account that would
                    # have to register the name first.
                    for account in listed:
                        yield ProbeKind.DERIVED, Source(account, arn), None
                    yield ProbeKind.DERIVED, Source(foreign, arn), hypothetical
            elif key == "aws:sourceorgid":
                org_id = _org_from_pattern(value)
                if org_id:
                    yield (
                        ProbeKind.DERIVED,
                        Source(
                            foreign,
                            source_arn_for(principal, foreign),
                            org_id,
                            (f"{org_id}/{FOREIGN_ROOT}/",),
                        ),
                        None,
                    )
            elif key == "aws:sourceorgpaths":
                path = _path_from_pattern(value)
                if path:
                    org_id = path.split("/", 1)[0]
                    # A pattern without the org id admits other organizations only if they
                    # happen to have the same root and OU ids, which AWS assigns at random.
                    yield (
                        ProbeKind.DERIVED,
                        Source(foreign, source_arn_for(principal, foreign), org_id, (path,)),
                        None if value.startswith("o-") else LOOKALIKE,
                    )

    def source_trusted(self, source: Source) -> bool:
        """Org ids are globally unique (S7), so a source in a trusted org is trusted."""
        return self.trust.account_trusted(source.account) or self.trust.org_trusted(source.org_id)


_CALLER_INDEPENDENT_GLOBAL_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:requestedregion",
        "aws:tagkeys",
        "aws:useragent",
        "aws:referer",
    }
)
"""Global keys that describe the request, not who makes it or for whom: any caller can meet a
condition on them (S7). Conditions on them alone are no guard (rules.md DG001)."""


def _caller_independent(key: str) -> bool:
    if key in _CALLER_INDEPENDENT_GLOBAL_KEYS or key.startswith("aws:requesttag/"):
        return True
    return not (key.startswith("aws:") or is_source_key(key))


def request_key_values(statement: Statement) -> dict[str, Any]:
    """Values that meet the statement's conditions on request parameters (`s3:x-amz-acl`,
    `aws:SecureTransport`, …): an attacker's request carries whatever the grant asks for."""
    out: dict[str, Any] = {}
    for condition in statement.conditions:
        key = condition.key.lower()
        if not _caller_independent(key) or not condition.values:
            continue
        try:
            operator = parse_operator(condition.operator)
        except OperatorError:
            continue
        if operator.base.negated:
            continue
        value = _satisfying_value(
            operator.base.family.value, operator.base.compare, value_text(condition.values[0])
        )
        if value is None:
            continue
        multivalued = operator.qualifier is not None
        out[condition.key] = [value] if multivalued else value
    return out


def _satisfying_value(family: str, compare: str, value: str) -> str | None:
    if family == "Null":
        return "x" if value.lower() == "false" else None
    if "${" in value:
        return None
    if family in ("String", "Arn", "Bool", "Binary"):
        return _instantiate(value, "x")
    if family == "Numeric":
        try:
            number = float(value)
        except ValueError:
            return None
        delta = {"lt": -1, "gt": 1}.get(compare, 0)
        return str(int(number) + delta) if number.is_integer() else str(number + delta)
    if family == "IpAddress":
        return value.split("/", 1)[0]
    return None


def _mentioned_accounts(policy: Policy) -> set[str]:
    found: set[str] = set()
    for statement in policy.statements:
        texts: list[str] = [*(statement.resources or ()), *(statement.not_resources or ())]
        for condition in statement.conditions:
            texts.extend(value_text(v) for v in condition.values)
        for text in texts:
            found.update(re.findall(r"\d{12}", text))
    return found


def _source_literals(policy: Policy) -> list[tuple[str, str, str]]:
    """(lower-cased source key, operator, value) of every source-key condition value."""
    out: list[tuple[str, str, str]] = []
    for statement in policy.statements:
        for condition in statement.conditions:
            key = condition.key.lower()
            if is_source_key(key):
                out.extend((key, condition.operator, value_text(v)) for v in condition.values)
    return out


def _account_from_pattern(value: str, foreign: str) -> str | None:
    if is_account_id(value):
        return value
    if not has_wildcard(value) or "${" in value:
        return None
    # Fill wildcards so that the result is a 12-digit account that differs from any literal.
    digits = iter(foreign * 3)
    out = []
    for char in value:
        if char == "?":
            out.append(next(digits))
        elif char == "*":
            need = 12 - sum(1 for c in value if c not in "*")
            out.extend(next(digits) for _ in range(max(need, 0)))
        else:
            out.append(char)
    candidate = "".join(out)
    return candidate if is_account_id(candidate) and like(value, candidate) else None


def _arns_from_pattern(value: str, operator: str, foreign: str) -> Iterator[tuple[str, str | None]]:
    """Source ARNs that the value admits, preferring ones in a foreign account."""
    if "${" in value:
        return
    parts = split_arn(value)
    if parts is not None:
        region = "us-east-1" if has_wildcard(parts[3]) else parts[3]
        account = parts[4]
        if has_wildcard(account):
            account = _account_from_pattern(account, foreign) or foreign
        resource = _instantiate(parts[5], "example")
        arn = ":".join((*parts[:3], region, account, resource))
        if like(value, arn) or "Arn" in operator:
            if parts[2] == "s3" and not parts[4] and not has_wildcard(value):
                yield arn, REREGISTERED
            else:
                yield arn, None
        yield from _variants(parts, region, account, resource)
    if "StringLike" in operator and "*" in value:
        # StringLike's `*` crosses ':' (S1): stretch the first `*` over a foreign account id.
        head, _, tail = value.partition("*")
        stretched = (head + f"us-east-1:{foreign}:x" + tail.replace("*", "x")).replace("?", "x")
        stretched_parts = split_arn(stretched)
        if stretched_parts and stretched_parts[4] == foreign and like(value, stretched):
            yield stretched, None


def _variants(
    parts: tuple[str, ...], region: str, account: str, resource: str
) -> Iterator[tuple[str, str | None]]:
    """Neighbours of a source ARN the policy names: another Region, another resource name, the
    name in other letter case. They test how far a guard reaches (a wildcard Region, an
    IgnoreCase operator); whether one is a counterexample depends on its account's trust."""
    if parts[2] == "s3" and not parts[4]:
        return  # S3 names are global: a variant is someone else's bucket only if registered
    other_region = "eu-west-1" if region != "eu-west-1" else "us-west-2"
    if region:
        yield ":".join((*parts[:3], other_region, account, resource)), None
    yield ":".join((*parts[:3], region, account, resource + "-other")), None
    if resource.swapcase() != resource:
        yield ":".join((*parts[:3], region, account, resource.swapcase())), None


def _org_from_pattern(value: str) -> str | None:
    """An organization id the value admits; none when the value can never be an org id."""
    if "${" in value:
        return None
    candidate = value.replace("*", "zzzzzzzzzz").replace("?", "z")
    if not _ORG_ID.match(candidate):
        return None
    return candidate if like(value, candidate) else None


def _path_from_pattern(value: str) -> str | None:
    if "${" in value:
        return None
    candidate = value
    if candidate.startswith("*"):
        candidate = FOREIGN_ORG + candidate[1:]
    candidate = candidate.replace("*", "").replace("?", "z")
    if not candidate.endswith("/"):
        candidate += "/"
    return candidate if like(value, candidate) else None
