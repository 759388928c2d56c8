"""The evaluation logic across policy types (spec §5) beyond what the §9 vectors pin."""

from __future__ import annotations

from typing import Any

import pytest

from deputyguard.engine.compiled import CompiledPolicy, compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
from deputyguard.policy.parse import parse_policy

BUCKET = "arn:aws:s3:::trail-bucket"
OBJECT = f"{BUCKET}/AWSLogs/111122223333/x.gz"
ROLE = "arn:aws:iam::111122223333:role/Writer"
SESSION = "arn:aws:sts::111122223333:assumed-role/Writer/s1"
OTHER_ROLE = "arn:aws:iam::999988887777:role/Writer"


def policy(kind: str, *statements: dict[str, Any], version: str = "2012-10-17") -> CompiledPolicy:
    result = parse_policy({"Version": version, "Statement": list(statements)})
    assert result.policy is not None, result.issues
    return compile_policy(result.policy, kind)


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{BUCKET}/*", **extra}


def deny(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "s3:*", "Resource": "*", **extra}


def decide(principal: str, policies: PolicySet, context: dict[str, Any] | None = None) -> str:
    request = Request(
        principal, "s3:PutObject", OBJECT, Context.from_json(context or {}), "111122223333"
    )
    return evaluate(request, policies).decision.value


SERVICE = {"Service": "cloudtrail.amazonaws.com"}


def test_identity_policy_does_not_authorise_a_service_principal() -> None:
    policies = PolicySet(identity=(policy("identity", allow()),))
    assert decide("cloudtrail.amazonaws.com", policies) == "ImplicitlyDenied"


def test_rcps_do_not_apply_to_services_rcps_do_not_support() -> None:
    topic = "arn:aws:sns:us-east-1:111122223333:alerts"
    resource = policy(
        "resource",
        {"Effect": "Allow", "Principal": SERVICE, "Action": "sns:Publish", "Resource": topic},
    )
    rcp = policy("rcp", {"Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": "*"})
    request = Request("cloudtrail.amazonaws.com", "sns:Publish", topic)
    decision = evaluate(
        request, PolicySet(resource=resource, rcps=(Level("r-ab12", (rcp,)),)), explain=True
    )
    assert decision.decision.value == "Allowed"
    assert decision.explanation is not None
    assert any("not a service RCPs support" in n for n in decision.explanation.notes)


def test_rcp_deny_applies_to_a_service_principal_on_s3() -> None:
    resource = policy("resource", allow(Principal=SERVICE))
    rcp = policy("rcp", deny(Principal="*"))
    policies = PolicySet(resource=resource, rcps=(Level("r-ab12", (rcp,)),))
    assert decide("cloudtrail.amazonaws.com", policies) == "ExplicitlyDenied"
    management = PolicySet(
        resource=resource, rcps=(Level("r-ab12", (rcp,)),), resource_in_management_account=True
    )
    assert decide("cloudtrail.amazonaws.com", management) == "Allowed"


def test_every_scp_level_must_allow() -> None:
    full = policy("scp", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    only_ec2 = policy("scp", {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    identity = policy("identity", allow())
    ok = PolicySet(identity=(identity,), scps=(Level("r", (full,)), Level("ou", (full,))))
    assert decide(ROLE, ok) == "Allowed"
    blocked = PolicySet(identity=(identity,), scps=(Level("r", (full,)), Level("ou", (only_ec2,))))
    assert decide(ROLE, blocked) == "ImplicitlyDenied"
    exempt = PolicySet(
        identity=(identity,), scps=blocked.scps, principal_in_management_account=True
    )
    assert decide(ROLE, exempt) == "Allowed"


def test_permissions_boundary_limits_identity_grants() -> None:
    identity = policy("identity", allow())
    boundary = policy("boundary", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert decide(SESSION, PolicySet(identity=(identity,), boundaries=(boundary,))) == (
        "ImplicitlyDenied"
    )


def test_resource_policy_naming_the_session_bypasses_the_boundary_but_role_arn_does_not() -> None:
    boundary = policy("boundary", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    by_session = policy("resource", allow(Principal={"AWS": SESSION}))
    by_role = policy("resource", allow(Principal={"AWS": ROLE}))
    assert decide(SESSION, PolicySet(resource=by_session, boundaries=(boundary,))) == "Allowed"
    assert decide(SESSION, PolicySet(resource=by_role, boundaries=(boundary,))) == (
        "ImplicitlyDenied"
    )
    assert decide(SESSION, PolicySet(resource=by_role)) == "Allowed"


def test_account_principal_in_same_account_delegates_to_identity_policies() -> None:
    by_account = policy("resource", allow(Principal={"AWS": "111122223333"}))
    assert decide(SESSION, PolicySet(resource=by_account)) == "ImplicitlyDenied"
    identity = policy("identity", allow())
    assert decide(SESSION, PolicySet(resource=by_account, identity=(identity,))) == "Allowed"


def test_cross_account_needs_both_sides() -> None:
    other = "arn:aws:sts::999988887777:assumed-role/Writer/s1"
    resource = policy("resource", allow(Principal={"AWS": OTHER_ROLE}))
    identity = policy("identity", allow())
    assert decide(other, PolicySet(resource=resource)) == "ImplicitlyDenied"
    assert decide(other, PolicySet(identity=(identity,))) == "ImplicitlyDenied"
    assert decide(other, PolicySet(resource=resource, identity=(identity,))) == "Allowed"


def test_session_policy_must_allow_too() -> None:
    identity = policy("identity", allow())
    session = policy("session", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert decide(SESSION, PolicySet(identity=(identity,), session=session)) == "ImplicitlyDenied"


def test_not_principal_deny_spares_only_the_listed_service() -> None:
    resource = policy(
        "resource",
        allow(Principal={"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]}),
        deny(NotPrincipal=SERVICE),
    )
    assert decide("cloudtrail.amazonaws.com", PolicySet(resource=resource)) == "Allowed"
    assert decide("config.amazonaws.com", PolicySet(resource=resource)) == "ExplicitlyDenied"


def test_resource_variables_substitute_only_in_the_resource_part() -> None:
    resource = policy(
        "resource",
        {
            "Effect": "Allow",
            "Principal": SERVICE,
            "Action": "s3:PutObject",
            "Resource": f"{BUCKET}/AWSLogs/${{aws:SourceAccount}}/*",
        },
    )
    policies = PolicySet(resource=resource)
    assert decide("cloudtrail.amazonaws.com", policies, {"aws:SourceAccount": "111122223333"}) == (
        "Allowed"
    )
    assert decide("cloudtrail.amazonaws.com", policies, {"aws:SourceAccount": "444455556666"}) == (
        "ImplicitlyDenied"
    )
    assert decide("cloudtrail.amazonaws.com", policies) == "ImplicitlyDenied"
    literal = policy(
        "resource",
        {
            "Effect": "Allow",
            "Principal": SERVICE,
            "Action": "s3:PutObject",
            "Resource": f"{BUCKET}/AWSLogs/${{aws:SourceAccount}}/*",
        },
        version="2008-10-17",
    )
    assert (
        decide(
            "cloudtrail.amazonaws.com",
            PolicySet(resource=literal),
            {"aws:SourceAccount": "111122223333"},
        )
        == "ImplicitlyDenied"
    )


def test_decision_names_the_deciding_statements() -> None:
    resource = policy("resource", allow(Principal=SERVICE, Sid="AllowTrail"))
    request = Request(
        "cloudtrail.amazonaws.com", "s3:PutObject", OBJECT, resource_account="111122223333"
    )
    decision = evaluate(request, PolicySet(resource=resource))
    assert [m.to_json() for m in decision.matched] == [
        {"policy": "resource", "statement": 0, "sid": "AllowTrail", "effect": "Allow"}
    ]


@pytest.mark.parametrize(
    ("principal", "action", "message"),
    [
        ("cloudtrail.amazonaws.com", "s3:PutObjects", "unknown action"),
        ("not a principal", "s3:PutObject", "neither a service principal"),
        ("arn:aws:iam::111122223333:group/admins", "s3:PutObject", "not an IAM user"),
    ],
)
def test_malformed_requests_are_errors(principal: str, action: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        evaluate(Request(principal, action, OBJECT), PolicySet())


def test_explain_traces_each_condition_with_its_reason() -> None:
    resource = policy(
        "resource",
        allow(
            Principal=SERVICE,
            Condition={"ForAllValues:StringLike": {"aws:SourceOrgPaths": "o-aaaaaaaaaa/*"}},
        ),
    )
    request = Request(
        "cloudtrail.amazonaws.com", "s3:PutObject", OBJECT, resource_account="111122223333"
    )
    decision = evaluate(request, PolicySet(resource=resource), explain=True)
    assert decision.decision.value == "Allowed"
    assert decision.explanation is not None
    (statement,) = decision.explanation.statements
    (condition,) = statement.conditions
    assert condition.result is True
    assert "vacuously true" in condition.why


def test_compiled_conditions_are_shared_but_json_types_are_kept_apart() -> None:
    """`true == 1` in Python; in a policy the Boolean and the number are different values."""
    from deputyguard.engine.conditions import compile_condition
    from deputyguard.policy.model import Condition

    as_bool = compile_condition(Condition("StringEquals", "k", (True,)), True)
    as_int = compile_condition(Condition("StringEquals", "k", (1,)), True)
    again = compile_condition(Condition("StringEquals", "k", (True,)), True)
    assert as_bool.values == ("true",) and as_int.values == ("1",)
    assert again is as_bool
