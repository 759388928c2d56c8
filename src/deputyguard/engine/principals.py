"""Who is calling, and whether a Principal/NotPrincipal element names them (S13, S14).

Service principals are the heart of the confused deputy: they are not IAM identities, have no
account, and are matched only by `"*"` or by their exact name in `Service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from deputyguard.awsdata.arn import ArnError, is_account_id, parse_arn
from deputyguard.engine.context import RequestError
from deputyguard.engine.options import EngineOptions
from deputyguard.policy.model import PrincipalSet


class CallerKind(StrEnum):
    SERVICE = "service"
    ANONYMOUS = "anonymous"
    ROOT = "root"
    USER = "user"
    ROLE = "role"
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    FEDERATED = "federated"

    @property
    def is_iam(self) -> bool:
        return self in IAM_KINDS


IAM_KINDS = frozenset(
    {
        CallerKind.ROOT,
        CallerKind.USER,
        CallerKind.ROLE,
        CallerKind.ROLE_SESSION,
        CallerKind.FEDERATED_USER,
    }
)


@dataclass(frozen=True, slots=True)
class Caller:
    text: str
    kind: CallerKind
    account: str | None = None
    role_name: str | None = None
    service_linked: bool = False


@lru_cache(maxsize=4096)
def classify_caller(text: str) -> Caller:
    """Read the request's principal: a service name, "anonymous", or an IAM/STS ARN."""
    if text == "anonymous":
        return Caller(text, CallerKind.ANONYMOUS)
    if not text.startswith("arn:"):
        if "." in text and " " not in text and "/" not in text:
            return Caller(text, CallerKind.SERVICE)
        raise RequestError(
            f"principal {text!r} is neither a service principal (name.amazonaws.com), "
            "'anonymous', nor an IAM/STS ARN"
        )
    try:
        arn = parse_arn(text)
    except ArnError as exc:
        raise RequestError(f"principal {text!r}: {exc.message}") from exc
    resource = arn.resource
    if arn.service == "iam":
        if resource == "root":
            return Caller(text, CallerKind.ROOT, arn.account)
        if resource.startswith("user/"):
            return Caller(text, CallerKind.USER, arn.account)
        if resource.startswith("role/"):
            name = resource.rsplit("/", 1)[-1]
            linked = resource.startswith("role/aws-service-role/")
            return Caller(text, CallerKind.ROLE, arn.account, name, linked)
        if resource.startswith(("saml-provider/", "oidc-provider/")):
            return Caller(text, CallerKind.FEDERATED, arn.account)
    if arn.service == "sts":
        if resource.startswith("assumed-role/"):
            pieces = resource.split("/")
            if len(pieces) >= 3:
                name = pieces[1]
                linked = name.startswith("AWSServiceRoleFor")
                return Caller(text, CallerKind.ROLE_SESSION, arn.account, name, linked)
        if resource.startswith("federated-user/"):
            return Caller(text, CallerKind.FEDERATED_USER, arn.account)
    raise RequestError(f"principal {text!r} is not an IAM user, role, session or root ARN")


class PrincipalMatch(StrEnum):
    """How a Principal element named the caller; decides same-account shortcuts (S10)."""

    WILDCARD = "wildcard"
    SERVICE = "service"
    ACCOUNT = "account"
    DIRECT = "direct"
    """The user, role, session or federated user by its own ARN."""
    ROLE = "role"
    """A role ARN matched a session of that role: still limited by boundary/session policy."""


def match_principal(
    element: PrincipalSet, caller: Caller, options: EngineOptions
) -> PrincipalMatch | None:
    if element.wildcard:
        return PrincipalMatch.WILDCARD
    if caller.kind is CallerKind.SERVICE:
        name = caller.text.lower() if options.service_principal_ignore_case else caller.text
        for service in element.service:
            candidate = service.lower() if options.service_principal_ignore_case else service
            if candidate == name:
                return PrincipalMatch.SERVICE
        if options.account_principal_matches_service:
            return PrincipalMatch.ACCOUNT if element.aws else None
        return None
    if caller.text in element.federated or caller.text in element.canonical_user:
        return PrincipalMatch.DIRECT
    if not caller.kind.is_iam:
        return None
    best: PrincipalMatch | None = None
    for value in element.aws:
        how = _match_aws_value(value, caller)
        if how is PrincipalMatch.DIRECT:
            return how
        if how is not None and (best is None or how is PrincipalMatch.ROLE):
            best = how
    return best


def _match_aws_value(value: str, caller: Caller) -> PrincipalMatch | None:
    if is_account_id(value):
        return PrincipalMatch.ACCOUNT if caller.account == value else None
    if value == caller.text:
        return PrincipalMatch.DIRECT
    try:
        arn = parse_arn(value)
    except ArnError:
        return None
    if arn.account != caller.account:
        return None
    if arn.service == "iam" and arn.resource == "root":
        return PrincipalMatch.ACCOUNT
    if (
        arn.service == "iam"
        and arn.resource.startswith("role/")
        and caller.kind is CallerKind.ROLE_SESSION
        and arn.resource.rsplit("/", 1)[-1] == caller.role_name
    ):
        return PrincipalMatch.ROLE
    return None
