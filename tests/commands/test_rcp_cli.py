"""`deputyguard rcp`: the organization-wide confused-deputy RCP, split to fit, verified."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from deputyguard.awsdata.catalog import rcp_supported_service
from deputyguard.cli import main
from deputyguard.fix.rcp import RcpError, synthesize
from deputyguard.org import org_from_data
from deputyguard.policy.limits import measure, size_limit
from deputyguard.policy.model import PolicyType
from deputyguard.simulate.cases import RawCase
from deputyguard.simulate.runner import Runner

ORG = str(Path(__file__).parents[2] / "examples" / "org.yaml")


def _org(trusted: list[str]) -> object:
    return org_from_data(
        {
            "organization": {
                "id": "o-a1b2c3d4e5",
                "root": "r-ab12",
                "management_account": "111111111111",
                "accounts": ["111111111111"],
                "units": [
                    {
                        "id": "ou-ab12-11111111",
                        "accounts": ["111122223333"],
                        "units": [{"id": "ou-ab12-22222222", "accounts": ["222233334444"]}],
                    },
                    {"id": "ou-ab12-33333333", "accounts": ["333344445555"]},
                ],
            },
            "trusted_accounts": trusted,
        }
    )


def test_canonical_rcp_for_the_example_org(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rcp", "--org", ORG, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verified"] and all(result["checks"].values())
    (policy,) = result["policies"]
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    condition = statement["Condition"]
    assert condition["Null"] == {"aws:SourceAccount": "false"}
    assert condition["Bool"] == {"aws:PrincipalIsAWSService": "true"}
    assert condition["StringNotEqualsIfExists"]["aws:SourceOrgID"] == "o-a1b2c3d4e5"
    assert condition["StringNotEqualsIfExists"]["aws:SourceAccount"] == ["777788889999"]


def _replay(policy: dict, source_account: str, org_id: str | None) -> str:
    context = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": "sns.amazonaws.com",
        "aws:SourceAccount": source_account,
    }
    if org_id:
        context["aws:SourceOrgID"] = org_id
    case = {
        "id": "x",
        "request": {
            "principal": "sns.amazonaws.com",
            "action": "sqs:SendMessage",
            "resource": "arn:aws:sqs:us-east-1:111122223333:q",
            "context": context,
        },
        "policies": {
            "resource": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "*",
                    }
                ],
            },
            "rcps": [[policy]],
        },
    }
    result = Runner().run(RawCase(1, None, case))
    assert result.decision is not None, result.error
    return result.decision.decision.value


def test_rcp_checked_independently_with_simulate() -> None:
    result = synthesize(_org(["777788889999"]), ["sqs"])
    (policy,) = result.policies
    assert _replay(policy, "222233334444", "o-a1b2c3d4e5") == "Allowed"
    assert _replay(policy, "777788889999", None) == "Allowed"
    assert _replay(policy, "999988887777", None) == "ExplicitlyDenied"
    assert _replay(policy, "999988887777", "o-zzzzzzzzzz") == "ExplicitlyDenied"


def test_split_to_fit_the_size_limit() -> None:
    trusted = [f"{n:012d}" for n in range(100000000000, 100000000000 + 318)]
    services = [
        s
        for s in (
            "s3",
            "sqs",
            "kms",
            "secretsmanager",
            "sts",
            "logs",
            "dynamodb",
            "ecr",
            "events",
            "cognito-idp",
            "aoss",
            "kinesisvideo",
            "codebuild",
        )
        if rcp_supported_service(s)
    ]
    result = synthesize(_org(trusted), services)
    limit = size_limit(PolicyType.RCP)
    assert limit is not None
    assert len(result.policies) > 1
    actions = []
    for policy in result.policies:
        assert measure(orjson.dumps(policy).decode(), limit) <= limit.limit
        actions.extend(policy["Statement"][0]["Action"])
    assert sorted(actions) == sorted(f"{s}:*" for s in services)
    assert result.verified, result.problems


def test_refuses_what_cannot_be_sound() -> None:
    with pytest.raises(RcpError, match="size limit"):
        synthesize(_org([f"{n:012d}" for n in range(100000000000, 100000000000 + 400)]), ["s3"])
    with pytest.raises(RcpError, match="do not support sns"):
        synthesize(_org([]), ["sns"])


def test_services_from_the_policies_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    policies = str(Path(__file__).parents[2] / "examples" / "policies")
    assert main(["rcp", "--org", ORG, policies, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    actions = result["policies"][0]["Statement"][0]["Action"]
    assert "sns:*" not in actions and "s3:*" in actions
