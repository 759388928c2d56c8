"""Request-context keys that follow from the organization model (spec §5.2, §6.1, §6.2, §6.6).

These functions only say what AWS would send; keys a case gives explicitly in its context always
win, and merging is the caller's job. A key AWS would not send is absent, never empty: negated
operators and `...IfExists` treat a missing key very differently from any value (spec §0.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from deputyguard.org.model import OrgModel, OrgModelError

__all__ = ["ContextValues", "SourceRef", "principal_context", "resource_context", "source_context"]

ContextValues = dict[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The resource on whose behalf a service principal calls (cli.md `request.source`).

    `org_id`/`org_paths` describe an organization the model does not contain (a foreign one);
    given, they override what the model would derive.
    """

    arn: str | None
    account: str | None
    org_id: str | None = None
    org_paths: tuple[str, ...] | None = None


def _is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def _arn_account(arn: str) -> str | None:
    """The account field of an ARN when it is 12 digits (S3 bucket ARNs have none)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _is_account_id(parts[4]):
        return parts[4]
    return None


def _checked_account(account: str, what: str) -> str:
    if not _is_account_id(account):
        raise OrgModelError(f"{what} {account!r} is not a 12-digit account id")
    return account


def _org_keys(
    model: OrgModel | None,
    account: str | None,
    prefix: str,
    org_id: str | None = None,
    org_paths: tuple[str, ...] | None = None,
) -> ContextValues:
    """aws:<prefix>OrgID and aws:<prefix>OrgPaths: explicit values, else the model's, else none.

    The model's path is only used with the model's own org id: a path of one organization next
    to the id of another would describe an account that cannot exist.
    """
    model_org = None if model is None or account is None else model.org_id_of(account)
    org = org_id if org_id is not None else model_org
    paths: list[str] | None = None
    if org_paths is not None:
        paths = list(org_paths)
    elif model is not None and account is not None and model_org is not None and org == model_org:
        path = model.entity_path_of(account)
        paths = None if path is None else [path]
    context: ContextValues = {}
    if org is not None:
        context[f"aws:{prefix}OrgID"] = org
    if paths is not None:
        context[f"aws:{prefix}OrgPaths"] = paths
    return context


def source_context(
    model: OrgModel | None, source: SourceRef, service_principal: str
) -> ContextValues:
    """Keys of a request a service principal makes on behalf of `source` (spec §6.2, §5.2).

    aws:SourceOrgID/aws:SourceOrgPaths are absent when the source account is in no modelled
    organization and none is given explicitly — the case AWS's confused-deputy RCP exists for.
    Raises OrgModelError (a ValueError) for an account that is not 12 digits or an empty service
    principal, so callers that report bad org input report this too.
    """
    if not service_principal:
        raise OrgModelError("the service principal name is empty")
    context: ContextValues = {}
    if source.arn is not None:
        context["aws:SourceArn"] = source.arn
    account = source.account
    if account is not None:
        _checked_account(account, "source account")
    elif source.arn is not None:
        account = _arn_account(source.arn)
    if account is not None:
        context["aws:SourceAccount"] = account
    context.update(_org_keys(model, account, "Source", source.org_id, source.org_paths))
    context["aws:PrincipalIsAWSService"] = "true"
    context["aws:PrincipalServiceName"] = service_principal
    return context


def resource_context(model: OrgModel | None, resource_account: str | None) -> ContextValues:
    """aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths of the target resource."""
    if resource_account is None:
        return {}
    context: ContextValues = {
        "aws:ResourceAccount": _checked_account(resource_account, "resource account")
    }
    context.update(_org_keys(model, resource_account, "Resource"))
    return context


def principal_context(model: OrgModel | None, principal_arn: str) -> ContextValues:
    """Keys of a request by an IAM principal (user, role, account root), spec §6.6.

    The ARN is used as given: for a role session pass the role ARN, which is what AWS puts in
    aws:PrincipalArn (the session ARN lacks the role's path, so it cannot be converted here).
    """
    account = _arn_account(principal_arn)
    if account is None:
        raise OrgModelError(
            f"principal {principal_arn!r} is not an ARN with a 12-digit account "
            "(e.g. arn:aws:iam::111122223333:role/name)"
        )
    context: ContextValues = {"aws:PrincipalArn": principal_arn, "aws:PrincipalAccount": account}
    context.update(_org_keys(model, account, "Principal"))
    context["aws:PrincipalIsAWSService"] = "false"
    return context
