"""Reading Terraform modules: every policy form, documents built like the provider builds them,
positions in the .tf file, symbolic and unknown values, and every way the input goes bad."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import Position
from deputyguard.policy.model import PolicyType
from deputyguard.sources.iac import SYMBOLIC_OWNER, SYMBOLIC_REGION, UNKNOWN_PATTERN
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import read_terraform_module
from sources.terraform.helpers import OWNER, ROOT, at, module, shown, where


def read(
    directory: Path, owner: str = OWNER, policy_type: PolicyType | None = None
) -> tuple[dict[str, PolicySource], list[InputError]]:
    """Sources by pointer (plus `@resource` when one data document serves several)."""
    sources, errors = read_terraform_module(
        directory,
        sorted(directory.glob("*.tf")),
        owner=owner,
        display=shown,
        policy_type=policy_type,
    )
    by_pointer: dict[str, PolicySource] = {}
    for source in sources:
        key = (
            source.pointer
            if source.pointer not in by_pointer
            else f"{source.pointer}@{source.resource}"
        )
        by_pointer[key] = source
    return by_pointer, errors


def only(directory: Path, owner: str = OWNER) -> PolicySource:
    sources, errors = read(directory, owner)
    assert errors == []
    assert len(sources) == 1
    return next(iter(sources.values()))


RESOURCES = ROOT / "resources"


# -- policy forms ---------------------------------------------------------------------------------


def test_jsonencode_document_resolves_references_locals_and_data_sources() -> None:
    sources, errors = read(RESOURCES)
    assert errors == []
    source = sources["/resource/aws_s3_bucket_policy/logs/policy"]
    marker = next(iter(source.unknowns))
    assert source.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::example-logs/AWSLogs/*",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceArn": f"arn:aws:cloudtrail:{SYMBOLIC_REGION}:{OWNER}:trail/main"
                    }
                },
            },
            {
                "Sid": "PeerRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{marker}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::example-logs/*", "arn:aws:s3:::example-logs"],
            },
        ],
    }
    assert source.unknowns == {
        marker: "variable peer_account has no default (resources/variables.tf line 1)"
    }
    assert (source.file, source.resource, source.origin, source.owner) == (
        "resources/main.tf",
        "aws_s3_bucket_policy.logs",
        "terraform",
        OWNER,
    )
    assert source.policy_type is PolicyType.RESOURCE


def test_jsonencode_positions_point_at_each_member_and_value() -> None:
    source = read(RESOURCES)[0]["/resource/aws_s3_bucket_policy/logs/policy"]
    main = RESOURCES / "main.tf"
    assert at(source, "") == where(main, "jsonencode(")
    assert source.positions[""] == source.positions[source.pointer]
    assert at(source, "/Statement/0") == where(main, "{\n        Sid", 0)
    assert at(source, "/Statement/1") == where(main, "{\n        Sid", 1)
    assert at(source, "/Statement/0/Sid#key") == where(main, "Sid ")
    assert at(source, "/Statement/0/Sid") == where(main, '"AWSCloudTrailWrite"')
    condition = "/Statement/0/Condition/StringEquals/aws:SourceArn"
    assert at(source, condition + "#key") == where(main, '"aws:SourceArn"')
    # A scalar taken from a local stays at its use: the line a reader of the policy looks at.
    assert at(source, condition) == where(main, "local.trail_arn")
    assert at(source, "/Statement/0/Condition/StringEquals") == where(main, '{\n            "aws:')
    assert at(source, "/Statement/1/Action/1") == where(main, '"s3:ListBucket"')
    assert at(source, "/Statement/1/Resource/1") == where(main, "aws_s3_bucket.logs.arn]")
    assert at(source, "/Statement/1/Principal/AWS") == where(main, '"arn:aws:iam::${var.peer')


def test_heredoc_json_positions_are_lines_of_the_heredoc() -> None:
    source = read(RESOURCES)[0]["/resource/aws_sqs_queue_policy/events/policy"]
    main = RESOURCES / "main.tf"
    assert source.document["Statement"][0]["Resource"] == f"arn:aws:sqs:us-east-1:{OWNER}:events"  # type: ignore[index]
    assert at(source, "/Statement/0") == where(main, '{\n          "Sid": "FromTopic"')
    assert at(source, "/Statement/0/Sid") == where(main, '"FromTopic"')
    key = "/Statement/0/Condition/ArnEquals/aws:SourceArn"
    assert at(source, key + "#key") == where(main, '"aws:SourceArn": "${aws_sns')
    # Interpolated text maps to the `${` that produced it; the quote before it is literal.
    assert at(source, key) == where(main, '"${aws_sns_topic.alerts.arn}"')
    assert source.document["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == (  # type: ignore[index]
        f"arn:aws:sns:us-east-1:{OWNER}:alerts"
    )


def test_quoted_json_string_positions_account_for_escapes() -> None:
    source = read(RESOURCES)[0]["/resource/aws_sns_topic/inline/policy"]
    main = RESOURCES / "main.tf"
    assert source.document["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}  # type: ignore[index]
    assert at(source, "/Statement/0/Principal/Service") == where(main, '\\"s3.amazonaws.com')
    assert at(source, "/Statement/0") == where(main, '{\\"Effect')


def test_file_policy_points_into_the_json_file() -> None:
    source = read(RESOURCES)[0]["/resource/aws_kms_key/logs/policy"]
    key = RESOURCES / "policies" / "key.json"
    assert source.file == "resources/policies/key.json"
    assert source.resource == "aws_kms_key.logs"
    assert at(source, "/Statement/0") == where(key, '{\n      "Sid"')
    assert at(source, "/Statement/0/Action/2") == where(key, '"kms:GenerateDataKey*"')


def test_templatefile_substitutes_variables_and_points_into_the_template() -> None:
    source = read(RESOURCES)[0]["/resource/aws_kms_key_policy/logs/policy"]
    template = RESOURCES / "policies" / "key-policy.json.tpl"
    assert source.file == "resources/policies/key-policy.json.tpl"
    statements: Any = source.document["Statement"]  # type: ignore[index]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{OWNER}:root"}
    assert statements[1]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    assert at(source, "/Statement/1") == where(template, '{\n      "Sid": "OrgUse"')
    assert at(source, "/Statement/1/Condition/StringEquals/aws:PrincipalOrgID") == where(
        template, '"${org_id}"'
    )


def test_data_document_source_points_at_the_data_block() -> None:
    sources, _ = read(RESOURCES)
    source = sources["/data/aws_iam_policy_document/topic"]
    data = RESOURCES / "data.tf"
    assert (source.file, source.resource) == ("resources/data.tf", "aws_sns_topic_policy.alerts")
    assert source.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgePublish",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": f"arn:aws:sns:us-east-1:{OWNER}:alerts",
                "Principal": {"Service": "events.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": OWNER}},
            }
        ],
    }
    assert at(source, "") == where(data, 'data "aws_iam_policy_document" "topic"')
    assert at(source, "/Statement/0") == where(data, "statement {")
    assert at(source, "/Statement/0/Principal") == where(data, "principals {")
    assert at(source, "/Statement/0/Principal/Service#key") == where(data, '"Service"')
    assert at(source, "/Statement/0/Principal/Service") == where(data, '"events.amazonaws.com"')
    assert at(source, "/Statement/0/Condition") == where(data, "condition {")
    assert at(source, "/Statement/0/Condition/StringEquals") == where(data, '"StringEquals"')
    key = "/Statement/0/Condition/StringEquals/aws:SourceAccount"
    assert at(source, key + "#key") == where(data, '"aws:SourceAccount"')
    assert at(source, key) == where(data, "[local.account_id]")
    assert at(source, "/Statement/0/Effect") == at(source, "/Statement/0")  # defaulted


def test_role_trust_policy_and_inline_policy() -> None:
    sources, _ = read(RESOURCES)
    trust = sources["/data/aws_iam_policy_document/assume"]
    assert (trust.resource, trust.policy_type) == ("aws_iam_role.app", PolicyType.TRUST)
    inline = sources["/resource/aws_iam_role/app/inline_policy/0/policy"]
    assert (inline.resource, inline.policy_type, inline.name) == (
        "aws_iam_role.app",
        PolicyType.IDENTITY,
        "read-logs",
    )
    name_line = where(RESOURCES / "main.tf", 'name = "read-logs"')[0]
    assert at(inline, "/Statement/0") == (name_line + 3, 20)
    identity = sources["/resource/aws_iam_policy/deploy/policy"]
    assert identity.document["Statement"][0]["Resource"] == f"arn:aws:iam::{OWNER}:role/app"  # type: ignore[index]
    assert sources["/resource/aws_iam_role_policy/app/policy"].policy_type is PolicyType.IDENTITY


def test_every_resource_policy_argument_is_read() -> None:
    sources, _ = read(RESOURCES)
    assert {s.resource for s in sources.values()} == {
        "aws_s3_bucket_policy.logs",
        "aws_sqs_queue_policy.events",
        "aws_sns_topic_policy.alerts",
        "aws_sns_topic.inline",
        "aws_kms_key.logs",
        "aws_kms_key_policy.logs",
        "aws_secretsmanager_secret_policy.db",
        "aws_ecr_repository_policy.app",
        "aws_cloudwatch_log_resource_policy.route53",
        "aws_iam_role.app",
        "aws_iam_policy.deploy",
        "aws_iam_role_policy.app",
    }
    log = sources["/resource/aws_cloudwatch_log_resource_policy/route53/policy_document"]
    assert log.policy_type is PolicyType.RESOURCE


def test_generated_arn_suffix_is_unknown_but_keeps_its_known_prefix() -> None:
    source = read(RESOURCES)[0]["/resource/aws_secretsmanager_secret_policy/db/policy"]
    resource = source.document["Statement"][0]["Resource"]  # type: ignore[index]
    assert resource.startswith(f"arn:aws:secretsmanager:us-east-1:{OWNER}:secret:db-")
    marker = UNKNOWN_PATTERN.search(resource)
    assert marker is not None
    assert "AWS generates at creation" in source.unknowns[marker.group(0)]


def test_symbolic_owner_and_policy_type_override() -> None:
    sources, _ = read(RESOURCES, owner=SYMBOLIC_OWNER, policy_type=PolicyType.BOUNDARY)
    assert {s.policy_type for s in sources.values()} == {PolicyType.BOUNDARY}
    topic = sources["/data/aws_iam_policy_document/topic"]
    condition = topic.document["Statement"][0]["Condition"]  # type: ignore[index]
    assert condition == {"StringEquals": {"aws:SourceAccount": SYMBOLIC_OWNER}}
    assert topic.owner == SYMBOLIC_OWNER


# -- aws_iam_policy_document ----------------------------------------------------------------------

DOCUMENTS = ROOT / "documents"


def test_source_and_override_documents_merge_by_sid() -> None:
    source = read(DOCUMENTS)[0]["/data/aws_iam_policy_document/jobs"]
    statements: Any = source.document["Statement"]  # type: ignore[index]
    assert [s.get("Sid") for s in statements] == ["OwnerAdmin", "Replaced", "Overridden", None]
    # The own statement with the base's Sid replaced it in place ...
    assert statements[1]["Principal"] == {"Service": "sns.amazonaws.com"}
    # ... and the override document's statement replaced the own one.
    assert statements[2] == {
        "Sid": "Overridden",
        "Effect": "Deny",
        "Action": "sqs:DeleteQueue",
        "Resource": "*",
        "Principal": "*",
    }
    main = DOCUMENTS / "main.tf"
    assert at(source, "/Statement/0")[0] == where(main, 'sid       = "OwnerAdmin"')[0] - 1
    assert at(source, "/Statement/1")[0] == where(main, 'sid       = "Replaced"', 1)[0] - 1
    assert at(source, "/Statement/2")[0] == where(main, 'sid       = "Overridden"', 0)[0] - 1


def test_condition_blocks_merge_values_of_the_same_test_and_variable() -> None:
    source = read(DOCUMENTS)[0]["/data/aws_iam_policy_document/jobs"]
    condition = source.document["Statement"][1]["Condition"]  # type: ignore[index]
    assert condition == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWNER}:jobs-*"},
        "StringEquals": {"aws:SourceAccount": [OWNER, "444455556666"]},
    }
    main = DOCUMENTS / "main.tf"
    account = "/Statement/1/Condition/StringEquals/aws:SourceAccount"
    line, column = where(main, "[data.aws_caller_identity.current.account_id]\n")
    assert at(source, account + "/0") == (line, column + 1)
    assert at(source, account + "/1") == where(main, '"444455556666"]')
    assert at(source, account + "#key") == where(main, '"aws:SourceAccount"')
    assert at(source, "/Statement/1/Condition/ArnLike") == where(main, '"ArnLike"')


def test_principal_blocks_not_elements_and_policy_variables() -> None:
    source = read(DOCUMENTS)[0]["/data/aws_iam_policy_document/jobs"]
    last = source.document["Statement"][3]  # type: ignore[index]
    assert last == {
        "Effect": "Allow",
        "NotAction": "sqs:ReceiveMessage",
        "NotResource": "arn:aws:sqs:*:*:${aws:username}",
        "Principal": {"AWS": ["111122223333", "444455556666"]},
        "NotPrincipal": {
            "AWS": ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]
        },
    }
    main = DOCUMENTS / "main.tf"
    assert at(source, "/Statement/3/NotPrincipal") == where(main, "not_principals {")
    line, column = where(main, '["444455556666"]', 1)
    assert at(source, "/Statement/3/Principal/AWS/1") == (line, column + 1)


def test_json_string_source_document() -> None:
    source = read(DOCUMENTS)[0]["/data/aws_iam_policy_document/from_string"]
    assert [s["Sid"] for s in source.document["Statement"]] == ["Shared", "Own"]  # type: ignore[index]
    assert at(source, "/Statement/0") == where(DOCUMENTS / "main.tf", "<<-EOF")


def test_duplicate_sids_and_cycles_are_reported(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "main.tf": """
data "aws_iam_policy_document" "dup" {
  statement {
    sid = "A"
    actions = ["s3:GetObject"]
  }
  statement {
    sid = "A"
    actions = ["s3:PutObject"]
  }
}
resource "aws_iam_policy" "dup" {
  policy = data.aws_iam_policy_document.dup.json
}
data "aws_iam_policy_document" "loop" {
  source_policy_documents = [data.aws_iam_policy_document.loop.json]
}
resource "aws_iam_policy" "loop" {
  policy = data.aws_iam_policy_document.loop.json
}
"""
        },
    )
    sources, errors = read(directory)
    assert sources == {}
    assert [(e.line, e.message) for e in errors] == [
        (
            7,
            "aws_iam_policy.dup: duplicate Sid 'A' in the statement blocks "
            "(the provider rejects it)",
        ),
        (
            16,
            "aws_iam_policy.loop: data.aws_iam_policy_document.loop includes itself through its "
            "source or override documents",
        ),
    ]


# -- aws_lambda_permission, aws_organizations_policy, count -------------------------------------

LAMBDA = ROOT / "lambda"


def test_lambda_permission_without_source_account() -> None:
    source = read(LAMBDA)[0]["/resource/aws_lambda_permission/from_s3"]
    assert source.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowS3",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:us-east-1:{OWNER}:function:processor",
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::example-uploads"}},
            }
        ],
    }
    main = LAMBDA / "main.tf"
    assert at(source, "/Statement/0") == where(main, 'resource "aws_lambda_permission" "from_s3"')
    assert at(source, "/Statement/0/Condition/ArnLike/AWS:SourceArn") == where(
        main, "aws_s3_bucket.uploads.arn\n}"
    )
    assert at(source, "/Statement/0/Condition/ArnLike/AWS:SourceArn#key") == where(
        main, "source_arn "
    )
    assert source.policy_type is PolicyType.RESOURCE


def test_lambda_permission_with_source_account_org_and_url() -> None:
    sources, errors = read(LAMBDA)
    assert errors == []
    pinned = sources["/resource/aws_lambda_permission/from_s3_pinned"].document
    assert pinned["Statement"][0]["Condition"] == {  # type: ignore[index]
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::example-uploads"},
        "StringEquals": {"AWS:SourceAccount": OWNER},
    }
    partner = sources["/resource/aws_lambda_permission/partner"].document["Statement"][0]  # type: ignore[index]
    assert partner["Principal"] == {"AWS": "444455556666"}
    assert partner["Resource"] == f"arn:aws:lambda:us-east-1:{OWNER}:function:processor:live"
    assert partner["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    url = sources["/resource/aws_lambda_permission/url"].document["Statement"][0]  # type: ignore[index]
    assert url["Principal"] == "*"
    assert url["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    source = sources["/resource/aws_lambda_permission/from_s3_pinned"]
    assert (
        at(source, "/Statement/0/Condition/StringEquals/AWS:SourceAccount")[0]
        == where(LAMBDA / "main.tf", "source_account")[0]
    )


def test_organization_policies_scp_rcp_and_skipped_types() -> None:
    sources, errors = read(ROOT / "organizations")
    assert {s.resource: s.policy_type for s in sources.values()} == {
        "aws_organizations_policy.deny_leave": PolicyType.SCP,
        "aws_organizations_policy.confused_deputy": PolicyType.RCP,
    }
    [error] = errors
    assert (error.line, error.column) == where(
        ROOT / "organizations" / "main.tf", "var.policy_type"
    )
    assert "policy type is only known when Terraform runs" in error.message


def test_count_and_for_each_use_the_block_address() -> None:
    sources, errors = read(ROOT / "count")
    assert errors == []
    events = sources["/resource/aws_sns_topic_policy/events/policy"]
    assert events.resource == "aws_sns_topic_policy.events"
    resource = events.document["Statement"][0]["Resource"]  # type: ignore[index]
    assert resource.startswith(f"arn:aws:sns:us-east-1:{OWNER}:deputyguard-unknown-")
    assert list(events.unknowns.values()) == [
        "count.index differs between the instances of a counted resource (count/main.tf line 7)"
    ]
    by_name = sources["/resource/aws_sqs_queue_policy/by_name/policy"]
    assert by_name.resource == "aws_sqs_queue_policy.by_name"
    assert all("for_each" in reason for reason in by_name.unknowns.values())


# -- expressions ----------------------------------------------------------------------------------


def test_functions_conditionals_and_interpolation(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "main.tf": """
variable "accounts" { default = ["111122223333", "444455556666"] }
variable "enabled" { default = true }
variable "unknown" {}
locals {
  base  = { Effect = "Allow", Resource = "*" }
  extra = ["sqs:GetQueueUrl"]
}
resource "aws_iam_policy" "f" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(local.base, {
      Action = distinct(flatten([["SQS:SendMessage"], concat(local.extra, ["sqs:SendMessage"])]))
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = tolist(toset(var.accounts))
          "aws:Tag"           = format("%s-%d-%q", lower("AB"), 7, "x")
          "aws:Joined"        = join(",", var.accounts)
          "aws:Upper"         = upper("env-${var.enabled ? "prod" : "dev"}")
          "aws:Partial"       = "arn:aws:sns:us-east-1:${var.unknown}:topic"
          "aws:Upper2"        = upper(var.unknown)
          "aws:Try"           = try(local.missing.value, "fallback")
          "aws:Number"        = 1 + 2
        }
      }
    })]
  })
}
"""
        },
    )
    source = only(directory)
    statement = source.document["Statement"][0]  # type: ignore[index]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["SQS:SendMessage", "sqs:GetQueueUrl", "sqs:SendMessage"]
    equals = statement["Condition"]["StringEquals"]
    assert equals["aws:SourceAccount"] == ["111122223333", "444455556666"]
    assert equals["aws:Tag"] == 'ab-7-"x"'
    assert equals["aws:Joined"] == "111122223333,444455556666"
    assert equals["aws:Upper"] == "ENV-PROD"
    assert equals["aws:Number"] == 3
    partial = equals["aws:Partial"]
    marker = UNKNOWN_PATTERN.search(partial)
    assert marker is not None
    assert partial == f"arn:aws:sns:us-east-1:{marker.group(0)}:topic"
    assert source.unknowns[marker.group(0)] == "variable unknown has no default (main.tf line 4)"
    upper_marker = equals["aws:Upper2"]
    assert UNKNOWN_PATTERN.fullmatch(upper_marker)
    assert source.unknowns[upper_marker].startswith("upper() of a value only known")
    # merge(): each member keeps the line of the object that gave it.
    assert at(source, "/Statement/0/Effect")[0] == 6
    assert at(source, "/Statement/0/Action")[0] == 13


def test_statements_in_a_local_are_placed_where_they_are_written(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "locals.tf": """locals {
  same_file = {
    Effect = "Allow"
    Action = "s3:GetObject"
    Resource = "*"
  }
}
""",
            "main.tf": """locals {
  statement = {
    Effect   = "Allow"
    Action   = "s3:PutObject"
    Resource = "*"
  }
}

resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.statement, local.same_file]
  })
}
""",
        },
    )
    source = only(directory)
    assert source.file == "main.tf"
    assert at(source, "/Statement/0") == (2, 15)
    assert at(source, "/Statement/0/Action") == (4, 16)
    # Defined in another file: placed at the reference, so every position is in main.tf.
    assert at(source, "/Statement/1") == (12, 35)
    assert at(source, "/Statement/1/Action") == (12, 35)


def test_policy_in_a_local_of_another_file_points_into_that_file(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "policies.tf": """locals {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}
""",
            "main.tf": """resource "aws_iam_policy" "p" {
  policy = local.policy
}
""",
        },
    )
    source = only(directory)
    assert (source.file, source.pointer, source.resource) == (
        "policies.tf",
        "/resource/aws_iam_policy/p/policy",
        "aws_iam_policy.p",
    )
    assert at(source, "/Statement/0") == (4, 18)


def test_module_argument_document_is_analyzed_as_what_it_looks_like(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "main.tf": """data "aws_iam_policy_document" "bucket" {
  statement {
    actions = ["s3:PutObject"]
    resources = ["*"]
    principals {
      type = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}
module "bucket" {
  source = "./bucket"
  policy = data.aws_iam_policy_document.bucket.json
}
"""
        },
    )
    source = only(directory)
    assert (source.resource, source.pointer, source.policy_type) == (
        "module.bucket",
        "/data/aws_iam_policy_document/bucket",
        PolicyType.RESOURCE,
    )


def test_unknown_references_name_what_is_missing(tmp_path: Path) -> None:
    directory = module(
        tmp_path,
        **{
            "main.tf": """resource "aws_sqs_queue_policy" "q" {
  queue_url = module.queue.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action = "sqs:SendMessage"
      Resource = module.queue.arn
      Condition = { ArnEquals = {
        "aws:SourceArn" = data.aws_sns_topic.shared.arn
        "aws:Other"     = aws_unmodelled_thing.x.arn
        "aws:Role"      = aws_iam_role.r.unique_id
      } }
    }]
  })
}
resource "aws_iam_role" "r" { name = "r" }
"""
        },
    )
    source = only(directory)
    reasons = sorted(source.unknowns.values())
    assert reasons == [
        "aws_iam_role.r.unique_id is only known after the resource is created (main.tf line 13)",
        "aws_unmodelled_thing.x is not defined in this module (main.tf line 12)",
        "data.aws_sns_topic.shared.arn is read from AWS when Terraform runs (not declared in this "
        "module) (main.tf line 11)",
        "module.queue.arn is an output of another module (main.tf line 9)",
    ]


# -- bad input ------------------------------------------------------------------------------------


def test_syntax_error_is_reported_and_other_files_are_read() -> None:
    sources, errors = read(ROOT / "syntax_error")
    [error] = errors
    assert (error.file, error.line, error.column) == ("syntax_error/bad.tf", 10, 3)
    assert error.message.startswith("HCL syntax error: unexpected")
    [source] = sources.values()
    reason = next(iter(source.unknowns.values()))
    assert "syntax_error/bad.tf could not be parsed" in reason


def test_missing_file_and_invalid_heredoc_json_are_reported_with_lines() -> None:
    sources, errors = read(ROOT / "missing_file")
    assert sources == {}
    main = ROOT / "missing_file" / "main.tf"
    assert [(e.line, e.column) for e in errors] == [
        where(main, 'file("${path.module}'),
        where(main, '"Action": "sqs:*"'),
    ]
    assert "no file exists at ./policies/missing.json" in errors[0].message
    assert "invalid JSON in the policy" in errors[1].message


def test_unsupported_constructs_are_errors_never_silence() -> None:
    sources, errors = read(ROOT / "unsupported")
    main = ROOT / "unsupported" / "main.tf"
    assert list(sources) == ["/resource/aws_sns_topic_policy/for_values/policy"]
    assert sources["/resource/aws_sns_topic_policy/for_values/policy"].document["Statement"][0][  # type: ignore[index]
        "Principal"
    ] == {"Service": ["events.amazonaws.com"]}
    assert [(e.line, e.column) for e in errors] == [
        where(main, 'dynamic "statement"'),
        where(main, "[for service"),
        where(main, "%{ for"),
        where(main, "var.policy_json\n"),
    ]
    assert all("cannot be analyzed statically" in e.message for e in errors[:3])
    assert (
        "only known when Terraform runs: variable policy_json has no default" in errors[3].message
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('resource "aws_iam_policy" "p" {\n  policy = ""\n}\n', "empty string"),
        ('resource "aws_iam_policy" "p" {\n  policy = jsonencode([1, 2])\n}\n', "a JSON list"),
        (
            'resource "aws_iam_policy" "p" {\n  policy = "{\\"Version\\": 1}"\n}\n',
            "without Statement",
        ),
        (
            'resource "aws_iam_policy" "p" {\n  policy = jsonencode({Statement = var.s})\n}\n'
            'variable "s" {}\n',
            "the statements are only known",
        ),
        ('resource "aws_iam_policy" "p" {\n  policy = file(var.f)\n}\nvariable "f" {}\n', "path"),
        (
            'resource "aws_iam_role" "r" {\n  dynamic "inline_policy" {\n    for_each = []\n'
            "    content {}\n  }\n}\n",
            'dynamic "inline_policy"',
        ),
        (
            'resource "aws_lambda_permission" "l" {\n  action = "lambda:InvokeFunction"\n}\n',
            "without principal",
        ),
    ],
)
def test_policies_that_cannot_be_read_are_errors(tmp_path: Path, text: str, fragment: str) -> None:
    sources, errors = read(module(tmp_path, **{"main.tf": text}))
    assert sources == {}
    [error] = errors
    assert fragment in error.message
    assert error.file == "main.tf"
    assert error.line is not None


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01binary",
        b"\xff\xfe\x00r\x00",
        'resource "x" "y" { a = "\u00e9" }'.encode("latin-1"),
        b"resource {",
        b"a = " + b"[" * 3000 + b"]" * 3000,
        b'a = "${"',
        b"x = <<EOF\nno end",
        b"",
        b"# only a comment\n",
        b"locals {\n  a = local.a\n}\n",
    ],
)
def test_bad_files_never_raise(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "main.tf").write_bytes(content)
    (tmp_path / "ok.tf").write_text(
        'resource "aws_iam_policy" "ok" {\n  policy = jsonencode({ Version = "2012-10-17", '
        'Statement = [{ Effect = "Allow", Action = "*", Resource = local.a }] })\n}\n',
        encoding="utf-8",
    )
    sources, errors = read(tmp_path)
    assert list(sources) == ["/resource/aws_iam_policy/ok/policy"]
    assert all(e.file in ("main.tf", "ok.tf") for e in errors)


def test_mutated_fixtures_never_raise(tmp_path: Path) -> None:
    """Random damage to real fixtures yields errors or sources, never an exception."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("*/*.tf"))]
    rng = random.Random(20240611)
    alphabet = '{}[]()"$%<>=,.\n #~\\EOF'
    for round_ in range(60):
        text = rng.choice(texts)
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            where_ = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                del chars[where_]
            elif action < 0.8:
                chars.insert(where_, rng.choice(alphabet))
            else:
                chars[where_] = rng.choice(alphabet)
        target = tmp_path / f"round{round_}"
        target.mkdir()
        (target / "main.tf").write_text("".join(chars), encoding="utf-8")
        sources, errors = read(target)
        for error in errors:
            assert error.message
        for source in sources.values():
            assert source.pointer in source.positions


def test_positions_exist_for_every_value_of_every_fixture_policy() -> None:
    """Every statement, member and value has a position (findings never lack a line)."""
    for directory in sorted(p for p in ROOT.iterdir() if p.is_dir() and p.name != "plan"):
        sources, _ = read(directory)
        for source in sources.values():
            stack: list[tuple[str, Any]] = [(source.pointer, source.document)]
            while stack:
                pointer, value = stack.pop()
                assert isinstance(source.positions[pointer], Position), (directory, pointer)
                if isinstance(value, dict):
                    for key, member in value.items():
                        child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
                        assert child + "#key" in source.positions, (directory, child)
                        stack.append((child, member))
                elif isinstance(value, list):
                    stack.extend((f"{pointer}/{i}", m) for i, m in enumerate(value))


def test_crlf_line_endings_and_tabs(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_bytes(
        b'resource "aws_iam_policy" "p" {\r\n\tpolicy = <<EOF\r\n{\r\n'
        b'  "Version": "2012-10-17",\r\n'
        b'  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]\r\n}\r\nEOF\r\n}\r\n'
    )
    source = only(tmp_path)
    assert source.document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]  # type: ignore[index]
    assert at(source, "/Statement/0") == (5, 17)
    assert at(source, "/Version") == (4, 14)
