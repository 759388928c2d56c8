"""Seeded generator of differential-test cases in the oracle's neutral case format.

Why: hand-written vectors pin the documented corners; random combinations of callers, resource
policies, identity policies, SCPs, RCPs and request contexts find the interactions nobody wrote
down. Every case is meant to be decided the same way by AWS, by deputyguard and by the oracle
(`../shared/oracle/oracle.mjs`), so cases stay outside the oracle's KNOWN DIVERGENCES
(`../shared/oracle/README.md`, items 1-13) and outside what the spec marks UNCONFIRMED. A small,
deliberate share falls into a divergence and carries `"divergence": "<item>"`, so the harness can
count it without scoring it. `known_divergence()` is the single place that decides this.

Usage: `generate(seed, n)`; `python casegen.py --seed 7 -n 50 > cases.jsonl` for debugging.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

Json = Any
Case = dict[str, Any]

V2012: Final = "2012-10-17"
V2008: Final = "2008-10-17"

# ---------------------------------------------------------------- the modelled world
ORG: Final = "o-a1b2c3d4e5"
OTHER_ORG: Final = "o-zzzzzzzzzz"
OWNER: Final = "111122223333"  # member of ORG, directly in OU1
MEMBER: Final = "222233334444"  # member of ORG, in OU2 (child of OU1)
FOREIGN: Final = "444455556666"  # member of OTHER_ORG
LONER: Final = "999988887777"  # in no organization
ACCOUNTS: Final = (OWNER, MEMBER, FOREIGN, LONER)
PATH_OU1: Final = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
PATH_OU2: Final = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
PATH_FOREIGN: Final = "o-zzzzzzzzzz/r-zz99/ou-zz99-33333333/"
ORG_OF: Final = {OWNER: ORG, MEMBER: ORG, FOREIGN: OTHER_ORG}
PATH_OF: Final = {OWNER: PATH_OU1, MEMBER: PATH_OU2, FOREIGN: PATH_FOREIGN}
REGION: Final = "us-east-1"
OTHER_REGION: Final = "eu-west-1"

# Services whose actions RCPs govern (spec §5.4); deputyguard applies RCPs only to these, the
# oracle to every service, so RCPs are only ever attached to cases on these services.
RCP_SERVICES: Final = ("s3", "sqs", "kms", "sts", "secretsmanager", "logs")

SERVICE_PRINCIPALS: Final = (
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "sns.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logs.amazonaws.com",
    "s3.amazonaws.com",
    "events.amazonaws.com",
)


def source_arn(service_principal: str, region: str, account: str) -> str:
    """The resource a service principal acts for: what AWS sends as aws:SourceArn."""
    return {
        "cloudtrail.amazonaws.com": f"arn:aws:cloudtrail:{region}:{account}:trail/org-events",
        "config.amazonaws.com": f"arn:aws:config:{region}:{account}:config-rule/config-rule-a1b2c3",
        "sns.amazonaws.com": f"arn:aws:sns:{region}:{account}:alerts",
        "delivery.logs.amazonaws.com": f"arn:aws:logs:{region}:{account}:delivery-source:vpc-flow",
        "logs.amazonaws.com": f"arn:aws:logs:{region}:{account}:log-group:app-logs",
        # S3 ARNs carry no account: that is why AWS pairs SourceArn with SourceAccount.
        "s3.amazonaws.com": f"arn:aws:s3:::source-bucket-{account}",
        "events.amazonaws.com": f"arn:aws:events:{region}:{account}:rule/alerts-rule",
    }[service_principal]


FULL_AWS_ACCESS: Final = {
    "Version": V2012,
    "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}

# ---------------------------------------------------------------- operators and keys
NEGATED_BASES: Final = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)
MULTIVALUED_KEYS: Final = frozenset(
    {"aws:sourceorgpaths", "aws:principalorgpaths", "aws:principalservicenameslist"}
)
_VAR = re.compile(r"\$\{([^}]*)\}")


def parse_operator(op: str) -> tuple[str | None, str, bool]:
    """Split `ForAllValues:StringNotLikeIfExists` into (qualifier, base, if_exists)."""
    qualifier: str | None = None
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    return qualifier, op.removesuffix("IfExists") if if_exists else op, if_exists


# ---------------------------------------------------------------- targets (action + resource)
@dataclass(frozen=True)
class Target:
    """The resource a request hits, with Resource/Action patterns that do and do not match it."""

    kind: str
    service: str
    action: str
    resource: str
    owner: str
    callers: tuple[str, ...]
    resource_hits: tuple[str, ...]
    resource_misses: tuple[str, ...]
    action_hits: tuple[Json, ...]
    action_misses: tuple[str, ...]

    @property
    def needs_resource_account(self) -> bool:
        return self.service == "s3"


def _s3_target(rng: random.Random, action: str) -> Target:
    bucket, owner = rng.choice([("example-bucket", OWNER), ("org-trail-logs", MEMBER)])
    logged = rng.choice([owner, owner, MEMBER, FOREIGN])
    key = rng.choice(
        [
            f"AWSLogs/{logged}/CloudTrail/{REGION}/2024/05/01/{logged}_CloudTrail_x.json.gz",
            f"AWSLogs/{logged}/vpcflowlogs/{REGION}/flow.log.gz",
            f"AWSLogs/{logged}/Config/{REGION}/ConfigSnapshot.json.gz",
            "exports/2024/report.csv",
        ]
    )
    hits = [
        f"arn:aws:s3:::{bucket}/*",
        f"arn:aws:s3:::{bucket}/{key.split('/')[0]}/*",
        "arn:aws:s3:::*",
        "*",
        f"arn:aws:s3:::{bucket[:-1]}?/*",
    ]
    misses = [f"arn:aws:s3:::{bucket}", "arn:aws:s3:::other-bucket/*", f"arn:aws:s3:::{bucket}/x/*"]
    if key.startswith("AWSLogs/"):
        hits += [f"arn:aws:s3:::{bucket}/AWSLogs/{logged}/*", f"arn:aws:s3:::{bucket}/AWSLogs/*/*"]
        misses.append(f"arn:aws:s3:::{bucket}/AWSLogs/{LONER}/*")
    else:
        misses.append(f"arn:aws:s3:::{bucket}/AWSLogs/*")
    if action == "s3:PutObject":
        a_hits: tuple[Json, ...] = (
            "s3:PutObject",
            "s3:putobject",
            "S3:PutObject",
            "s3:Put*",
            "s3:*",
            "*",
            "s3:PutOb?ect",
            ["s3:GetBucketAcl", "s3:PutObject"],
        )
        a_misses: tuple[str, ...] = ("s3:GetObject", "s3:DeleteObject", "s3:Get*", "sqs:*")
        callers: tuple[str, ...] = SERVICE_PRINCIPALS
    else:
        a_hits = ("s3:GetObject", "s3:getobject", "s3:Get*", "s3:*", "*", ["s3:GetObject"])
        a_misses = ("s3:PutObject", "s3:GetObjectAcl", "s3:Put*", "kms:*")
        callers = ("cloudtrail.amazonaws.com", "config.amazonaws.com", "logs.amazonaws.com")
    return Target(
        kind="s3",
        service="s3",
        action=action,
        resource=f"arn:aws:s3:::{bucket}/{key}",
        owner=owner,
        callers=callers,
        resource_hits=tuple(hits),
        resource_misses=tuple(misses),
        action_hits=a_hits,
        action_misses=a_misses,
    )


def _arn_target(rng: random.Random, kind: str) -> Target:
    owner = rng.choice([OWNER, OWNER, MEMBER])
    if kind == "sqs":
        name = rng.choice(["inbox", "events-queue"])
        arn = f"arn:aws:sqs:{REGION}:{owner}:{name}"
        return Target(
            kind="sqs",
            service="sqs",
            action="sqs:SendMessage",
            resource=arn,
            owner=owner,
            callers=("sns.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"),
            resource_hits=(
                arn,
                f"arn:aws:sqs:*:{owner}:*",
                f"arn:aws:sqs:{REGION}:{owner}:{name[:3]}*",
                "*",
            ),
            resource_misses=(
                f"arn:aws:sqs:{OTHER_REGION}:{owner}:{name}",
                f"arn:aws:sqs:{REGION}:{FOREIGN}:{name}",
                f"arn:aws:sqs:{REGION}:{owner}:{name}-dlq",
            ),
            action_hits=("sqs:SendMessage", "SQS:sendmessage", "sqs:Send*", "sqs:*", "*"),
            action_misses=("sqs:ReceiveMessage", "sqs:DeleteQueue", "sns:Publish"),
        )
    if kind == "sns":
        name = rng.choice(["alerts", "notifications"])
        arn = f"arn:aws:sns:{REGION}:{owner}:{name}"
        return Target(
            kind="sns",
            service="sns",
            action="sns:Publish",
            resource=arn,
            owner=owner,
            callers=(
                "events.amazonaws.com",
                "s3.amazonaws.com",
                "cloudtrail.amazonaws.com",
                "config.amazonaws.com",
            ),
            resource_hits=(arn, f"arn:aws:sns:{REGION}:{owner}:*", f"arn:aws:sns:*:{owner}:{name}"),
            resource_misses=(
                f"arn:aws:sns:{OTHER_REGION}:{owner}:{name}",
                f"arn:aws:sns:{REGION}:{LONER}:{name}",
                f"arn:aws:sns:{REGION}:{owner}:{name}-test",
            ),
            action_hits=("sns:Publish", "SNS:Publish", "sns:Pub*", "sns:*", "*"),
            action_misses=("sns:Subscribe", "sns:GetTopicAttributes", "sqs:SendMessage"),
        )
    if kind == "kms":
        key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
        arn = f"arn:aws:kms:{REGION}:{owner}:key/{key_id}"
        return Target(
            kind="kms",
            service="kms",
            action="kms:Decrypt",
            resource=arn,
            owner=owner,
            callers=(
                "logs.amazonaws.com",
                "delivery.logs.amazonaws.com",
                "sns.amazonaws.com",
                "cloudtrail.amazonaws.com",
            ),
            resource_hits=("*", "*", arn, f"arn:aws:kms:{REGION}:{owner}:key/*"),
            resource_misses=(
                f"arn:aws:kms:{REGION}:{owner}:key/00000000-0000-0000-0000-000000000000",
                f"arn:aws:kms:{OTHER_REGION}:{owner}:key/*",
            ),
            action_hits=("kms:Decrypt", "kms:*", "kms:Decrypt*", ["kms:Encrypt", "kms:Decrypt"]),
            action_misses=("kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"),
        )
    # sts:AssumeRole on a role: the resource policy is the role's trust policy (no Resource).
    name = rng.choice(["ConfigRecorderRole", "EventsInvokeRole", "CrossAccountAudit"])
    arn = f"arn:aws:iam::{owner}:role/{name}"
    return Target(
        kind="sts",
        service="sts",
        action="sts:AssumeRole",
        resource=arn,
        owner=owner,
        callers=(
            "config.amazonaws.com",
            "events.amazonaws.com",
            "logs.amazonaws.com",
            "delivery.logs.amazonaws.com",
        ),
        resource_hits=(arn, f"arn:aws:iam::{owner}:role/*", "*"),
        resource_misses=(f"arn:aws:iam::{owner}:role/{name}-old", f"arn:aws:iam::{FOREIGN}:role/*"),
        action_hits=(
            "sts:AssumeRole",
            "sts:assumerole",
            "sts:*",
            ["sts:AssumeRole", "sts:TagSession"],
        ),
        action_misses=("sts:TagSession", "sts:AssumeRoleWithWebIdentity"),
    )


def _target(rng: random.Random) -> Target:
    kind = rng.choices(
        ["s3put", "s3get", "sqs", "sns", "kms", "sts"], weights=[30, 12, 16, 14, 12, 16]
    )[0]
    if kind == "s3put":
        return _s3_target(rng, "s3:PutObject")
    if kind == "s3get":
        return _s3_target(rng, "s3:GetObject")
    return _arn_target(rng, kind)


# ---------------------------------------------------------------- callers
@dataclass(frozen=True)
class Caller:
    """Who makes the request: a service principal, an IAM role/user, or an anonymous caller."""

    kind: str  # "service" | "iam" | "anonymous"
    principal: str
    account: str | None = None
    service_name: str | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def is_iam(self) -> bool:
        return self.kind == "iam"


def _caller(rng: random.Random, target: Target) -> Caller:
    kinds = ["service", "iam-same", "iam-cross", "anonymous"]
    weights = [45, 25, 20, 10] if target.kind in ("s3", "sqs", "sns") else [50, 28, 22, 0]
    kind = rng.choices(kinds, weights=weights)[0]
    if kind == "service":
        svc = rng.choice(target.callers)
        return Caller("service", svc, service_name=svc)
    if kind == "anonymous":
        return Caller("anonymous", "anonymous")
    if kind == "iam-same":
        account = target.owner
    else:
        account = rng.choice([a for a in ACCOUNTS if a != target.owner])
    if rng.random() < 0.75:
        name = rng.choice(["LogWriter", "App", "AdminOps", "ci-deploy"])
        return Caller("iam", f"arn:aws:iam::{account}:role/{name}", account=account)
    name = rng.choice(["alice", "bob"])
    return Caller("iam", f"arn:aws:iam::{account}:user/{name}", account=account)


TIMES: Final = ("2024-05-01T12:00:00Z", "2025-01-15T08:30:00Z")
IPS: Final = ("203.0.113.10", "198.51.100.20", "192.0.2.33", "203.0.113.77", "2001:db8::5")


def _context(rng: random.Random, caller: Caller, target: Target) -> dict[str, Json]:
    """A request context as AWS would send it; source keys present or absent per integration."""
    ctx: dict[str, Json] = {}
    if caller.is_service:
        assert caller.service_name is not None
        # Item 1: the oracle derives nothing, so these two always travel in the context.
        ctx["aws:PrincipalIsAWSService"] = "true"
        ctx["aws:PrincipalServiceName"] = caller.service_name
        src = rng.choices(ACCOUNTS, weights=[40, 20, 25, 15])[0]
        region = REGION if rng.random() < 0.85 else OTHER_REGION
        if rng.random() < 0.8:
            ctx["aws:SourceArn"] = source_arn(caller.service_name, region, src)
        if rng.random() < 0.8:
            ctx["aws:SourceAccount"] = src
        org = ORG_OF.get(src)
        if org is not None and rng.random() < 0.75:
            ctx["aws:SourceOrgID"] = org
        if org is not None and rng.random() < 0.6:
            paths = [PATH_OF[src]]
            r = rng.random()
            if r < 0.15:
                paths.append(PATH_FOREIGN if src != FOREIGN else PATH_OU1)
            elif r < 0.22:
                paths = []
            ctx["aws:SourceOrgPaths"] = paths
    elif caller.is_iam:
        assert caller.account is not None
        ctx["aws:PrincipalArn"] = caller.principal
        ctx["aws:PrincipalAccount"] = caller.account
        ctx["aws:PrincipalIsAWSService"] = "false"
        org = ORG_OF.get(caller.account)
        if org is not None and rng.random() < 0.9:
            ctx["aws:PrincipalOrgID"] = org
        if ":user/" in caller.principal and rng.random() < 0.6:
            ctx["aws:MultiFactorAuthAge"] = rng.choice(["120", "900", "7200"])
        if rng.random() < 0.8:
            ctx["aws:SourceIp"] = rng.choice(IPS)
    elif rng.random() < 0.8:
        ctx["aws:SourceIp"] = rng.choice(IPS)
    if rng.random() < 0.7:
        ctx["aws:CurrentTime"] = rng.choice(TIMES)
    if rng.random() < 0.7:
        ctx["aws:SecureTransport"] = "true" if rng.random() < 0.8 else "false"
    if target.service == "s3" and rng.random() < 0.4:
        ctx["s3:TlsVersion"] = rng.choice(["1.2", "1.3"])
    if target.action == "s3:PutObject" and rng.random() < 0.5:
        ctx["s3:x-amz-acl"] = rng.choice(["bucket-owner-full-control", "private"])
    return ctx


# ---------------------------------------------------------------- ARN helpers
def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5)


def _arn_with(arn: str, index: int, value: str) -> str:
    parts = _arn_parts(arn)
    parts[index] = value
    return ":".join(parts)


def _other_account(account: str) -> str:
    return FOREIGN if account != FOREIGN else LONER


def _arn_variants(arn: str) -> tuple[list[str], list[str], list[str]]:
    """(literal hits, wildcard hits, near misses) for an ARN value; all keep six components."""
    parts = _arn_parts(arn)
    res = parts[5]
    literal = [arn]
    wild = [_arn_with(arn, 3, "*"), _arn_with(arn, 4, "*")]
    if len(res) > 8:
        wild.append(_arn_with(arn, 5, res[: len(res) // 2] + "*"))
        q = len(res) - 2
        wild.append(_arn_with(arn, 5, res[:q] + "?" + res[q + 1 :]))
    misses = [_arn_with(arn, 5, res[:-1] + res[-1].upper() if res[-1].isalpha() else res + "x")]
    if parts[4]:
        misses.append(_arn_with(arn, 4, _other_account(parts[4])))
    else:  # S3 ARN: the account lives in the bucket name here
        misses.append(arn.replace(OWNER, FOREIGN) if OWNER in arn else arn + "-old")
    misses.append(_arn_with(arn, 3, OTHER_REGION if parts[3] != OTHER_REGION else REGION))
    upper = res.split("/")[-1]
    misses.append(_arn_with(arn, 5, res[: len(res) - len(upper)] + upper.capitalize()))
    return literal, wild, [m for m in misses if m != arn]


# ---------------------------------------------------------------- policies
STRING_OPERATORS: Final = (
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
)
ORG_ID_OPERATORS: Final = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
)
DATE_OPERATORS: Final = (
    "DateLessThan",
    "DateGreaterThan",
    "DateLessThanEquals",
    "DateGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
)
KEY_SPELLINGS: Final = {
    "aws:SourceAccount": ("AWS:SourceAccount", "aws:sourceaccount"),
    "aws:SourceOrgID": ("AWS:sourceorgid",),
    "aws:SourceArn": ("aws:sourcearn",),
    "aws:PrincipalIsAWSService": ("aws:PrincipalIsAwsService",),
}


class _Builder:
    """Builds one case; holds the request so that conditions can match or nearly miss it."""

    def __init__(self, rng: random.Random, target: Target, caller: Caller, ctx: dict[str, Json]):
        self.rng = rng
        self.t = target
        self.c = caller
        self.ctx = ctx
        self.ctx_lower = {k.lower(): v for k, v in ctx.items()}
        self.in_resource_policy = False
        self.sids = 0

    # ------------------------------------------------------------ helpers
    def pick(self, seq: Sequence[Any]) -> Any:
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def values(self, hits: Sequence[str], misses: Sequence[str], k_max: int = 3) -> Json:
        """1..k_max policy values, the first a hit about half of the time."""
        k = self.rng.choices([1, 2, 3], weights=[60, 28, 12])[0] if k_max > 1 else 1
        k = min(k, k_max)
        first = self.pick(hits) if (hits and (self.chance(0.55) or not misses)) else None
        out: list[str] = [] if first is None else [first]
        pool = [*hits, *misses]
        while len(out) < k and pool:
            v = self.pick(pool)
            if v not in out:
                out.append(v)
            elif len(set(pool) - set(out)) == 0:
                break
        if not out:
            out = [self.pick(misses)]
        return out[0] if (len(out) == 1 and self.chance(0.5)) else out

    def spell(self, key: str) -> str:
        if key in KEY_SPELLINGS and self.chance(0.1):
            return str(self.pick(KEY_SPELLINGS[key]))
        return key

    def present(self, key: str) -> bool:
        return key.lower() in self.ctx_lower

    def ctx_value(self, key: str) -> Json:
        return self.ctx_lower.get(key.lower())

    def if_exists(self, op: str, p: float = 0.25) -> str:
        return op + "IfExists" if self.chance(p) else op

    # ------------------------------------------------------------ condition entries per key
    def canonical_source_arn(self) -> str:
        svc = self.c.service_name or self.pick(SERVICE_PRINCIPALS)
        return source_arn(svc, REGION, self.t.owner)

    def entry(self, key: str, allow_vars: bool) -> tuple[str, Json]:
        """One (operator, values) pair for `key`, matching the request about half of the time."""
        if key != "aws:SourceOrgPaths" and self.chance(0.1):
            return "Null", self.pick(["true", "false"])
        if key in ("aws:SourceArn", "aws:PrincipalArn"):
            return self.arn_entry(key, allow_vars)
        if key in ("aws:SourceAccount", "aws:PrincipalAccount"):
            actual = self.ctx_value(key)
            hits = [actual] if isinstance(actual, str) else [self.t.owner]
            misses = [a for a in ACCOUNTS if a not in hits]
            op = self.if_exists(self.pick(["StringEquals", "StringEquals", "StringNotEquals"]))
            return op, self.values(hits, misses)
        if key in ("aws:SourceOrgID", "aws:PrincipalOrgID"):
            base = self.pick(ORG_ID_OPERATORS)
            return self.if_exists(base), self.values(
                [ORG], [OTHER_ORG, ORG.upper(), "o-b2c3d4e5f6"]
            )
        if key == "aws:SourceOrgPaths":
            return self.paths_entry()
        if key in ("aws:PrincipalIsAWSService", "aws:SecureTransport"):
            value: Json = self.pick(["true", "false"])
            if self.chance(0.15):
                value = value == "true"  # JSON boolean: quotes are optional (spec #109)
            return self.if_exists("Bool", 0.3), value
        if key == "aws:PrincipalServiceName":
            own = self.c.service_name or "cloudtrail.amazonaws.com"
            others = [s for s in SERVICE_PRINCIPALS if s != own]
            base = self.pick(["StringEquals", "StringNotEquals", "StringLike"])
            if base == "StringLike":
                return self.if_exists(base), self.values(
                    [own[: max(6, len(own) // 2)] + "*"], ["events.amazon*"]
                )
            return self.if_exists(base, 0.35), self.values([own], others, 2)
        if key == "aws:SourceIp":
            op = self.if_exists(self.pick(["IpAddress", "IpAddress", "NotIpAddress"]))
            cidrs = ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.10", "192.0.2.0/25"]
            return op, self.values(cidrs, ["2001:db8::/32", "198.51.100.128/25"])
        if key == "aws:CurrentTime":
            base = self.pick(DATE_OPERATORS)
            if base in ("DateEquals", "DateNotEquals"):
                vals = self.values(list(TIMES), ["2024-05-01T12:00:01Z"], 2)
            elif self.chance(0.9):
                vals = self.pick(["2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"])
            else:
                # Epoch seconds are valid too (spec §2.2, #120), but the oracle misreads them
                # (divergence N1), so they stay rare and tagged.
                vals = self.pick(["1735689600", "1714564800"])
            return self.if_exists(base, 0.2), vals
        if key == "aws:MultiFactorAuthAge":
            base = self.pick(["NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan"])
            return self.if_exists(base, 0.3), self.pick(["900", "3600", "60"])
        if key == "s3:TlsVersion":
            base = self.pick(["NumericLessThan", "NumericGreaterThanEquals", "NumericEquals"])
            return self.if_exists(base, 0.2), self.pick(["1.2", "1.3"])
        if key == "s3:x-amz-acl":
            op = self.if_exists(self.pick(["StringEquals", "StringEquals", "StringNotEquals"]))
            return op, "bucket-owner-full-control"
        raise ValueError(f"no generator for key {key}")

    def arn_entry(self, key: str, allow_vars: bool) -> tuple[str, Json]:
        actual = self.ctx_value(key)
        if key == "aws:SourceArn":
            canonical = self.canonical_source_arn()
        else:
            canonical = f"arn:aws:iam::{self.t.owner}:role/LogWriter"
        base_arn = actual if isinstance(actual, str) and self.chance(0.6) else canonical
        literal, wild, misses = _arn_variants(base_arn)
        arn_op = self.chance(0.55)
        if arn_op:
            op = self.pick(["ArnEquals", "ArnLike", "ArnLike", "ArnNotEquals", "ArnNotLike"])
            return self.if_exists(op, 0.2), self.values(literal + wild, misses)
        op = self.pick(STRING_OPERATORS)
        if op.endswith("Like"):
            hits = literal + wild
            service = _arn_parts(base_arn)[2]
            hits.append(f"arn:aws:{service}:*")  # StringLike '*' crosses ':' (spec #40)
            if allow_vars and key == "aws:SourceArn" and _arn_parts(base_arn)[4]:
                var = "${aws:SourceAccount}"
                if op == "StringNotLike" and not self.present("aws:SourceAccount"):
                    var = f"${{aws:SourceAccount, '{self.t.owner}'}}"  # keep clear of item 11
                hits.append(_arn_with(base_arn, 4, var))
            vals = self.values(hits, misses)
        else:
            vals = self.values(literal, misses)
        return self.if_exists(op, 0.2), vals

    def paths_entry(self) -> tuple[str, Json]:
        qualifier = self.pick(["ForAnyValue", "ForAllValues"])
        base = self.pick(["StringEquals", "StringLike", "StringLike", "StringNotLike"])
        if self.chance(0.1):
            base = "StringNotEquals"
        value = self.ctx_value("aws:SourceOrgPaths")
        absent_or_empty = value is None or value == []
        if_exists = self.chance(0.2)
        negated = base in NEGATED_BASES
        # Item 13: documents conflict; IfExists settles a missing (not an empty) key.
        if (
            qualifier == "ForAllValues"
            and negated
            and (value == [] or (value is None and not if_exists))
        ):
            qualifier = "ForAnyValue"
        if qualifier == "ForAnyValue" and absent_or_empty:
            if_exists = False  # ForAnyValue...IfExists on a missing key is UNCONFIRMED (§3.5)
        op = f"{qualifier}:{base}{'IfExists' if if_exists else ''}"
        if base.endswith("Like"):
            hits = [f"{ORG}/*", PATH_OU1 + "*", PATH_OU1, PATH_OU2]
            misses = [f"{OTHER_ORG}/*", PATH_OU1 + "ou-*", PATH_FOREIGN]
        else:
            hits = [PATH_OU1, PATH_OU2]
            misses = [PATH_FOREIGN, "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/"]
        vals = self.values(hits, misses)
        return op, vals if isinstance(vals, list) or self.chance(0.5) else [vals]

    def condition(self, pool: Sequence[str], n_ops: int, allow_vars: bool) -> dict[str, Json]:
        """A Condition block: operators AND, keys under one operator AND, values OR (NOR)."""
        block: dict[str, dict[str, Json]] = {}
        attempts = 0
        while len(block) < n_ops and attempts < 12:
            attempts += 1
            key = self.pick(pool)
            op, vals = self.entry(key, allow_vars)
            keys = block.setdefault(op, {})
            if any(k.lower() == key.lower() for k in keys):
                continue
            if op == "Null" and len(keys) >= 2:
                continue
            keys[self.spell(key)] = vals
        return {op: keys for op, keys in block.items() if keys}

    # ------------------------------------------------------------ key pools
    def resource_pool(self) -> list[str]:
        pool = ["aws:SourceArn"] * 3 + ["aws:SourceAccount"] * 3 + ["aws:SourceOrgID"] * 2
        pool += ["aws:SourceOrgPaths"] * 2 + [
            "aws:PrincipalIsAWSService",
            "aws:PrincipalServiceName",
        ]
        pool += ["aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:SourceIp"]
        pool += ["aws:CurrentTime", "aws:SecureTransport"]
        if not self.c.is_service:
            pool += [
                "aws:PrincipalArn",
                "aws:PrincipalOrgID",
                "aws:PrincipalAccount",
                "aws:SourceIp",
            ]
        if self.t.service == "s3":
            pool.append("s3:TlsVersion")
        if self.t.action == "s3:PutObject":
            pool += ["s3:x-amz-acl"] * 2
        return pool

    def identity_pool(self) -> list[str]:
        pool = ["aws:SourceIp", "aws:SecureTransport", "aws:CurrentTime", "aws:PrincipalOrgID"]
        pool += ["aws:MultiFactorAuthAge", "aws:SourceAccount", "aws:PrincipalArn"]
        if self.t.service == "s3":
            pool.append("s3:TlsVersion")
        return pool

    # ------------------------------------------------------------ statements
    def principal_for_allow(self) -> Json:
        c = self.c
        if c.is_service:
            assert c.service_name is not None
            other = self.pick([s for s in SERVICE_PRINCIPALS if s != c.service_name])
            return self.rng.choices(
                [
                    {"Service": c.service_name},
                    {"Service": [other, c.service_name]},
                    "*",
                    {"Service": other},
                ],
                weights=[50, 20, 18, 12],
            )[0]
        if c.kind == "anonymous":
            return self.rng.choices(
                ["*", {"AWS": "*"}, {"AWS": self.t.owner}, {"Service": "s3.amazonaws.com"}],
                weights=[60, 20, 10, 10],
            )[0]
        assert c.account is not None
        other = _other_account(c.account)
        return self.rng.choices(
            [
                {"AWS": c.principal},
                {"AWS": c.account},
                {"AWS": f"arn:aws:iam::{c.account}:root"},
                "*",
                {"AWS": [f"arn:aws:iam::{other}:root", c.principal]},
                {"AWS": f"arn:aws:iam::{other}:role/LogWriter"},
                {"Service": "cloudtrail.amazonaws.com"},
            ],
            weights=[30, 12, 12, 18, 10, 10, 8],
        )[0]

    def principal_for_deny(self) -> Json:
        if self.chance(0.8):
            return "*"
        return self.principal_for_allow()

    def action_element(self, hit_p: float) -> tuple[str, Json]:
        t = self.t
        if self.chance(0.12) and t.kind != "sts":
            # NotAction: matches every action except those listed (spec #90-#93)
            if self.chance(hit_p):
                return "NotAction", self.pick(t.action_misses)
            hit = self.pick(t.action_hits)
            return "NotAction", hit if hit != "*" else t.action
        if self.chance(hit_p):
            return "Action", self.pick(t.action_hits)
        return "Action", self.pick(t.action_misses)

    def resource_element(self, hit_p: float, allow_vars: bool) -> tuple[str, Json] | None:
        t = self.t
        if t.kind == "sts" and self.in_resource_policy:
            return None  # trust policies carry no Resource
        if self.chance(0.1) and t.resource_misses:
            # NotResource: everything except the listed resources
            if self.chance(hit_p):
                return "NotResource", self.pick(t.resource_misses)
            return "NotResource", self.pick([r for r in t.resource_hits if r != "*"] or ["*"])
        if allow_vars and t.kind == "s3" and "/AWSLogs/" in t.resource and self.chance(0.12):
            bucket = t.resource.split(":::")[1].split("/")[0]
            var = self.pick(
                [
                    "${aws:SourceAccount}",
                    "${aws:PrincipalAccount}",
                    f"${{aws:SourceAccount, '{t.owner}'}}",
                ]
            )
            return "Resource", f"arn:aws:s3:::{bucket}/AWSLogs/{var}/*"
        chosen = self.pick(t.resource_hits if self.chance(hit_p) else t.resource_misses)
        if self.chance(0.15):
            extra = self.pick([*t.resource_hits, *t.resource_misses])
            return "Resource", [chosen, extra] if extra != chosen else [chosen]
        return "Resource", chosen

    def statement(
        self,
        effect: str,
        *,
        principal: Json | None,
        hit_p: float,
        pool: Sequence[str],
        n_ops: int,
        allow_vars: bool,
    ) -> dict[str, Json]:
        st: dict[str, Json] = {}
        if self.chance(0.3):
            self.sids += 1  # alphanumeric and unique, as IAM requires (spec §1.4)
            st["Sid"] = f"{effect}{self.sids}"
        st["Effect"] = effect
        if principal is not None:
            st["Principal"] = principal
        name, action = self.action_element(hit_p)
        st[name] = action
        res = self.resource_element(hit_p, allow_vars)
        if res is not None:
            st[res[0]] = res[1]
        if n_ops:
            cond = self.condition(pool, n_ops, allow_vars)
            if cond:
                st["Condition"] = cond
        return st

    def document(self, statements: list[dict[str, Json]], version: str | None) -> dict[str, Json]:
        doc: dict[str, Json] = {}
        if version is not None:
            doc["Version"] = version
        if len(statements) == 1 and self.chance(0.2):
            doc["Statement"] = statements[0]  # a single object is as good as a list (spec #117)
        else:
            doc["Statement"] = statements
        return doc

    def version(self) -> str | None:
        r = self.rng.random()
        return V2012 if r < 0.88 else (V2008 if r < 0.96 else None)

    def resource_policy(self) -> dict[str, Json]:
        version = self.version()
        allow_vars = version == V2012
        pool = self.resource_pool()
        self.in_resource_policy = True
        n = self.rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]
        statements = []
        for i in range(n):
            if i == 0 and self.chance(0.9):
                effect, hit_p = "Allow", 0.85
            else:
                effect = "Deny" if self.chance(0.5) else "Allow"
                hit_p = 0.7
            principal = (
                self.principal_for_allow() if effect == "Allow" else self.principal_for_deny()
            )
            n_ops = self.rng.choices([0, 1, 2, 3], weights=[25, 40, 25, 10])[0]
            if effect == "Deny" and n_ops == 0 and self.chance(0.7):
                n_ops = 1
            statements.append(
                self.statement(
                    effect,
                    principal=principal,
                    hit_p=hit_p,
                    pool=pool,
                    n_ops=n_ops,
                    allow_vars=allow_vars,
                )
            )
        self.in_resource_policy = False
        return self.document(statements, version)

    def identity_policies(self) -> list[Json]:
        out: list[Json] = []
        for i in range(self.rng.choices([0, 1, 2], weights=[22, 58, 20])[0]):
            n = self.rng.choices([1, 2, 3], weights=[55, 30, 15])[0]
            sts = []
            for j in range(n):
                effect = "Deny" if (j > 0 and self.chance(0.35)) else "Allow"
                n_ops = self.rng.choices([0, 1, 2], weights=[60, 30, 10])[0]
                if effect == "Deny" and n_ops == 0:
                    n_ops = 1
                sts.append(
                    self.statement(
                        effect,
                        principal=None,
                        hit_p=0.8,
                        pool=self.identity_pool(),
                        n_ops=n_ops,
                        allow_vars=True,
                    )
                )
            doc = self.document(sts, V2012)
            out.append({"name": f"identity-{i}", "policy": doc} if self.chance(0.2) else doc)
        return out

    def scps(self) -> list[Json]:
        """SCP levels (root first); FullAWSAccess at every level, sometimes a Deny guardrail."""
        t = self.t
        levels: list[Json] = []
        ids = ["r-ab12", "ou-ab12-11111111", self.c.account or OWNER]
        for i in range(self.rng.choices([1, 2, 3], weights=[40, 35, 25])[0]):
            policies: list[Json] = [FULL_AWS_ACCESS]
            if self.chance(0.45):
                actions = [t.action, f"{t.service}:*", "ec2:*"]
                if t.action.split(":")[1].startswith("Put"):
                    actions.append(f"{t.service}:Put*")
                st: dict[str, Json] = {
                    "Effect": "Deny",
                    "Action": self.pick(actions),
                    "Resource": "*",
                }
                pool = ["aws:PrincipalArn", "aws:SourceIp", "aws:SecureTransport"]
                pool += ["aws:PrincipalOrgID", "aws:CurrentTime", "aws:SourceAccount"]
                if self.chance(0.85):
                    cond = self.condition(pool, self.pick([1, 1, 2]), allow_vars=True)
                    if cond:
                        st["Condition"] = cond
                policies.append({"Version": V2012, "Statement": [st]})
            if self.chance(0.5):
                levels.append(policies)
            else:
                levels.append({"id": ids[i], "policies": policies})
        return levels

    def rcps(self) -> list[Json]:
        """RCP levels (root first): Deny-only, Principal "*", RCPFullAWSAccess implicit."""
        levels: list[Json] = []
        n_levels = self.rng.choices([1, 2, 3], weights=[45, 35, 20])[0]
        ids = ["r-ab12", "ou-ab12-11111111", self.t.owner]
        total = 0
        for i in range(n_levels):
            k = self.rng.choices([0, 1, 2], weights=[20, 60, 20])[0]
            if i == n_levels - 1 and total == 0:
                k = max(k, 1)
            policies = [self.rcp_policy() for _ in range(k)]
            total += k
            levels.append(policies if self.chance(0.5) else {"id": ids[i], "policies": policies})
        return levels

    def rcp_policy(self) -> dict[str, Json]:
        svc = self.t.service
        action = self.pick(
            [
                ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:*"],
                f"{svc}:*",
                [f"{svc}:*"],
                self.t.action,
            ]
        )
        kind = self.rng.choices(
            ["confused-deputy", "ou-scoped", "perimeter", "transport", "random"],
            weights=[35, 15, 20, 10, 20],
        )[0]
        cond: dict[str, Json]
        if kind == "confused-deputy":
            not_equals: dict[str, Json] = {"aws:SourceOrgID": ORG}
            if self.chance(0.3):
                not_equals["aws:SourceAccount"] = [FOREIGN]  # trusted third party (spec #32)
            cond = {
                "StringNotEqualsIfExists": not_equals,
                "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"},
            }
        elif kind == "ou-scoped":
            if self.ctx_value("aws:SourceOrgPaths") == []:
                # ForAllValues + negated on [] is item 13; the ForAnyValue form is unambiguous.
                op = "ForAnyValue:StringLike"
                path: Json = [f"{OTHER_ORG}/*"]
            else:
                op = "ForAllValues:StringNotLikeIfExists"
                path = self.pick([PATH_OU1 + "*", PATH_OU2, f"{ORG}/*"])
            cond = {
                op: {"aws:SourceOrgPaths": path},
                "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"},
            }
        elif kind == "perimeter":
            cond = {
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            }
        elif kind == "transport":
            cond = {"Bool": {"aws:SecureTransport": "false"}}
        else:
            cond = self.condition(self.resource_pool(), self.pick([1, 2]), allow_vars=False)
        st: dict[str, Json] = {"Effect": "Deny", "Principal": "*", "Action": action}
        if self.chance(0.1) and self.t.resource_misses:
            st["NotResource"] = self.pick(self.t.resource_misses)
        else:
            st["Resource"] = "*"
        if cond:
            st["Condition"] = cond
        return {"Version": V2012, "Statement": [st]}

    # ------------------------------------------------------------ the case
    def case(self, case_id: str) -> Case:
        t, c = self.t, self.c
        request: dict[str, Json] = {
            "principal": c.principal,
            "action": t.action,
            "resource": t.resource,
        }
        if t.needs_resource_account:
            request["resourceAccount"] = t.owner
        request["context"] = self.ctx
        policies: dict[str, Json] = {}
        if c.is_iam:
            ident = self.identity_policies()
            if ident:
                policies["identity"] = ident
        # KMS keys always have a key policy and roles a trust policy; others sometimes none.
        if t.kind in ("kms", "sts") or not c.is_iam or self.chance(0.88):
            policies["resource"] = self.resource_policy()
        # SCPs bind the IAM principals of member accounts only (spec §5.3).
        if c.is_iam and c.account in ORG_OF and self.chance(0.35):
            policies["scps"] = self.scps()
        if t.service in RCP_SERVICES and self.chance(0.35):
            policies["rcps"] = self.rcps()
        return {"id": case_id, "request": request, "policies": policies}


# ---------------------------------------------------------------- deliberate divergences
def _divergent_case(rng: random.Random, item: str, case_id: str) -> Case:
    """A case built to fall into one known oracle divergence (README item `item`)."""
    target = _s3_target(rng, "s3:PutObject")
    svc = rng.choice(target.callers)
    caller = Caller("service", svc, service_name=svc)
    ctx = _context(rng, caller, target)
    b = _Builder(rng, target, caller, ctx)
    case = b.case(case_id)
    bucket = target.resource.split(":::")[1].split("/")[0]
    allow: dict[str, Json] = {
        "Effect": "Allow",
        "Principal": {"Service": svc},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    statements: list[Json] = [allow]
    version: str | None = V2012
    pol = case["policies"]
    pol.pop("rcps", None)
    if item == "4":  # SCPs passed for a service-principal caller
        deny = {"Effect": "Deny", "Action": rng.choice(["s3:PutObject", "s3:*"]), "Resource": "*"}
        pol["scps"] = [[FULL_AWS_ACCESS, {"Version": V2012, "Statement": [deny]}]]
    elif item == "9":  # variables under Version 2008-10-17 / no Version
        version = rng.choice([V2008, None])
        allow["Condition"] = {"StringEquals": {"aws:SourceArn": "${aws:SourceArn}"}}
    elif item == "10":  # variable inside an Arn* value
        ctx["aws:SourceAccount"] = target.owner
        ctx["aws:SourceArn"] = source_arn(svc, REGION, target.owner)
        pattern = _arn_with(source_arn(svc, REGION, target.owner), 4, "${aws:SourceAccount}")
        allow["Condition"] = {"ArnLike": {"aws:SourceArn": pattern}}
    elif item == "11":  # negated operator, variable without value
        ctx.pop("aws:SourceAccount", None)
        allow["Condition"] = {"StringNotEquals": {"aws:SourceArn": "${aws:SourceAccount}"}}
        ctx.setdefault("aws:SourceArn", source_arn(svc, REGION, OWNER))
    elif item == "12":  # aws:EpochTime with a Date operator
        ctx["aws:EpochTime"] = "1714564800"
        op = rng.choice(["DateGreaterThan", "DateLessThan"])
        allow["Condition"] = {op: {"aws:EpochTime": "2024-01-01T00:00:00Z"}}
    else:  # "13": ForAllValues + negated operator on a missing key or []
        if rng.random() < 0.5:
            ctx.pop("aws:SourceOrgPaths", None)
        else:
            ctx["aws:SourceOrgPaths"] = []
        statements.append(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"ForAllValues:StringNotLike": {"aws:SourceOrgPaths": f"{ORG}/*"}},
            }
        )
    doc: dict[str, Json] = {} if version is None else {"Version": version}
    doc["Statement"] = statements
    pol["resource"] = doc
    case["request"]["context"] = ctx
    return case


DIVERGENT_ITEMS: Final = ("4", "9", "10", "11", "12", "13")

# Divergences found by this harness that the oracle README does not list yet (iam-simulate
# 0.1.173). Cases that fall into them are tagged like the README items and never scored.
NEW_DIVERGENCES: Final = {
    "N1": "Date* operators with an epoch-seconds policy value: the oracle compares epoch seconds "
    "with ISO dates parsed to milliseconds (condition/date/date.js parseDate), so "
    "DateLessThan aws:CurrentTime '1735689600' never matches a 2024 request; AWS accepts "
    "epoch seconds (spec §2.2, vector #120)",
    "N2": "NotIpAddress with a bare IP value (no /prefix) against a request IP of the other "
    "family: the oracle answers false (condition/ipaddress/ip.js), AWS treats a bare IP as "
    "/32 (spec §2.2, vector #113), so an IPv6 caller is NOT in 203.0.113.10/32",
}


# ---------------------------------------------------------------- divergence detection
def _named_doc(p: Json) -> Json:
    if isinstance(p, dict) and "policy" in p and "Statement" not in p:
        return p["policy"]
    return p


def _level_policies(level: Json) -> list[Json]:
    if isinstance(level, dict) and "policies" in level:
        return list(level.get("policies") or [])
    return list(level or [])


def iter_policies(case: Case) -> Iterator[tuple[str, Json]]:
    """Every policy document of a case with its kind (identity, resource, scp, rcp...)."""
    pol = case.get("policies") or {}
    for p in pol.get("identity") or []:
        yield "identity", _named_doc(p)
    if pol.get("resource"):
        yield "resource", _named_doc(pol["resource"])
    pb = pol.get("permissionBoundary")
    for p in pb if isinstance(pb, list) else ([pb] if pb else []):
        yield "permissionBoundary", _named_doc(p)
    if pol.get("session"):
        yield "session", _named_doc(pol["session"])
    for p in pol.get("vpcEndpoint") or []:
        yield "vpcEndpoint", _named_doc(p)
    for kind in ("scps", "rcps"):
        for level in pol.get(kind) or []:
            for p in _level_policies(level):
                yield kind[:-1], _named_doc(p)


def iter_statements(doc: Json) -> Iterator[dict[str, Json]]:
    st = doc.get("Statement") if isinstance(doc, dict) else None
    for s in st if isinstance(st, list) else [st]:
        if isinstance(s, dict):
            yield s


def _as_list(v: Json) -> list[Json]:
    return v if isinstance(v, list) else [v]


def _var_missing(value: str, ctx_lower: dict[str, Json]) -> bool:
    for m in _VAR.finditer(value):
        body = m.group(1)
        if body in ("*", "?", "$") or ", '" in body:
            continue
        if body.strip().lower() not in ctx_lower:
            return True
    return False


def known_divergence(case: Case) -> str | None:
    """The README item (or "unconfirmed") a case falls into, or None when it is comparable."""
    req = case.get("request") or {}
    principal = str(req.get("principal", ""))
    ctx_lower = {str(k).lower(): v for k, v in (req.get("context") or {}).items()}
    pol = case.get("policies") or {}
    is_service = not principal.startswith("arn:") and principal.endswith("amazonaws.com")
    if "*" in str(req.get("resource", "")) or "?" in str(req.get("resource", "")):
        return "7"
    if is_service and pol.get("scps"):
        return "4"
    service = str(req.get("action", "")).split(":")[0].lower()
    if pol.get("rcps") and service not in RCP_SERVICES:
        return "rcp-unsupported-service"
    for _kind, doc in iter_policies(case):
        if not isinstance(doc, dict):
            continue
        if doc.get("Version") != V2012 and "${" in json.dumps(doc):
            return "9"
        for st in iter_statements(doc):
            cond = st.get("Condition") or {}
            for op, entries in cond.items():
                qualifier, base, if_exists = parse_operator(op)
                for key, raw in (entries or {}).items():
                    item = _entry_divergence(
                        qualifier, base, if_exists, key.lower(), _as_list(raw), ctx_lower
                    )
                    if item:
                        return item
    return None


def _entry_divergence(
    qualifier: str | None,
    base: str,
    if_exists: bool,
    key: str,
    values: list[Json],
    ctx_lower: dict[str, Json],
) -> str | None:
    strs = [v for v in values if isinstance(v, str)]
    present = key in ctx_lower
    actual = ctx_lower.get(key)
    negated = base in NEGATED_BASES
    if base.startswith("Arn") and any("${" in v for v in strs):
        return "10"
    if negated and any(_var_missing(v, ctx_lower) for v in strs):
        return "11"
    if key == "aws:epochtime" and base.startswith("Date"):
        return "12"
    if base.startswith("Date") and any(v.strip().isdigit() for v in strs):
        return "N1"
    if base == "NotIpAddress" and isinstance(actual, str):
        family = ":" in actual
        if any("/" not in v and (":" in v) != family for v in strs):
            return "N2"
    empty = actual == [] or actual == ""
    if qualifier == "ForAllValues" and negated and (empty or (not present and not if_exists)):
        return "13"
    # UNCONFIRMED in the spec (§2.4, §2.6, §3.3, §3.5): no ground truth, so never scored.
    if qualifier is None and base != "Null" and isinstance(actual, list):
        return "unconfirmed"
    if qualifier == "ForAnyValue" and if_exists and (not present or empty):
        return "unconfirmed"
    if base == "Null" and empty:
        return "unconfirmed"
    if base.startswith("Arn"):
        if any(len(v.split(":", 5)) < 6 for v in strs):
            return "unconfirmed"
        if isinstance(actual, str) and len(actual.split(":", 5)) < 6:
            return "unconfirmed"
    return None


# ---------------------------------------------------------------- public API
def generate(seed: int, n: int, *, divergent_share: float = 0.05) -> list[Case]:
    """`n` cases with unique ids; about `divergent_share` deliberately divergent and tagged."""
    rng = random.Random(seed)
    cases: list[Case] = []
    i = 0
    while len(cases) < n:
        i += 1
        case_id = f"s{seed}-{i:06d}"
        if divergent_share > 0 and rng.random() < divergent_share:
            item = rng.choice(DIVERGENT_ITEMS)
            case = _divergent_case(rng, item, f"{case_id}-d{item}")
            found = known_divergence(case)
            if found is None:
                continue
            case["divergence"] = found
            cases.append(case)
            continue
        target = _target(rng)
        caller = _caller(rng, target)
        case = _Builder(rng, target, caller, _context(rng, caller, target)).case(case_id)
        found = known_divergence(case)
        if found is not None:
            if divergent_share <= 0 or found not in NEW_DIVERGENCES:
                continue  # stay outside the known divergences: draw again
            case["divergence"] = found  # rare by construction; kept as evidence, not scored
        cases.append(case)
    return cases


ENGINE_MEMBERS: Final = ("id", "request", "policies", "options", "org")


def for_engines(case: Case) -> Case:
    """The case without generator metadata, as both simulators read it."""
    return {k: case[k] for k in ENGINE_MEMBERS if k in case}


def write_jsonl(cases: Iterable[Case], path: Path) -> int:
    """Write cases (metadata stripped) as JSON Lines; returns the number written."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(for_engines(case), separators=(",", ":")) + "\n")
            count += 1
    return count


# ---------------------------------------------------------------- running and comparing
# Shared by tests/differential and benchmarks/ (this is the one module both import), so that the
# test and the benchmark count agreement the same way.
REPO_ROOT: Final = Path(__file__).resolve().parents[2]
SHARED_DIR: Final = Path(os.environ.get("DEPUTYGUARD_SHARED", REPO_ROOT.parent / "shared"))
ORACLE_DIR: Final = REPO_ROOT / "build" / "oracle"
ORACLE_SCRIPT: Final = ORACLE_DIR / "oracle.mjs"
ORACLE_MISSING: Final = "oracle not installed: run `make oracle` (needs Node ≥ 20)"
# simulate: 0 = done, 1 = an "expect" differed, 3 = some cases could not be evaluated.
DEPUTYGUARD_OK_CODES: Final = (0, 1, 3)


def oracle_problem() -> str | None:
    """Why the oracle cannot run here, or None when node and build/oracle are in place."""
    if shutil.which("node") is None:
        return ORACLE_MISSING + " [node not found]"
    if not (ORACLE_DIR / "node_modules").is_dir() or not ORACLE_SCRIPT.is_file():
        return ORACLE_MISSING + f" [{ORACLE_DIR}/node_modules missing]"
    return None


def oracle_command(cases_path: Path) -> list[str]:
    return [shutil.which("node") or "node", str(ORACLE_SCRIPT), str(cases_path)]


def deputyguard_prefix() -> list[str]:
    """`python -m deputyguard`, or the console script beside this interpreter."""
    if _has_main():
        return [sys.executable, "-m", "deputyguard"]
    script = Path(sys.executable).with_name("deputyguard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "deputyguard"]


def deputyguard_command(cases_path: Path, *extra: str) -> list[str]:
    """`deputyguard simulate CASES --format jsonl [extra...]` run by this interpreter."""
    return [*deputyguard_prefix(), "simulate", str(cases_path), "--format", "jsonl", *extra]


def _has_main() -> bool:
    try:  # importing the package runs its __init__, which may fail while it is being built
        return importlib.util.find_spec("deputyguard.__main__") is not None
    except Exception:
        return False


def id_key(value: Json) -> str:
    """Ids may be any JSON value: join on their canonical JSON text."""
    return json.dumps(value, sort_keys=True)


def parse_results(text: str) -> dict[str, dict[str, Json]]:
    """One result object per JSON line, keyed by `id_key(id)`; non-JSON lines are skipped."""
    out: dict[str, dict[str, Json]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "id" in obj:
            out[id_key(obj["id"])] = obj
    return out


def run_results(cmd: Sequence[str], ok_codes: Sequence[int], timeout: float = 900) -> str:
    """Run a simulator and return its stdout; raise with its stderr on a bad exit code."""
    proc = subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, check=False
    )
    if proc.returncode not in ok_codes or (proc.returncode != 0 and not proc.stdout.strip()):
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


@dataclass
class Comparison:
    """Agreement between the oracle and deputyguard over one set of cases."""

    scored: int = 0
    agreed: int = 0
    disagreements: list[tuple[Case, dict[str, Json], dict[str, Json] | None]] = field(
        default_factory=list
    )
    divergent: Counter[str] = field(default_factory=Counter)
    input_problems: int = 0
    oracle_errors: int = 0

    @property
    def rate(self) -> float:
        return self.agreed / self.scored if self.scored else 1.0

    def summary(self) -> str:
        div = ", ".join(f"item {k}: {v}" for k, v in sorted(self.divergent.items())) or "none"
        return (
            f"agreement {self.rate:.4%} ({self.agreed}/{self.scored} scored); excluded: "
            f"known divergences ({div}), {self.input_problems} oracle input problems "
            f"(ignoredContextKeys), {self.oracle_errors} oracle errors"
        )

    def report(self, limit: int = 20) -> str:
        """The summary, disagreements grouped by (oracle, deputyguard) and the first `limit`."""
        lines = [self.summary()]
        groups = Counter(
            (o.get("decision"), None if d is None else d.get("decision"))
            for _, o, d in self.disagreements
        )
        for (o_dec, d_dec), count in groups.most_common():
            lines.append(f"  oracle {o_dec} / deputyguard {d_dec}: {count}")
        for case, o, d in self.disagreements[:limit]:
            lines.append(
                f"- id={case.get('id')!r} oracle={o.get('decision')} "
                f"deputyguard={None if d is None else d.get('decision')} "
                f"dg_error={None if d is None else d.get('error')}"
            )
            lines.append("  " + json.dumps(for_engines(case), separators=(",", ":")))
        return "\n".join(lines)


def compare(
    cases: Sequence[Case],
    oracle: dict[str, dict[str, Json]],
    ours: dict[str, dict[str, Json]],
) -> Comparison:
    """Score decisions case by case, leaving out what the oracle cannot answer for AWS."""
    cmp = Comparison()
    for case in cases:
        tag = case.get("divergence")
        if tag:
            cmp.divergent[str(tag)] += 1
            continue
        key = id_key(case["id"])
        o = oracle.get(key)
        if o is None or (o.get("decision") is None and o.get("error")):
            cmp.oracle_errors += 1
            continue
        if o.get("ignoredContextKeys"):
            cmp.input_problems += 1
            continue
        d = ours.get(key)
        cmp.scored += 1
        if d is not None and d.get("decision") == o.get("decision"):
            cmp.agreed += 1
        else:
            cmp.disagreements.append((case, o, d))
    return cmp


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--divergent-share", type=float, default=0.05)
    ap.add_argument("--with-tags", action="store_true", help="keep the divergence tags")
    args = ap.parse_args(argv)
    for case in generate(args.seed, args.n, divergent_share=args.divergent_share):
        out = case if args.with_tags else for_engines(case)
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
