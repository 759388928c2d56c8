"""The sourced global condition-key table (S7; spec §3.4, §6.3)."""

from __future__ import annotations

import pytest

from deputyguard.awsdata import SENSITIVE_KEYS, GlobalKey, all_global_keys, global_key

S7_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"

REQUIRED = [
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:PrincipalTag/${TagKey}",
    "aws:userid",
    "aws:username",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:RequestedRegion",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:TokenIssueTime",
    "aws:FederatedProvider",
    "aws:SourceIdentity",
    "aws:referer",
    "aws:UserAgent",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:AssumedRoot",
]

TYPES = {"String", "ArrayOfString", "ARN", "Bool", "Date", "Numeric", "IPAddress"}


@pytest.mark.parametrize("name", REQUIRED)
def test_required_keys_present_with_exact_spelling(name: str) -> None:
    found = global_key(name)
    assert found is not None
    assert found.name == name


def test_every_entry_is_sourced_and_typed() -> None:
    keys = all_global_keys()
    assert len({k.name.lower() for k in keys}) == len(keys)
    for key in keys:
        assert key.source.startswith("S7 " + S7_URL + "#condition-keys-"), key.name
        assert key.type in TYPES, key.name
        assert key.multivalued is key.type.startswith("ArrayOf"), key.name
        assert set(key.alt_types) <= TYPES, key.name
        if key.sensitive:
            assert "S18" in key.source, key.name


def test_source_keys() -> None:
    """Spec §3.4: only SourceOrgPaths is multivalued; SourceAccount/OrgID are sensitive."""
    source_arn = global_key("aws:SourceArn")
    source_account = global_key("aws:SourceAccount")
    org_id = global_key("aws:SourceOrgID")
    org_paths = global_key("aws:SourceOrgPaths")
    assert source_arn == GlobalKey(
        "aws:SourceArn", "ARN", False, False, f"S7 {S7_URL}#condition-keys-sourcearn"
    )
    assert source_account is not None
    assert (source_account.type, source_account.multivalued, source_account.sensitive) == (
        "String",
        False,
        True,
    )
    assert org_id is not None
    assert (org_id.multivalued, org_id.sensitive) == (False, True)
    assert org_paths is not None
    assert (org_paths.type, org_paths.multivalued, org_paths.sensitive) == (
        "ArrayOfString",
        True,
        False,
    )


def test_lookup_is_case_insensitive() -> None:
    assert global_key("AWS:SOURCEACCOUNT") == global_key("aws:SourceAccount")
    assert global_key("aws:PrincipalIsAwsService") == global_key("aws:PrincipalIsAWSService")


def test_tag_keys_match_templates() -> None:
    tag = global_key("aws:PrincipalTag/department")
    assert tag is not None
    assert tag.name == "aws:PrincipalTag/${TagKey}"
    upper = global_key("AWS:PRINCIPALTAG/Department")
    assert upper == tag
    resource_tag = global_key("aws:ResourceTag/a/b:c")
    assert resource_tag is not None
    assert resource_tag.name == "aws:ResourceTag/${TagKey}"
    assert global_key("aws:PrincipalTag/") is None
    assert global_key("aws:SourceArn/x") is None
    assert global_key("aws:NoSuchKey") is None
    assert global_key("s3:prefix") is None


def test_sensitive_keys_are_the_s7_list() -> None:
    assert set(SENSITIVE_KEYS) == {
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:vpceaccount",
        "aws:vpceorgid",
    }
    assert "aws:sourcearn" not in SENSITIVE_KEYS
    assert "aws:sourceorgpaths" not in SENSITIVE_KEYS


def test_multivalued_keys() -> None:
    multi = {k.name for k in all_global_keys() if k.multivalued}
    assert multi == {
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceNamesList",
        "aws:VpceOrgPaths",
        "aws:ResourceOrgPaths",
        "aws:CalledVia",
        "aws:TagKeys",
        "aws:SourceOrgPaths",
    }


def test_epoch_time_also_numeric() -> None:
    epoch = global_key("aws:EpochTime")
    assert epoch is not None
    assert (epoch.type, epoch.alt_types) == ("Date", ("Numeric",))
