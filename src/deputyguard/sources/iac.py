"""What the infrastructure-as-code readers share: the deploying account, unknown values, and the
record each policy found in a template becomes.

A template does not say which account it will be deployed to, and some of its values are only
known at deployment (a parameter without a default, a Terraform variable). The readers resolve
what refers to the deploying account to the *owner* (the `--account` given, or a symbolic owner
that is trusted because it is, by definition, the account the resource lives in) and turn every
other value they cannot know into an *unknown marker*: an opaque string that names an entry of
the policy's `unknowns` table (why the value is unknown and where it was written). Markers are
plain text so that a partly known string (`!Sub "arn:aws:sns:${AWS::Region}:${Peer}:topic"`) keeps
its known parts; the analyzer, not the reader, decides what an unknown can mean (design.md:
"never a guess and never silently safe").
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from deputyguard.policy.jsontext import Position
from deputyguard.policy.model import PolicyType
from deputyguard.policy.unknown import UNKNOWN_PREFIX, has_unknown
from deputyguard.sources.policy_files import PolicySource

__all__ = [
    "SYMBOLIC_OWNER",
    "SYMBOLIC_REGION",
    "UNKNOWN_PATTERN",
    "IacPolicy",
    "RewriteError",
    "UnknownValues",
    "has_unknown",
    "service_of",
]

SYMBOLIC_OWNER: Final = "000000000000"
"""Stands for the deploying account when no `--account` is given. It is trusted like any owner;
reports print it where a real account id would be (a 12-digit value keeps ARNs well formed)."""

SYMBOLIC_REGION: Final = "us-east-1"
"""Stands for `AWS::Region` / `data.aws_region.current`: which Region a stack lands in changes
nothing about whose resources may use a grant, and a well-formed value keeps ARNs valid."""

_UNKNOWN_PREFIX: Final = UNKNOWN_PREFIX
UNKNOWN_PATTERN: Final = re.compile(re.escape(_UNKNOWN_PREFIX) + r"[0-9]+")
"""Matches an unknown marker inside a string (our own markers, never user patterns)."""


_TERRAFORM_SERVICES: Final = {
    "aws_ecr_repository_policy": "ecr",
    "aws_ecrpublic_repository_policy": "ecr-public",
    "aws_s3_bucket_policy": "s3",
    "aws_sqs_queue_policy": "sqs",
    "aws_sns_topic_policy": "sns",
    "aws_sns_topic": "sns",
    "aws_kms_key": "kms",
    "aws_kms_key_policy": "kms",
    "aws_secretsmanager_secret_policy": "secretsmanager",
    "aws_cloudwatch_log_resource_policy": "logs",
    "aws_lambda_permission": "lambda",
}


def service_of(resource: str) -> str | None:
    """The service prefix of a CloudFormation type (`AWS::ECR::Repository` → `ecr`) or of the
    resource type in a Terraform address (`module.x.aws_ecr_repository_policy.app` → `ecr`)."""
    if "::" in resource:
        parts = resource.split("::")
        return parts[1].lower() if len(parts) == 3 and parts[0] == "AWS" else None
    for token in resource.split("."):
        if token in _TERRAFORM_SERVICES:
            return _TERRAFORM_SERVICES[token]
    return None


@dataclass
class UnknownValues:
    """Hands out unknown markers for one file and remembers why each value is unknown."""

    reasons: dict[str, str] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def marker(self, reason: str) -> str:
        """A fresh marker for a value that cannot be known before deployment.

        `reason` is read by users: "parameter SourceAccount has no default (line 12)".
        """
        text = f"{_UNKNOWN_PREFIX}{next(self._counter)}"
        self.reasons[text] = reason
        return text

    def used_in(self, document: object) -> Mapping[str, str]:
        """The reasons of the markers that occur in `document` (one policy's table)."""
        found: dict[str, str] = {}
        _collect(document, self.reasons, found)
        return MappingProxyType(found)


def _collect(value: object, reasons: Mapping[str, str], found: dict[str, str]) -> None:
    if isinstance(value, str):
        if _UNKNOWN_PREFIX in value:
            for match in UNKNOWN_PATTERN.finditer(value):
                marker = match.group(0)
                if marker in reasons:
                    found[marker] = reasons[marker]
    elif isinstance(value, dict):
        for key, member in value.items():
            _collect(key, reasons, found)
            _collect(member, reasons, found)
    elif isinstance(value, list):
        for member in value:
            _collect(member, reasons, found)


@dataclass(frozen=True, slots=True)
class IacPolicy:
    """One policy found in a template, before it becomes a `PolicySource`.

    `pointer` locates the policy in the template's own structure
    (`/Resources/TrailBucketPolicy/Properties/PolicyDocument`,
    `/resource/aws_s3_bucket_policy/logs/policy`); `positions` maps pointers *below* it
    (`pointer + "/Statement/0"`) to where the user wrote them, in the template or HCL file, so
    findings point at the source and never at synthesized JSON.
    """

    pointer: str
    resource: str
    """CloudFormation logical id or Terraform address (`aws_s3_bucket_policy.logs`)."""
    policy_type: PolicyType
    document: Any
    positions: Mapping[str, Position]
    unknowns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    name: str | None = None
    service: str | None = None
    """Service prefix of the resource type (`ecr` for AWS::ECR::Repository...), for validation."""

    def to_source(self, file: str, *, owner: str, origin: str) -> PolicySource:
        service = self.service or (service_of(self.resource) if origin == "terraform" else None)
        return PolicySource(
            file=file,
            pointer=self.pointer,
            name=self.name,
            document=self.document,
            positions=self.positions,
            duplicates=(),
            all_values=MappingProxyType({}),
            policy_type=self.policy_type,
            text=json.dumps(self.document, separators=(",", ":"), ensure_ascii=False),
            resource=self.resource,
            owner=owner,
            unknowns=self.unknowns,
            origin=origin,
            service=service,
        )


class RewriteError(ValueError):
    """A fixed policy cannot be written back into its template (the message says why and what
    to do instead, e.g. "print it with --format json")."""
