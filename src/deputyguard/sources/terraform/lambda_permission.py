"""`aws_lambda_permission` has no policy text: build the statement Lambda's AddPermission adds
to the function's policy from the resource's arguments."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.iac import SYMBOLIC_REGION, IacPolicy, RewriteError
from deputyguard.sources.terraform.forms import PolicyForm, remember
from deputyguard.sources.terraform.nodes import Block
from deputyguard.sources.terraform.positions import complete_positions, put_attribute
from deputyguard.sources.terraform.values import PARTITION, PolicyProblem, is_marker

if TYPE_CHECKING:
    from deputyguard.sources.terraform.policy import PolicyReader

__all__ = [
    "LAMBDA_CONDITIONS",
    "LAMBDA_MANAGED",
    "function_arn",
    "lambda_arguments",
    "lambda_permission",
    "lambda_principal",
    "single_value",
]

LAMBDA_CONDITIONS: Final = {
    "source_arn": ("ArnLike", "AWS:SourceArn"),
    "source_account": ("StringEquals", "AWS:SourceAccount"),
    "principal_org_id": ("StringEquals", "aws:PrincipalOrgID"),
    "function_url_auth_type": ("StringEquals", "lambda:FunctionUrlAuthType"),
}
LAMBDA_ARGUMENTS: Final = (
    "statement_id",
    "action",
    "principal",
    "function_name",
    "qualifier",
    *LAMBDA_CONDITIONS,
)
LAMBDA_MANAGED: Final = frozenset({"statement_id", "action", "principal", *LAMBDA_CONDITIONS})
"""What a fix may change; the block's other arguments are printed back verbatim."""


def function_arn(function: Any, qualifier: Any, owner: str) -> Any:
    """The ARN AddPermission puts in Resource: a name becomes the owner's function ARN."""
    if not isinstance(function, str) or is_marker(function):
        return function
    if function.startswith("arn:"):
        arn = function
    elif re.fullmatch(r"[0-9]{12}:function:.+", function):
        arn = f"arn:{PARTITION}:lambda:{SYMBOLIC_REGION}:{function}"
    else:
        arn = f"arn:{PARTITION}:lambda:{SYMBOLIC_REGION}:{owner}:function:{function}"
    if isinstance(qualifier, str) and qualifier and arn.count(":") == 6:
        arn += f":{qualifier}"
    return arn


def lambda_principal(principal: Any) -> Any:
    if principal == "*":
        return "*"
    if isinstance(principal, str) and not is_marker(principal):
        if re.fullmatch(r"[0-9]{12}", principal) or principal.startswith("arn:"):
            return {"AWS": principal}
        return {"Service": principal}
    return {"AWS": principal}


def lambda_permission(reader: PolicyReader, block: Block, address: str, pointer: str) -> None:
    """The statement AddPermission writes: Allow, the principal, the action on the function,
    and the source conditions (source_arn → ArnLike AWS:SourceArn, source_account →
    StringEquals AWS:SourceAccount, principal_org_id → StringEquals aws:PrincipalOrgID,
    function_url_auth_type → StringEquals lambda:FunctionUrlAuthType), as Lambda shows them:
    https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html and
    https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
    """
    attrs = block.body.attributes
    file = block.file
    with reader.ev.track() as usage:
        values = {
            name: reader.ev.eval(attrs[name].expr) for name in LAMBDA_ARGUMENTS if name in attrs
        }
    for required in ("action", "principal", "function_name"):
        if required not in values:
            raise PolicyProblem(f"aws_lambda_permission without {required}", file, block.start)
    locs: dict[str, int] = {"": block.start, "/Version": block.start, "/Statement": block.start}
    statement: dict[str, Any] = {}
    at = "/Statement/0"
    locs[at] = block.start
    sid = values.get("statement_id")
    if isinstance(sid, str) and sid:
        statement["Sid"] = sid
        put_attribute(locs, f"{at}/Sid", attrs["statement_id"])
    statement["Effect"] = "Allow"
    locs[f"{at}/Effect"] = block.start
    principal = lambda_principal(values["principal"])
    statement["Principal"] = principal
    put_attribute(locs, f"{at}/Principal", attrs["principal"])
    if isinstance(principal, dict):
        for key in principal:
            put_attribute(locs, f"{at}/Principal/{key}", attrs["principal"])
    statement["Action"] = values["action"]
    put_attribute(locs, f"{at}/Action", attrs["action"])
    statement["Resource"] = function_arn(
        values["function_name"], values.get("qualifier"), reader.module.owner
    )
    put_attribute(locs, f"{at}/Resource", attrs["function_name"])
    condition: dict[str, dict[str, Any]] = {}
    for name, (test, key) in LAMBDA_CONDITIONS.items():
        if name in values and values[name] is not None:
            condition.setdefault(test, {})[key] = values[name]
            if f"{at}/Condition" not in locs:
                put_attribute(locs, f"{at}/Condition", attrs[name])
            if f"{at}/Condition/{test}" not in locs:
                put_attribute(locs, f"{at}/Condition/{test}", attrs[name])
            put_attribute(locs, f"{at}/Condition/{test}/{pointer_token(key)}", attrs[name])
    if condition:
        statement["Condition"] = condition
    document = {"Version": "2012-10-17", "Statement": [statement]}
    relative = {rel: file.position(off) for rel, off in locs.items()}
    complete_positions(relative, document)
    positions = {pointer + rel: pos for rel, pos in relative.items()}
    positions[""] = file.position(block.start)
    policy = IacPolicy(
        pointer=pointer,
        resource=address,
        policy_type=reader.policy_type or PolicyType.RESOURCE,
        document=document,
        positions=MappingProxyType(positions),
        unknowns=reader.module.values.used_in(document),
    )
    source = policy.to_source(file.shown, owner=reader.module.owner, origin="terraform")
    reader.sources.append(source)
    kept = tuple(file.text[a.start : a.end] for n, a in attrs.items() if n not in LAMBDA_MANAGED)
    remember(
        source,
        PolicyForm(
            kind="lambda",
            attribute="",
            path=file.path,
            start=block.start,
            end=block.end,
            literal=False,
            usage=usage,
            caller_declared=reader.module.caller_identity_label(),
            expressions=MappingProxyType(reader.module.expressions),
            references=MappingProxyType(reader.module.references),
            label=block.labels[1],
            kept=kept,
        ),
    )


def lambda_arguments(condition: Any) -> list[tuple[str, Any]]:
    """Map a fixed Condition back onto AddPermission's arguments (case-insensitive keys)."""
    if not isinstance(condition, dict):
        raise RewriteError("Condition is not an object")
    wanted = {key.lower(): (name, test) for name, (test, key) in LAMBDA_CONDITIONS.items()}
    out: list[tuple[str, Any]] = []
    for test, entries in condition.items():
        if not isinstance(entries, dict):
            raise RewriteError(f"Condition {test} is not an object")
        for key, values in entries.items():
            target = wanted.get(key.lower())
            value = single_value(values, key)
            allowed = {target[1]} if target else set()
            if target and target[0] == "source_arn":
                allowed = {"ArnLike", "ArnEquals"} | (
                    {"StringEquals"} if "*" not in str(value) else set()
                )
            if target is None or test not in allowed:
                raise RewriteError(
                    f"aws_lambda_permission cannot express the condition {test} {key}; manage the "
                    "function's policy another way or edit it by hand"
                )
            out.append((target[0], value))
    return out


def single_value(value: Any, what: str) -> Any:
    if isinstance(value, list):
        if len(value) != 1:
            raise RewriteError(
                f"aws_lambda_permission takes one {what} value, the fix has {len(value)}"
            )
        return value[0]
    return value
