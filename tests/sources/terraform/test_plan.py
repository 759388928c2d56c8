"""Reading `terraform show -json` plans: policies of every module, positions inside the JSON
strings, values only known after apply, the owner the plan names, and plans we cannot read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deputyguard.policy.model import PolicyType
from deputyguard.sources.iac import SYMBOLIC_OWNER, UNKNOWN_PATTERN
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import looks_like_terraform_plan, read_terraform_plan

PLANS = Path(__file__).parents[1] / "data" / "terraform" / "plan"


def read(name: str, owner: str = SYMBOLIC_OWNER, policy_type: PolicyType | None = None) -> Any:
    text = (PLANS / name).read_text(encoding="utf-8")
    return read_terraform_plan(name, text, owner=owner, policy_type=policy_type)


def by_resource(sources: list[PolicySource]) -> dict[str, PolicySource]:
    return {f"{s.resource}{'#' + s.name if s.name else ''}": s for s in sources}


def position_of(name: str, needle: str) -> tuple[int, int]:
    text = (PLANS / name).read_text(encoding="utf-8")
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_looks_like_terraform_plan() -> None:
    assert looks_like_terraform_plan(json.loads((PLANS / "plan.json").read_text()))
    assert looks_like_terraform_plan({"format_version": "1.0", "terraform_version": "1.5.0"})
    assert not looks_like_terraform_plan({"format_version": "1.0"})
    assert not looks_like_terraform_plan({"Version": "2012-10-17", "Statement": []})
    assert not looks_like_terraform_plan([{"format_version": "1.0", "planned_values": {}}])
    assert not looks_like_terraform_plan("plan")


def test_policies_of_every_module_with_types_and_addresses() -> None:
    sources, errors = read("plan.json")
    found = by_resource(sources)
    assert {k: s.policy_type for k, s in found.items()} == {
        "aws_s3_bucket_policy.logs": PolicyType.RESOURCE,
        "aws_iam_role.app": PolicyType.TRUST,
        "aws_iam_role.app#read-logs": PolicyType.IDENTITY,
        "aws_lambda_permission.from_s3": PolicyType.RESOURCE,
        "aws_organizations_policy.deny_leave": PolicyType.SCP,
        "module.queue.aws_sqs_queue_policy.this[0]": PolicyType.RESOURCE,
    }
    queue = found["module.queue.aws_sqs_queue_policy.this[0]"]
    assert queue.pointer == "/planned_values/root_module/child_modules/0/resources/0/values/policy"
    assert queue.document["Statement"][0]["Principal"] == {"Service": "sns.amazonaws.com"}  # type: ignore[index]
    assert all(s.file == "plan.json" and s.origin == "terraform" for s in sources)
    assert len(errors) == 1


def test_positions_point_inside_the_policy_string() -> None:
    sources, _ = read("plan.json")
    bucket = by_resource(sources)["aws_s3_bucket_policy.logs"]
    text = (PLANS / "plan.json").read_text(encoding="utf-8")
    line = text.splitlines()[bucket.positions[bucket.pointer + "/Statement/0"].line - 1]
    statement = bucket.positions[bucket.pointer + "/Statement/0"]
    condition = bucket.positions[
        bucket.pointer + "/Statement/0/Condition/StringEquals/aws:SourceAccount"
    ]
    assert line.lstrip().startswith('"policy": ')
    assert line[statement.column - 1 : statement.column + 7] == '{\\"Sid\\"'
    assert line[condition.column - 1 : condition.column + 15] == '\\"111122223333\\"'
    assert (statement.line, statement.column) == position_of(
        "plan.json", '{\\"Sid\\": \\"AWSCloudTrailWrite'
    )


def test_after_unknown_values_become_markers() -> None:
    sources, _ = read("plan.json")
    permission = by_resource(sources)["aws_lambda_permission.from_s3"]
    statement = permission.document["Statement"][0]  # type: ignore[index]
    marker = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert UNKNOWN_PATTERN.fullmatch(marker)
    assert permission.unknowns == {
        marker: "aws_lambda_permission.from_s3.source_arn is only known after apply (plan)"
    }
    assert statement["Condition"]["StringEquals"] == {"AWS:SourceAccount": "111122223333"}
    assert statement["Resource"] == "arn:aws:lambda:us-east-1:111122223333:function:processor"
    assert permission.pointer == "/planned_values/root_module/resources/2"
    source_account = permission.positions[
        permission.pointer + "/Statement/0/Condition/StringEquals/AWS:SourceAccount"
    ]
    assert (source_account.line, source_account.column) == position_of(
        "plan.json", '"111122223333",\n            "qualifier"'
    )


def test_unknown_policy_is_an_error_with_its_line() -> None:
    _, errors = read("plan.json")
    [error] = errors
    assert error.file == "plan.json"
    assert error.message.startswith(
        "aws_sns_topic_policy.alerts: the policy argument is only known"
    )
    text = (PLANS / "plan.json").read_text(encoding="utf-8")
    assert '"values": {}' in text.splitlines()[error.line - 1]  # type: ignore[operator]


def test_owner_comes_from_the_plan_unless_given() -> None:
    sources, _ = read("plan.json")
    assert {s.owner for s in sources} == {"111122223333"}
    sources, _ = read("plan.json", owner="999988887777")
    assert {s.owner for s in sources} == {"999988887777"}


def test_policy_type_override() -> None:
    sources, _ = read("plan.json", policy_type=PolicyType.BOUNDARY)
    assert {s.policy_type for s in sources} == {PolicyType.BOUNDARY}


def test_newer_format_version_is_refused() -> None:
    sources, errors = read("plan-v2.json")
    assert sources == []
    [error] = errors
    assert error.message == "plan format version 2.0 is newer than the supported 1.x"
    assert (error.line, error.column) == position_of("plan-v2.json", '"2.0"')


def test_plan_without_policies_has_no_sources_and_no_errors() -> None:
    assert read("no-policies.json") == ([], [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "invalid JSON"),
        ('{"format_version": "1.2"}', "not a Terraform plan"),
        ('{"format_version": "x", "terraform_version": "1"}', "unrecognized plan format version"),
        ('{"format_version": 1, "terraform_version": "1"}', "unrecognized plan format version"),
        (
            json.dumps(
                {
                    "format_version": "1.0",
                    "terraform_version": "1.5.0",
                    "planned_values": {
                        "root_module": {
                            "resources": [
                                {
                                    "address": "aws_iam_policy.p",
                                    "type": "aws_iam_policy",
                                    "values": {"policy": "{not json"},
                                }
                            ]
                        }
                    },
                }
            ),
            "aws_iam_policy.p: invalid JSON in the policy string",
        ),
        (
            json.dumps(
                {
                    "format_version": "1.0",
                    "terraform_version": "1.5.0",
                    "planned_values": {
                        "root_module": {
                            "resources": [
                                {
                                    "address": "a",
                                    "type": "aws_iam_policy",
                                    "values": {"policy": "[]"},
                                },
                                {"address": "b", "type": "aws_iam_policy", "values": {"policy": 3}},
                                "junk",
                                {"address": "c", "type": "aws_iam_policy", "values": "junk"},
                            ],
                            "child_modules": "junk",
                        }
                    },
                }
            ),
            "a: the policy string holds an empty JSON list",
        ),
    ],
)
def test_bad_plans_are_errors(text: str, message: str) -> None:
    sources, errors = read_terraform_plan("bad.json", text, owner=SYMBOLIC_OWNER)
    assert sources == []
    assert errors
    assert message in errors[0].message
    assert all(e.file == "bad.json" for e in errors)


def test_state_output_is_read_like_a_plan() -> None:
    plan = json.loads((PLANS / "plan.json").read_text(encoding="utf-8"))
    state = {
        "format_version": "1.0",
        "terraform_version": "1.9.5",
        "values": plan["planned_values"],
    }
    sources, errors = read_terraform_plan("state.json", json.dumps(state), owner=SYMBOLIC_OWNER)
    assert errors == []
    assert sources[0].pointer == "/values/root_module/resources/0/values/policy"
    assert len(sources) == 6  # the topic policy has no value: nothing to read, no error
