"""ARN grammar (spec §7, §2.6; S20, S18)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deputyguard.awsdata import (
    PARTITIONS,
    Arn,
    ArnError,
    account_of,
    is_account_id,
    is_arn,
    parse_arn,
    parse_arn_pattern,
    split_arn,
)


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_documented_partitions(partition: str) -> None:
    arn = parse_arn(f"arn:{partition}:sqs:us-east-1:111122223333:inbox")
    assert arn.partition == partition
    assert partition in PARTITIONS


def test_unknown_partition() -> None:
    with pytest.raises(ArnError) as info:
        parse_arn("arn:aws-mars:sqs:us-east-1:111122223333:inbox")
    assert info.value.code == "INVALID_PARTITION"


def test_s3_arn_has_empty_region_and_account() -> None:
    arn = parse_arn("arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/111122223333/*")
    assert arn == Arn("aws", "s3", "", "", "amzn-s3-demo-bucket/AWSLogs/111122223333/*")
    assert account_of(str(arn)) is None


def test_iam_arn_has_empty_region() -> None:
    arn = parse_arn("arn:aws:iam::123456789012:user/x")
    assert (arn.region, arn.account, arn.resource) == ("", "123456789012", "user/x")
    assert account_of("arn:aws:iam::123456789012:user/x") == "123456789012"


def test_organizations_arn() -> None:
    arn = parse_arn("arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-ab12-11111111")
    assert arn.service == "organizations"
    assert arn.resource == "ou/o-a1b2c3d4e5/ou-ab12-11111111"


def test_resource_remainder_keeps_colons() -> None:
    text = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    arn = parse_arn(text)
    assert arn.account == "999999999999"
    assert arn.resource == "store/abc:111122223333:finance/document.txt"
    assert str(arn) == text
    parts = split_arn(text)
    assert parts is not None
    assert parts[5] == "store/abc:111122223333:finance/document.txt"
    assert parse_arn("arn:aws:lambda:us-east-1:123456789012:function:f:1").resource == (
        "function:f:1"
    )


def test_managed_policy_account() -> None:
    arn = parse_arn("arn:aws:iam::aws:policy/AdministratorAccess")
    assert arn.account == "aws"
    assert account_of(str(arn)) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("aws:s3:::bucket", "INVALID_ARN_PREFIX"),
        ("ARN:aws:s3:::bucket", "INVALID_ARN_PREFIX"),
        ("*", "INVALID_ARN_PREFIX"),
        ("arn:aws:sqs", "MISSING_ARN_FIELD"),
        ("arn:aws:config:us-east-1:111122223333", "MISSING_ARN_FIELD"),  # S33 SourceArn form
        ("arn:aws:config:us-east-1:111122223333:", "MISSING_ARN_FIELD"),
        ("arn::s3:::bucket", "MISSING_ARN_FIELD"),
        ("arn:aws::us-east-1:111122223333:x", "MISSING_ARN_FIELD"),
        ("arn:*:s3:::bucket", "INVALID_PARTITION"),
        ("arn:aws:sqs:us-east-1:1111-2222-3333:inbox", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:sqs:us-east-1:11112222333:inbox", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:sqs:us-east-1:*:inbox", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:SQS:us-east-1:111122223333:inbox", "INVALID_ARN_SERVICE_CASE"),
        ("arn:aws:s*:us-east-1:111122223333:inbox", "INVALID_ARN_SERVICE"),
    ],
)
def test_parse_errors(text: str, code: str) -> None:
    with pytest.raises(ArnError) as info:
        parse_arn(text)
    assert info.value.code == code
    assert info.value.message
    assert isinstance(info.value, ValueError)


def test_pattern_allows_wildcards_outside_partition_and_service() -> None:
    arn = parse_arn_pattern("arn:aws:logs:*:*:log-group:*")  # S41
    assert (arn.region, arn.account, arn.resource) == ("*", "*", "log-group:*")
    assert parse_arn_pattern("arn:aws:sns:us-?ast-1:1111*:al?rts").account == "1111*"
    assert parse_arn_pattern("arn:aws:iam::????????????:root").account == "????????????"
    assert parse_arn_pattern("arn:aws:s3:::bucket/*").account == ""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("arn:aws*:s3:::bucket", "INVALID_PARTITION"),
        ("arn:aws:s?s:us-east-1:111122223333:q", "INVALID_ARN_SERVICE"),
        ("arn:aws:sqs:us-east-1:12*x:q", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:sqs:us-east-1:???:q", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:sqs:us-east-1:1111222233334*:q", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:sqs:*:*", "MISSING_ARN_FIELD"),
    ],
)
def test_pattern_errors(text: str, code: str) -> None:
    with pytest.raises(ArnError) as info:
        parse_arn_pattern(text)
    assert info.value.code == code


def test_split_arn_needs_five_colons() -> None:
    assert split_arn("arn:aws:sns") is None
    assert split_arn("*") is None
    assert split_arn("arn:aws:config:us-east-1:111122223333") is None
    assert split_arn("arn:aws:config:us-east-1:111122223333:") == (
        "arn",
        "aws",
        "config",
        "us-east-1",
        "111122223333",
        "",
    )
    # No validation: anything with five colons splits.
    assert split_arn(":::::") == ("", "", "", "", "", "")


def test_is_arn() -> None:
    assert is_arn("arn:aws:s3:::bucket")
    assert not is_arn("arn:aws:sns")
    assert not is_arn("urn:aws:s3:::bucket")


def test_is_account_id() -> None:
    assert is_account_id("111122223333")
    assert not is_account_id("11112222333")
    assert not is_account_id("1111222233334")
    assert not is_account_id("11112222333a")
    assert not is_account_id("")
    assert not is_account_id("١١١١٢٢٢٢٣٣٣٣")  # Arabic-Indic digits satisfy Python's \d


@given(
    st.sampled_from(sorted(PARTITIONS)),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=12),
    st.one_of(st.just(""), st.from_regex(r"\A[0-9]{12}\Z")),
    st.text(min_size=1, max_size=40).filter(lambda s: "\n" not in s),
)
def test_round_trip(partition: str, service: str, region: str, account: str, res: str) -> None:
    text = f"arn:{partition}:{service}:{region}:{account}:{res}"
    arn = parse_arn(text)
    assert str(arn) == text
    assert arn.resource == res
    assert split_arn(text) == ("arn", partition, service, region, account, res)
