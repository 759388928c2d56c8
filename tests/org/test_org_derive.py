"""Context keys derived from the org model (spec §6.1, §6.2; cli.md `request.source`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deputyguard.org import (
    OrgModel,
    OrgModelError,
    SourceRef,
    load_org,
    principal_context,
    resource_context,
    source_context,
)

DATA = Path(__file__).parent / "data"
ORG = "o-a1b2c3d4e5"
PROD_PATH = f"{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
ALARM = "arn:aws:cloudwatch:us-east-2:222233334444:alarm:high-cpu"


@pytest.fixture(scope="module")
def model() -> OrgModel:
    return load_org(DATA / "org.yaml")


def test_source_in_nested_ou(model: OrgModel) -> None:
    context = source_context(model, SourceRef(ALARM, None), "cloudwatch.amazonaws.com")
    assert context == {
        "aws:SourceArn": ALARM,
        "aws:SourceAccount": "222233334444",  # from the ARN's account field
        "aws:SourceOrgID": ORG,
        "aws:SourceOrgPaths": [PROD_PATH],
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": "cloudwatch.amazonaws.com",
    }


def test_source_directly_under_root(model: OrgModel) -> None:
    context = source_context(model, SourceRef(None, "111111111111"), "logs.amazonaws.com")
    assert context["aws:SourceOrgPaths"] == [f"{ORG}/r-ab12/"]
    assert "aws:SourceArn" not in context


def test_source_is_the_management_account(model: OrgModel) -> None:
    # The management account is an org member: it sends the org keys like any other account
    # (only RCPs/SCPs treat it differently, spec §5.4).
    context = source_context(model, SourceRef(None, "111111111111"), "cloudtrail.amazonaws.com")
    assert context["aws:SourceOrgID"] == ORG


def test_source_outside_the_org_has_no_org_keys(model: OrgModel) -> None:
    arn = "arn:aws:sns:us-east-1:444455556666:alerts"
    context = source_context(model, SourceRef(arn, "444455556666"), "sns.amazonaws.com")
    assert context == {
        "aws:SourceArn": arn,
        "aws:SourceAccount": "444455556666",
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": "sns.amazonaws.com",
    }


def test_bucket_arn_has_no_account(model: OrgModel) -> None:
    context = source_context(model, SourceRef("arn:aws:s3:::logs", None), "s3.amazonaws.com")
    assert context == {
        "aws:SourceArn": "arn:aws:s3:::logs",
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": "s3.amazonaws.com",
    }
    context = source_context(
        model, SourceRef("arn:aws:s3:::logs", "111122223333"), "s3.amazonaws.com"
    )
    assert context["aws:SourceAccount"] == "111122223333"
    assert context["aws:SourceOrgPaths"] == [f"{ORG}/r-ab12/ou-ab12-11111111/"]


def test_explicit_account_wins_over_the_arn(model: OrgModel) -> None:
    context = source_context(model, SourceRef(ALARM, "111122223333"), "cloudwatch.amazonaws.com")
    assert context["aws:SourceAccount"] == "111122223333"


def test_foreign_organization_given_explicitly(model: OrgModel) -> None:
    foreign = SourceRef(
        "arn:aws:sns:us-east-1:999988887777:t",
        None,
        org_id="o-zzzzzzzzzz",
        org_paths=("o-zzzzzzzzzz/r-zz99/ou-ab12-22222222/",),  # same OU id, other organization
    )
    context = source_context(model, foreign, "sns.amazonaws.com")
    assert context["aws:SourceOrgID"] == "o-zzzzzzzzzz"
    assert context["aws:SourceOrgPaths"] == ["o-zzzzzzzzzz/r-zz99/ou-ab12-22222222/"]


def test_explicit_org_id_of_another_org_drops_the_model_path(model: OrgModel) -> None:
    source = SourceRef(None, "222233334444", org_id="o-zzzzzzzzzz")
    context = source_context(model, source, "sns.amazonaws.com")
    assert context["aws:SourceOrgID"] == "o-zzzzzzzzzz"
    assert "aws:SourceOrgPaths" not in context


def test_explicit_same_org_id_keeps_the_model_path(model: OrgModel) -> None:
    source = SourceRef(None, "222233334444", org_id=ORG)
    context = source_context(model, source, "sns.amazonaws.com")
    assert context["aws:SourceOrgPaths"] == [PROD_PATH]


def test_without_a_model(model: OrgModel) -> None:
    context = source_context(None, SourceRef(ALARM, None), "cloudwatch.amazonaws.com")
    assert "aws:SourceOrgID" not in context
    assert context["aws:SourceAccount"] == "222233334444"


def test_trusted_accounts_are_not_members(model: OrgModel) -> None:
    context = source_context(model, SourceRef(None, "444455556666"), "sns.amazonaws.com")
    assert "aws:SourceOrgID" not in context


@pytest.mark.parametrize("account", ["4444", "44445555666a", "４４４４５５５５６６６６"])
def test_bad_source_account(model: OrgModel, account: str) -> None:
    with pytest.raises(OrgModelError, match="not a 12-digit account id"):
        source_context(model, SourceRef(None, account), "sns.amazonaws.com")


def test_empty_service_principal(model: OrgModel) -> None:
    with pytest.raises(OrgModelError, match="service principal"):
        source_context(model, SourceRef(None, "111122223333"), "")


def test_resource_context(model: OrgModel) -> None:
    assert resource_context(model, "222233334444") == {
        "aws:ResourceAccount": "222233334444",
        "aws:ResourceOrgID": ORG,
        "aws:ResourceOrgPaths": [PROD_PATH],
    }
    assert resource_context(model, "444455556666") == {"aws:ResourceAccount": "444455556666"}
    assert resource_context(model, None) == {}
    assert resource_context(None, "222233334444") == {"aws:ResourceAccount": "222233334444"}
    with pytest.raises(OrgModelError, match="resource account"):
        resource_context(model, "2222")


def test_principal_context(model: OrgModel) -> None:
    role = "arn:aws:iam::111122223333:role/deployer"
    assert principal_context(model, role) == {
        "aws:PrincipalArn": role,
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalOrgID": ORG,
        "aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-11111111/"],
        "aws:PrincipalIsAWSService": "false",
    }
    outsider = "arn:aws:iam::444455556666:root"
    assert principal_context(model, outsider) == {
        "aws:PrincipalArn": outsider,
        "aws:PrincipalAccount": "444455556666",
        "aws:PrincipalIsAWSService": "false",
    }


@pytest.mark.parametrize("arn", ["111122223333", "arn:aws:s3:::bucket", "cloudtrail.amazonaws.com"])
def test_principal_must_be_an_arn_with_an_account(model: OrgModel, arn: str) -> None:
    with pytest.raises(OrgModelError, match="12-digit account"):
        principal_context(model, arn)
