"""Which property of which resource type holds a policy, and how to build each policy.

`_HANDLERS` maps each resource type to the handler that reads it. Most types hold a policy
document in one property (`_simple`); roles, users and groups hold a list of inline policies;
Lambda permissions and legacy EventBridge bus policies are turned into the statement the service
itself writes, so they are analyzed like any other resource policy. A `Spec` builds one policy
under given condition values; the reader runs it for each combination of conditions that cannot
be evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from deputyguard.policy.jsontext import JsonSyntaxError, Position, parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.cloudformation.eval import Eval
from deputyguard.sources.cloudformation.nodes import (
    MAP,
    SEQ,
    MappedText,
    Node,
    json_tree,
    offsets_function,
)
from deputyguard.sources.cloudformation.stack import Template
from deputyguard.sources.cloudformation.values import (
    COMPUTED,
    NO_VALUE,
    SYNTHETIC,
    Loc,
    NeedCondition,
    TemplateError,
    intrinsic,
    literal_tree,
)
from deputyguard.sources.iac import has_unknown

__all__ = ["LAMBDA_PROPERTIES", "Embedded", "Report", "Result", "Spec", "specs"]

Report = Callable[[str, Position | None], None]
_VERSION: Final = "2012-10-17"


@dataclass(eq=False, slots=True)
class Embedded:
    """A policy written as a JSON string: the string's own value and where it came from."""

    string: Loc
    text: str
    root: Node


@dataclass(slots=True)
class Result:
    document: dict[str, Any]
    loc: Loc
    embedded: Embedded | None = None
    pointer: str | None = None  # overrides the spec's pointer (a list built by an intrinsic)
    name: str | None = None


@dataclass(slots=True)
class Spec:
    """A policy to read: how to build it under given condition values."""

    pointer: str
    policy_type: PolicyType
    anchor: Node
    build: Callable[[Eval], list[Result]]
    name: Callable[[Eval], str | None] = lambda ev: None


def _ptr(*tokens: str | int) -> str:
    return "".join(f"/{pointer_token(t)}" for t in tokens)


_OPTIONAL: Final = frozenset({"AWS::KMS::Key", "AWS::ECR::Repository"})
"""Types whose policy property may be left out (a default policy applies)."""

_ORGANIZATION_TYPES: Final = {
    "SERVICE_CONTROL_POLICY": PolicyType.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyType.RCP,
}


@dataclass(frozen=True, slots=True)
class _Resource:
    """One resource of a type that holds policies: what its handler reads them from."""

    template: Template
    logical: str
    kind: str
    properties: Node
    base: str  # the pointer of its Properties
    report: Report


_Handler = Callable[[_Resource], list[Spec]]


def specs(
    template: Template,
    logical: str,
    kind: str,
    properties: Node | None,
    report: Report,
) -> list[Spec]:
    """The policies one resource holds (none for types that hold no policy)."""
    handler = _HANDLERS.get(kind)
    if handler is None:
        return []
    if properties is None or properties.kind != MAP or intrinsic(properties) is not None:
        if kind in _OPTIONAL:
            return []
        where = properties.position if properties is not None else template.root.position
        report(f"{kind} {logical} has no Properties mapping", where)
        return []
    base = _ptr("Resources", logical, "Properties")
    return handler(_Resource(template, logical, kind, properties, base, report))


def _simple(prop: str, policy_type: PolicyType, name_prop: str | None = None) -> _Handler:
    """A type that holds one policy document in `prop` (named by `name_prop`)."""

    def handler(r: _Resource) -> list[Spec]:
        node = r.properties.get(prop)
        if node is None:
            if r.kind not in _OPTIONAL:
                r.report(f"{r.kind} {r.logical} has no {prop}", r.properties.position)
            return []
        return [_document_spec(r, prop, policy_type, node, name_prop)]

    return handler


def _document_spec(
    r: _Resource, prop: str, policy_type: PolicyType, node: Node, name_prop: str | None = None
) -> Spec:
    """The policy document written at property `prop` (`node`)."""
    return Spec(
        r.base + _ptr(prop),
        policy_type,
        node,
        lambda ev: _document(ev, node, prop),
        _name_of(r.properties, name_prop),
    )


def _scalar(ev: Eval, node: Node, what: str) -> Any:
    """A scalar property's value, or None where it cannot be evaluated."""
    try:
        return ev.scalar(node, what)
    except (TemplateError, NeedCondition):
        return None


def _name_of(properties: Node, prop: str | None) -> Callable[[Eval], str | None]:
    def name(ev: Eval) -> str | None:
        node = properties.get(prop) if prop else None
        if node is None:
            return None
        value = _scalar(ev, node, prop or "name")
        return value if isinstance(value, str) else None

    return name


def _document(ev: Eval, node: Node, prop: str) -> list[Result]:
    """The policy at `node`: an object, a JSON string, or Fn::ToJsonString of an object."""
    call = intrinsic(node)
    if call is not None and call[0] == "Fn::ToJsonString":
        node = call[1]
    value, loc = ev.value(node)
    if value is NO_VALUE:
        return []
    if isinstance(value, str):
        return [_embedded(ev, value, loc, prop)]
    if not isinstance(value, dict):
        raise TemplateError(f"{prop} is not a policy document", loc.at)
    return [Result(value, loc)]


def _embedded(ev: Eval, text: str, loc: Loc, prop: str) -> Result:
    """A policy written as a JSON string; its positions map back into the string."""
    assert loc.node is not None
    outer = loc.node.src
    offsets = loc.chars() if loc.chars is not None else None
    if offsets is not None:
        mapping = offsets_function(offsets)
    else:
        start = loc.node.start
        mapping = lambda offset: start  # noqa: E731 - the string's own position
    src = MappedText(text, outer, mapping)
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        at = src.position(src.offset(Position(exc.line, exc.column)))
        raise TemplateError(f"invalid JSON in the {prop} string: {exc.message}", at) from None
    if not isinstance(parsed.value, dict):
        raise TemplateError(f"the {prop} string does not hold a policy object", loc.at)
    root = json_tree(src, parsed.value, parsed.positions)
    value, inner = literal_tree(root)
    return Result(value, inner, Embedded(loc, text, root))


def _role(r: _Resource) -> list[Spec]:
    prop = "AssumeRolePolicyDocument"
    trust = r.properties.get(prop)
    specs = [] if trust is None else [_document_spec(r, prop, PolicyType.TRUST, trust)]
    return specs + _inline_policies(r)


def _inline_policies(r: _Resource) -> list[Spec]:
    """`Policies` of a role, user or group: each item's PolicyDocument, named by PolicyName."""
    base = r.base
    policies = r.properties.get("Policies")
    if policies is None:
        return []
    if policies.kind == SEQ and intrinsic(policies) is None:
        specs = []
        for index, item in enumerate(policies.items):
            pointer = base + _ptr("Policies", index, "PolicyDocument")
            specs.append(
                Spec(
                    pointer,
                    PolicyType.IDENTITY,
                    item,
                    _inline_item(item),
                    _inline_name(item),
                )
            )
        return specs

    def build(ev: Eval) -> list[Result]:
        value, loc = ev.value(policies)
        results = []
        if not isinstance(value, list):
            raise TemplateError("Policies is not a list", loc.at)
        for index, item in enumerate(value):
            child = loc.children[index] if isinstance(loc.children, list) else loc
            results.extend(_inline_result(item, child, base + _ptr("Policies", index)))
        return results

    return [Spec(base + _ptr("Policies"), PolicyType.IDENTITY, policies, build)]


def _inline_item(item: Node) -> Callable[[Eval], list[Result]]:
    def build(ev: Eval) -> list[Result]:
        if item.kind == MAP and intrinsic(item) is None:
            document = item.get("PolicyDocument")
            if document is None:
                raise TemplateError("an item of Policies has no PolicyDocument", item.position)
            return _document(ev, document, "PolicyDocument")
        value, loc = ev.value(item)
        if value is NO_VALUE:
            return []
        return _inline_result(value, loc, None)

    return build


def _inline_result(value: Any, loc: Loc, pointer: str | None) -> list[Result]:
    if not isinstance(value, dict) or not isinstance(value.get("PolicyDocument"), dict):
        raise TemplateError("an item of Policies has no PolicyDocument object", loc.at)
    child = loc.children.get("PolicyDocument") if isinstance(loc.children, dict) else None
    name = value.get("PolicyName")
    return [
        Result(
            value["PolicyDocument"],
            child or loc,
            pointer=pointer + "/PolicyDocument" if pointer else None,
            name=name if isinstance(name, str) else None,
        )
    ]


def _inline_name(item: Node) -> Callable[[Eval], str | None]:
    if item.kind != MAP or intrinsic(item) is not None:
        return lambda ev: None
    return _name_of(item, "PolicyName")


def _organization_policy(r: _Resource) -> list[Spec]:
    type_node = r.properties.get("Type")
    content = r.properties.get("Content")
    if type_node is None or content is None:
        r.report(f"{r.kind} {r.logical} needs Type and Content", r.properties.position)
        return []
    value = _scalar(Eval(r.template, {}), type_node, "Type")
    if not isinstance(value, str) or has_unknown(value):
        r.report(
            f"the Type of {r.kind} {r.logical} is only known at deployment; "
            "its Content is not read",
            type_node.position,
        )
        return []
    policy_type = _ORGANIZATION_TYPES.get(value)
    if policy_type is None:
        return []  # tag, backup, AI opt-out... policies grant nothing
    return [_document_spec(r, "Content", policy_type, content, "Name")]


# Lambda writes these statements for AddPermission; the condition keys are the ones its
# get-policy output shows ("AWS:SourceAccount" / "AWS:SourceArn" in upper case; see the Lambda
# Developer Guide, "Working with resource-based policies", and the AddPermission API reference:
# SourceArn is compared with ArnLike, PrincipalOrgID with aws:PrincipalOrgID,
# FunctionUrlAuthType with lambda:FunctionUrlAuthType).
_LAMBDA_CONDITIONS: Final = (
    ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
    ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
    ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
    ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
    ("InvokedViaFunctionUrl", "Bool", "lambda:InvokedViaFunctionUrl"),
    ("SourceArn", "ArnLike", "AWS:SourceArn"),
)
LAMBDA_PROPERTIES: Final = {key: (operator, prop) for prop, operator, key in _LAMBDA_CONDITIONS}

_ACCOUNT: Final = re.compile(r"[0-9]{12}")


def _principal(value: Any) -> Any:
    """A Lambda or EventBridge `Principal` string as a policy principal."""
    if value == "*":
        return "*"
    text = str(value)
    if _ACCOUNT.fullmatch(text) or text.startswith("arn:") or has_unknown(text):
        return {"AWS": text}
    return {"Service": text}


def _lambda_permission(r: _Resource) -> list[Spec]:
    properties = r.properties
    for required in ("Action", "FunctionName", "Principal"):
        if properties.get(required) is None:
            r.report(f"{r.kind} {r.logical} has no {required}", properties.position)
            return []

    def build(ev: Eval) -> list[Result]:
        at = properties.position
        statement: dict[str, Any] = {"Effect": "Allow"}
        keys: dict[str, Position] = {"Effect": at}
        children: dict[str, Loc] = {"Effect": Loc(at, properties, COMPUTED, what="Properties")}

        def prop(name: str) -> tuple[Any, Loc, Position]:
            member = properties.member(name)
            assert member is not None
            value, loc = ev.value(member.value)
            return value, loc, properties.src.position(member.key_start)

        principal, loc, key_at = prop("Principal")
        statement["Principal"] = _principal(principal)
        keys["Principal"], children["Principal"] = key_at, _computed(loc, "Principal")
        action, loc, key_at = prop("Action")
        statement["Action"] = action
        keys["Action"], children["Action"] = key_at, loc
        function, loc, key_at = prop("FunctionName")
        statement["Resource"] = _function_arn(ev, str(function))
        keys["Resource"], children["Resource"] = key_at, _computed(loc, "FunctionName")
        conditions: dict[str, dict[str, Any]] = {}
        condition_keys: dict[str, Position] = {}
        condition_locs: dict[str, Loc] = {}
        for name, operator, key in _LAMBDA_CONDITIONS:
            if properties.member(name) is None:
                continue
            value, loc, key_at = prop(name)
            if value is NO_VALUE:
                continue
            if name == "InvokedViaFunctionUrl":
                if value not in (True, "true"):
                    continue
                value = "true"
            block = conditions.setdefault(operator, {})
            block[key] = value
            condition_keys.setdefault(operator, key_at)
            op_loc = condition_locs.setdefault(
                operator, Loc(key_at, properties, SYNTHETIC, keys={}, children={})
            )
            assert op_loc.keys is not None and isinstance(op_loc.children, dict)
            op_loc.keys[key] = key_at
            op_loc.children[key] = loc
        if conditions:
            statement["Condition"] = conditions
            keys["Condition"] = next(iter(condition_keys.values()))
            children["Condition"] = Loc(
                keys["Condition"],
                properties,
                SYNTHETIC,
                keys=condition_keys,
                children=dict(condition_locs),
            )
        statement_loc = Loc(at, properties, SYNTHETIC, keys=keys, children=children)
        return [_statement_result(properties, statement, statement_loc)]

    return [Spec(r.base, PolicyType.RESOURCE, properties, build)]


def _computed(loc: Loc, what: str) -> Loc:
    """A value the reader built from a property: every part points at the property."""
    return Loc(loc.at, loc.node, COMPUTED, exact=False, what=what)


def _statement_result(properties: Node, statement: dict[str, Any], loc: Loc) -> Result:
    """A policy of the one statement the service writes for the resource (`loc` is where the
    statement's parts come from)."""
    at = properties.position
    root = Loc(
        at,
        properties,
        SYNTHETIC,
        keys={"Version": at, "Statement": at},
        children={
            "Version": Loc(at, properties, COMPUTED, exact=False, what="Properties"),
            "Statement": Loc(at, properties, SYNTHETIC, children=[loc]),
        },
    )
    return Result({"Version": _VERSION, "Statement": [statement]}, root)


def _function_arn(ev: Eval, function: str) -> str:
    """Lambda accepts a name, `name:qualifier`, a partial ARN or an ARN."""
    t = ev.t
    if function.startswith("arn:"):
        return function
    if re.match(r"[0-9]{12}:function:", function):
        return f"arn:{t.partition}:lambda:{t.region}:{function}"
    return f"arn:{t.partition}:lambda:{t.region}:{t.owner}:function:{function}"


def _event_bus_policy(r: _Resource) -> list[Spec]:
    properties = r.properties
    statement_node = properties.get("Statement")

    def build(ev: Eval) -> list[Result]:
        if statement_node is not None:
            value, loc = ev.value(statement_node)
            if isinstance(value, str):
                embedded = _embedded(ev, value, loc, "Statement")
                value, loc = embedded.document, embedded.loc
            if not isinstance(value, dict):
                raise TemplateError("Statement is not a policy statement object", loc.at)
            return [_statement_result(properties, value, loc)]
        return [_legacy_bus_statement(ev, properties)]

    name = _name_of(properties, "StatementId")
    return [Spec(r.base, PolicyType.RESOURCE, properties, build, name)]


def _legacy_bus_statement(ev: Eval, properties: Node) -> Result:
    """The statement EventBridge's PutPermission writes for the legacy properties."""
    at = properties.position
    statement: dict[str, Any] = {}
    keys: dict[str, Position] = {}
    children: dict[str, Loc] = {}
    where = Loc(at, properties, COMPUTED, exact=False, what="Properties")

    def put(key: str, value: Any, prop: str | None, loc: Loc | None = None) -> None:
        member = properties.member(prop) if prop else None
        statement[key] = value
        keys[key] = properties.src.position(member.key_start) if member else at
        children[key] = _computed(loc, prop or key) if loc is not None else where

    sid = properties.get("StatementId")
    if sid is not None:
        value, loc = ev.value(sid)
        put("Sid", value, "StatementId", loc)
    put("Effect", "Allow", None)
    principal_node = properties.get("Principal")
    if principal_node is None:
        raise TemplateError("EventBusPolicy needs Statement or Principal", at)
    principal, loc = ev.value(principal_node)
    text = str(principal)
    shaped: Any = "*" if text == "*" else {"AWS": _root_arn(ev, text)}
    put("Principal", shaped, "Principal", loc)
    action_node = properties.get("Action")
    action, loc = ev.value(action_node) if action_node is not None else ("events:PutEvents", where)
    put("Action", action, "Action" if action_node is not None else None, loc)
    bus_node = properties.get("EventBusName")
    bus = "default"
    loc = where
    if bus_node is not None:
        bus_value, loc = ev.value(bus_node)
        bus = str(bus_value)
    t = ev.t
    resource = (
        bus
        if bus.startswith("arn:")
        else (f"arn:{t.partition}:events:{t.region}:{t.owner}:event-bus/{bus}")
    )
    put("Resource", resource, "EventBusName" if bus_node is not None else None, loc)
    condition = properties.get("Condition")
    if condition is not None:
        value, loc = ev.value(condition)
        if isinstance(value, dict) and {"Type", "Key", "Value"} <= set(value):
            put(
                "Condition",
                {str(value["Type"]): {str(value["Key"]): value["Value"]}},
                "Condition",
                loc,
            )
        else:
            raise TemplateError("Condition needs Type, Key and Value", loc.at)
    statement_loc = Loc(at, properties, SYNTHETIC, keys=keys, children=children)
    return _statement_result(properties, statement, statement_loc)


def _root_arn(ev: Eval, account: str) -> str:
    if _ACCOUNT.fullmatch(account):
        return f"arn:{ev.t.partition}:iam::{account}:root"
    return account


_HANDLERS: Final[dict[str, _Handler]] = {
    # resource type: how to read its policies
    "AWS::S3::BucketPolicy": _simple("PolicyDocument", PolicyType.RESOURCE),
    "AWS::SQS::QueuePolicy": _simple("PolicyDocument", PolicyType.RESOURCE),
    "AWS::SNS::TopicPolicy": _simple("PolicyDocument", PolicyType.RESOURCE),
    "AWS::SNS::TopicInlinePolicy": _simple("PolicyDocument", PolicyType.RESOURCE),
    "AWS::KMS::Key": _simple("KeyPolicy", PolicyType.RESOURCE),
    "AWS::IAM::ManagedPolicy": _simple("PolicyDocument", PolicyType.IDENTITY, "ManagedPolicyName"),
    "AWS::IAM::Policy": _simple("PolicyDocument", PolicyType.IDENTITY, "PolicyName"),
    "AWS::Logs::ResourcePolicy": _simple("PolicyDocument", PolicyType.RESOURCE, "PolicyName"),
    "AWS::SecretsManager::ResourcePolicy": _simple("ResourcePolicy", PolicyType.RESOURCE),
    "AWS::ECR::Repository": _simple("RepositoryPolicyText", PolicyType.RESOURCE),
    "AWS::IAM::Role": _role,
    "AWS::IAM::User": _inline_policies,
    "AWS::IAM::Group": _inline_policies,
    "AWS::Organizations::Policy": _organization_policy,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::Events::EventBusPolicy": _event_bus_policy,
}
