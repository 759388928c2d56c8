"""Synthesis of the organization-wide confused-deputy RCP that AWS recommends (S7, S19, S31).

    Deny, Principal "*", the services' actions, Resource "*", when
      StringNotEqualsIfExists aws:SourceOrgID = our org (+ trusted orgs)
                               aws:SourceAccount = trusted accounts      (keys AND-ed: exempt)
      Null aws:SourceAccount = false         (only integrations that send the source key)
      Bool aws:PrincipalIsAWSService = true  (IAM principals untouched)

Trusted accounts cannot be split across several RCPs (each RCP denies on its own, so an account
missing from one list would be denied); when the 5,120-character limit (S28) requires it, the
services are split instead. Every result is verified with the engine over the organization model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from deputyguard.awsdata.catalog import rcp_supported_service
from deputyguard.engine.compiled import compile_policy
from deputyguard.engine.context import Context
from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
from deputyguard.org import OrgModel, SourceRef, resource_context, source_context
from deputyguard.policy.limits import measure, size_limit
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import parse_policy

DEFAULT_SERVICES = ("s3", "sqs", "kms", "secretsmanager", "sts")
"""The services of AWS's sample confused-deputy RCP (S31, S42)."""

PROBES: dict[str, tuple[str, str, str]] = {
    # service: (service principal, action, resource ARN template with {account})
    "s3": ("cloudtrail.amazonaws.com", "s3:PutObject", "arn:aws:s3:::bucket-{account}/AWSLogs/x"),
    "sqs": ("sns.amazonaws.com", "sqs:SendMessage", "arn:aws:sqs:us-east-1:{account}:queue"),
    "kms": ("logs.amazonaws.com", "kms:Decrypt", "arn:aws:kms:us-east-1:{account}:key/k"),
    "secretsmanager": (
        "example-service.amazonaws.com",
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:{account}:secret:s",
    ),
    "sts": ("ssm-incidents.amazonaws.com", "sts:AssumeRole", "arn:aws:iam::{account}:role/r"),
}
FOREIGN_ACCOUNT = "999988887777"


class RcpError(ValueError):
    """No sound RCP can be built (e.g. the trusted lists alone exceed the size limit)."""


@dataclass
class RcpResult:
    policies: list[dict[str, Any]]
    checks: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


def _statement(
    org_id: str, trusted_orgs: list[str], trusted_accounts: list[str], actions: list[str]
) -> dict[str, Any]:
    not_equals: dict[str, Any] = {
        "aws:SourceOrgID": [org_id, *trusted_orgs] if trusted_orgs else org_id
    }
    if trusted_accounts:
        not_equals["aws:SourceAccount"] = trusted_accounts
    return {
        "Sid": "EnforceConfusedDeputyProtection",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": not_equals,
            "Null": {"aws:SourceAccount": "false"},
            "Bool": {"aws:PrincipalIsAWSService": "true"},
        },
    }


def synthesize(org: OrgModel, services: list[str] | None = None) -> RcpResult:
    organization = org.organization
    if organization is None:
        raise RcpError("the organization model describes no organization")
    chosen = sorted({s.lower() for s in (services or DEFAULT_SERVICES)})
    unsupported = [s for s in chosen if not rcp_supported_service(s)]
    if unsupported:
        raise RcpError(f"RCPs do not support {', '.join(unsupported)} (S24)")
    trusted_accounts = sorted(org.trusted_accounts)
    trusted_orgs = sorted(org.trusted_organizations)
    limit = size_limit(PolicyType.RCP)
    policies: list[dict[str, Any]] = []
    group: list[str] = []
    for service in chosen:
        candidate = [*group, f"{service}:*"]
        document = {
            "Version": "2012-10-17",
            "Statement": [_statement(organization.id, trusted_orgs, trusted_accounts, candidate)],
        }
        if limit is not None and measure(orjson.dumps(document).decode(), limit) > limit.limit:
            if not group:
                raise RcpError(
                    "the trusted accounts and organizations alone exceed the RCP "
                    "size limit; trust organizations instead of listing accounts"
                )
            policies.append(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        _statement(organization.id, trusted_orgs, trusted_accounts, group)
                    ],
                }
            )
            group = [f"{service}:*"]
        else:
            group = candidate
    if group:
        policies.append(
            {
                "Version": "2012-10-17",
                "Statement": [_statement(organization.id, trusted_orgs, trusted_accounts, group)],
            }
        )
    result = RcpResult(policies)
    _verify(org, chosen, result)
    return result


def _verify(org: OrgModel, services: list[str], result: RcpResult) -> None:
    """Every in-org and trusted integration still allowed, every foreign source denied,
    key-less integrations and IAM principals untouched — for every member account."""
    compiled = []
    for document in result.policies:
        parsed = parse_policy(document).policy
        assert parsed is not None
        compiled.append(compile_policy(parsed, "rcp", level="root"))
    rcps = (Level("root", tuple(compiled)),)
    members = [a for a in org.accounts() if not org.is_management_account(a)]
    checks = {
        "in_org_allowed": True,
        "trusted_allowed": True,
        "foreign_denied": True,
        "keyless_untouched": True,
        "iam_untouched": True,
    }
    for service in services:
        principal, action, template = PROBES.get(service, PROBES["sqs"])
        for account in members:
            resource = template.format(account=account)
            allow = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}
                ],
            }
            parsed = parse_policy(allow).policy
            assert parsed is not None
            policy_set = PolicySet(resource=compile_policy(parsed, "resource"), rcps=rcps)
            sources = [(a, True, "in_org_allowed") for a in members[:2]]
            sources += [(a, True, "trusted_allowed") for a in sorted(org.trusted_accounts)]
            sources.append((FOREIGN_ACCOUNT, False, "foreign_denied"))
            for source_account, expected, check in sources:
                ref = SourceRef(f"arn:aws:sns:us-east-1:{source_account}:s", source_account)
                context = source_context(org, ref, principal) | resource_context(org, account)
                allowed = _allowed(principal, action, resource, context, account, policy_set)
                if allowed != expected:
                    checks[check] = False
                    result.problems.append(f"{check}: {service} in {account} from {source_account}")
            keyless = {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": principal}
            if not _allowed(principal, action, resource, keyless, account, policy_set):
                checks["keyless_untouched"] = False
                result.problems.append(f"keyless_untouched: {service} in {account}")
            role = f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/Partner"
            iam = {"aws:PrincipalIsAWSService": "false", "aws:PrincipalAccount": FOREIGN_ACCOUNT}
            if not _allowed(role, action, resource, iam, account, policy_set, identity=True):
                checks["iam_untouched"] = False
                result.problems.append(f"iam_untouched: {service} in {account}")
    result.checks = checks


def _allowed(
    principal: str,
    action: str,
    resource: str,
    context: dict[str, Any],
    account: str,
    policy_set: PolicySet,
    *,
    identity: bool = False,
) -> bool:
    if identity:
        own = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
        parsed = parse_policy(own).policy
        assert parsed is not None
        policy_set = PolicySet(
            resource=policy_set.resource,
            identity=(compile_policy(parsed, "identity"),),
            rcps=policy_set.rcps,
        )
    request = Request(principal, action, resource, Context.from_json(context), account)
    return evaluate(request, policy_set).allowed
