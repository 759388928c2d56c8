"""Policy validation checks (spec §1.10–§1.12, §2–§4, §5.4, §6.3) and size quotas."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from deputyguard.policy.issues import Issue, Severity
from deputyguard.policy.jsontext import parse_json
from deputyguard.policy.limits import SizeLimit, measure, size_limit
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import parse_policy
from deputyguard.policy.validate import CHECKS, CODES, validate_policy

Q = "arn:aws:sqs:us-east-1:111122223333:inbox"
SNS = {"Service": "sns.amazonaws.com"}
GUARD = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:alerts"}}


def stmt(**members: Any) -> dict[str, Any]:
    """A resource-policy statement (TA of spec §9.1, guarded) with members replaced or removed."""
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": SNS,
        "Action": "sqs:SendMessage",
        "Resource": Q,
        "Condition": GUARD,
    }
    base.update(members)
    return {k: v for k, v in base.items() if v is not None}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        out["Version"] = version
    return out


def validate(
    document: dict[str, Any],
    policy_type: PolicyType = PolicyType.RESOURCE,
    **options: Any,
) -> tuple[Issue, ...]:
    result = parse_policy(document)
    assert result.policy is not None, result.issues
    return validate_policy(result.policy, policy_type, **options)


def codes(
    document: dict[str, Any], policy_type: PolicyType = PolicyType.RESOURCE, **kw: Any
) -> set[str]:
    return {i.code for i in validate(document, policy_type, **kw)}


def only(
    document: dict[str, Any], code: str, policy_type: PolicyType = PolicyType.RESOURCE
) -> Issue:
    found = [i for i in validate(document, policy_type) if i.code == code]
    assert len(found) == 1, found
    return found[0]


def cond(condition: dict[str, Any], **members: Any) -> dict[str, Any]:
    return doc(stmt(Condition=condition, **members))


# --- canonical AWS policies (spec §6.4) ----------------------------------------------------

CLOUDTRAIL = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::bucket/prefix/AWSLogs/111122223333/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    }
)
CLOUDWATCH_SNS = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": "arn:aws:sns:us-east-2:111122223333:alarms",
        "Condition": {
            "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-2:111122223333:alarm:*"},
            "StringEquals": {"aws:SourceAccount": "111122223333"},
        },
    }
)
RCP_ORG = doc(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceOrgID": "o-xxxxxxxxxx"},
            "Null": {"aws:SourceAccount": "false"},
            "Bool": {"aws:PrincipalIsAWSService": "true"},
        },
    }
)
RCP_OU = doc(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*", "sqs:*"],
        "Resource": "*",
        "Condition": {
            "ForAllValues:StringNotLikeIfExists": {
                "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
            },
            "Null": {"aws:SourceAccount": "false"},
            "Bool": {"aws:PrincipalIsAWSService": "true"},
        },
    }
)
RCP_FULL_ACCESS = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})


@pytest.mark.parametrize(
    ("document", "policy_type"),
    [
        (CLOUDTRAIL, PolicyType.RESOURCE),
        (CLOUDWATCH_SNS, PolicyType.RESOURCE),
        (RCP_ORG, PolicyType.RCP),
        (RCP_OU, PolicyType.RCP),
        (RCP_FULL_ACCESS, PolicyType.RCP),
    ],
    ids=["cloudtrail", "cloudwatch-sns", "rcp-org", "rcp-ou", "rcp-full-access"],
)
def test_canonical_aws_policies_are_clean(
    document: dict[str, Any], policy_type: PolicyType
) -> None:
    text = json.dumps(document, indent=2)
    assert validate(document, policy_type, text=text, service="s3") == ()


# --- code table ---------------------------------------------------------------------------


def test_every_code_is_sourced() -> None:
    for code, info in CODES.items():
        assert code.isupper()
        assert "S" in info.source or "§" in info.source, code


def test_issues_follow_the_code_table() -> None:
    document = doc(
        stmt(Principal={"Service": "*"}, Condition={"NumericLessThan": {"s3:max-keys": "x"}}),
        stmt(Sid="a b", NotPrincipal=SNS, Principal=None),
    )
    for issue in validate(document):
        info = CODES[issue.code]
        if issue.code != "UNSUPPORTED_SID":
            assert (issue.severity, issue.blocking) == (info.severity, info.blocking)


def test_checks_are_small_and_documented() -> None:
    assert len(CHECKS) >= 30
    assert len({c.__name__ for c in CHECKS}) == len(CHECKS)


def test_no_duplicate_issues() -> None:
    document = doc(stmt(Condition={"Bogus": {"aws:SourceAccount": "1"}, "Bogus2": {"a:b": "1"}}))
    issues = validate(document)
    assert len(issues) == len(set(issues))


# --- document level -----------------------------------------------------------------------


def test_missing_version_is_a_warning() -> None:
    issue = only(doc(stmt(), version=None), "MISSING_VERSION")
    assert issue.severity is Severity.WARNING and not issue.blocking


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_variables_need_version_2012(version: str | None) -> None:
    document = doc(
        stmt(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:ResourceAccount}:*"}}),
        version=version,
    )
    issue = only(document, "VARIABLE_UNSUPPORTED_IN_VERSION")
    assert not issue.blocking
    assert issue.span.pointer == "/Statement/0/Condition/ArnLike/aws:SourceArn"


def test_variables_in_2008_resource_are_reported_on_the_statement() -> None:
    document = doc(stmt(Resource="arn:aws:s3:::b/${aws:username}"), version="2008-10-17")
    assert only(document, "VARIABLE_UNSUPPORTED_IN_VERSION").span.pointer == "/Statement/0"


def test_no_version_finding_in_2012() -> None:
    found = codes(cond({"StringEquals": {"aws:SourceArn": "${aws:PrincipalTag/team}"}}))
    assert "VARIABLE_UNSUPPORTED_IN_VERSION" not in found
    assert "MISSING_VERSION" not in found


@pytest.mark.parametrize(
    ("policy_type", "reported"),
    [
        (PolicyType.IDENTITY, True),
        (PolicyType.BOUNDARY, True),
        (PolicyType.SESSION, True),
        (PolicyType.RESOURCE, False),
    ],
)
def test_id_only_outside_identity_policies(policy_type: PolicyType, reported: bool) -> None:
    document = {**doc(stmt(Principal=None)), "Id": "MyPolicy"}
    assert ("UNSUPPORTED_ID" in codes(document, policy_type)) is reported


def test_iam_sids_are_alphanumeric_and_blocking() -> None:
    document = doc(stmt(Principal=None, Sid="allow-sns"))
    issue = only(document, "UNSUPPORTED_SID", PolicyType.IDENTITY)
    assert issue.blocking and issue.severity is Severity.ERROR


def test_resource_policy_sids_are_lenient() -> None:
    issue = only(doc(stmt(Sid="allow sns")), "UNSUPPORTED_SID")
    assert not issue.blocking and issue.severity is Severity.WARNING


def test_sid_uniqueness() -> None:
    twice = doc(stmt(Sid="A", Principal=None), stmt(Sid="A", Principal=None))
    assert "UNIQUE_SIDS_REQUIRED" in codes(twice, PolicyType.IDENTITY)
    resource = doc(stmt(Sid="A"), stmt(Sid="A"))
    assert "UNIQUE_SIDS_RECOMMENDED" in codes(resource)
    assert only(resource, "UNIQUE_SIDS_RECOMMENDED").span.pointer == "/Statement/1"


# --- size quotas (§1.10) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_type", "service", "expected"),
    [
        (PolicyType.IDENTITY, None, SizeLimit(6_144, "chars", True, "S21")),
        (PolicyType.BOUNDARY, None, SizeLimit(6_144, "chars", True, "S21")),
        (PolicyType.TRUST, None, SizeLimit(2_048, "chars", True, "S21")),
        (PolicyType.SCP, None, SizeLimit(10_240, "chars", False, "S28")),
        (PolicyType.RCP, None, SizeLimit(5_120, "chars", False, "S28")),
        (PolicyType.RESOURCE, "s3", SizeLimit(20_480, "bytes", False, "S37")),
        (PolicyType.RESOURCE, "SQS", SizeLimit(8_192, "bytes", False, "S36")),
        (PolicyType.RESOURCE, "kms", SizeLimit(32_768, "bytes", False, "S38")),
        (PolicyType.RESOURCE, "lambda", SizeLimit(20_480, "bytes", False, "S39")),
        (PolicyType.RESOURCE, "sns", None),
        (PolicyType.RESOURCE, None, None),
        (PolicyType.VPC_ENDPOINT, None, None),
    ],
)
def test_size_limits(
    policy_type: PolicyType, service: str | None, expected: SizeLimit | None
) -> None:
    assert size_limit(policy_type, service) == expected


def test_measure_counts_whitespace_and_bytes_as_defined() -> None:
    text = '{ "a" :\n\t"é" }'
    assert measure(text, SizeLimit(10, "chars", True, "S21")) == 9
    assert measure(text, SizeLimit(10, "chars", False, "S28")) == len(text)
    assert measure(text, SizeLimit(10, "bytes", False, "S37")) == len(text) + 1


def _padded(policy_type: PolicyType, size: int, *, spaces: int = 0) -> tuple[dict[str, Any], str]:
    statement: dict[str, Any] = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    if policy_type is PolicyType.RCP:
        statement["Principal"] = "*"
    document = doc({**statement, "Sid": "x"})
    base = len(json.dumps(document, separators=(",", ":")))
    statement["Sid"] = "x" * (size - base + 1)
    document = doc(statement)
    text = json.dumps(document, separators=(",", ":"))
    return document, text.replace(",", "," + " " * spaces)


@pytest.mark.parametrize(
    ("policy_type", "limit", "code"),
    [
        (PolicyType.SCP, 10_240, "POLICY_SIZE_EXCEEDS_SCP_QUOTA"),
        (PolicyType.RCP, 5_120, "POLICY_SIZE_EXCEEDS_RCP_QUOTA"),
        (PolicyType.IDENTITY, 6_144, "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA"),
    ],
)
def test_size_quota(policy_type: PolicyType, limit: int, code: str) -> None:
    at_limit, text = _padded(policy_type, limit)
    assert len(text) == limit
    assert code not in codes(at_limit, policy_type, text=text)
    over, text = _padded(policy_type, limit + 1)
    assert code in codes(over, policy_type, text=text)
    assert code not in codes(over, policy_type)  # no text, no measurement


def test_identity_quota_ignores_whitespace_but_scp_does_not() -> None:
    document, text = _padded(PolicyType.IDENTITY, 6_000, spaces=200)
    assert len(text) > 6_144
    assert "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA" not in codes(
        document, PolicyType.IDENTITY, text=text
    )
    document, text = _padded(PolicyType.SCP, 10_000, spaces=200)
    assert "POLICY_SIZE_EXCEEDS_SCP_QUOTA" in codes(document, PolicyType.SCP, text=text)


def test_resource_quota_depends_on_service() -> None:
    document = doc(stmt())
    text = json.dumps(document) + " " * 8_200
    assert "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA" in codes(document, text=text, service="sqs")
    assert "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA" not in codes(
        document, text=text, service="s3"
    )
    assert "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA" not in codes(document, text=text)


# --- principals (§1.6, §1.12) -------------------------------------------------------------


@pytest.mark.parametrize("policy_type", [PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.RCP])
def test_principal_required(policy_type: PolicyType) -> None:
    issue = only(doc(stmt(Principal=None)), "MISSING_PRINCIPAL", policy_type)
    assert issue.blocking and issue.span.pointer == "/Statement/0"


@pytest.mark.parametrize(
    ("policy_type", "code"),
    [
        (PolicyType.IDENTITY, "UNSUPPORTED_PRINCIPAL"),
        (PolicyType.BOUNDARY, "UNSUPPORTED_PRINCIPAL"),
        (PolicyType.SESSION, "UNSUPPORTED_PRINCIPAL"),
        (PolicyType.SCP, "SCP_SYNTAX_ERROR_PRINCIPAL"),
    ],
)
def test_principal_forbidden(policy_type: PolicyType, code: str) -> None:
    issue = only(doc(stmt()), code, policy_type)
    assert issue.blocking and issue.span.pointer == "/Statement/0/Principal"
    not_principal = doc(stmt(Effect="Deny", Principal=None, NotPrincipal=SNS))
    assert only(not_principal, code, policy_type).span.pointer == "/Statement/0/NotPrincipal"


@pytest.mark.parametrize(
    ("policy_type", "code"),
    [
        (PolicyType.TRUST, "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL"),
        (PolicyType.RCP, "RCP_SYNTAX_ERROR_PRINCIPAL"),
    ],
)
def test_not_principal_forbidden(policy_type: PolicyType, code: str) -> None:
    document = doc(stmt(Effect="Deny", Principal=None, NotPrincipal=SNS))
    assert only(document, code, policy_type).blocking


def test_deny_with_not_principal_is_fine_in_resource_policies() -> None:
    document = doc(stmt(Effect="Deny", Principal=None, NotPrincipal=SNS))
    assert not {"NOT_PRINCIPAL_REQUIRES_DENY", "ALLOW_WITH_NOT_PRINCIPAL"} & codes(document)


def test_allow_with_not_principal() -> None:
    document = doc(stmt(Principal=None, NotPrincipal=SNS))
    error = only(document, "NOT_PRINCIPAL_REQUIRES_DENY")
    warning = only(document, "ALLOW_WITH_NOT_PRINCIPAL")
    # Reported, but not blocking: the meaning is well defined (everyone not listed, S14) and the
    # analyzer's DG013 counterexample must replay in simulate.
    assert not error.blocking and error.severity is Severity.ERROR
    assert warning.severity is Severity.SECURITY_WARNING and not warning.blocking
    assert error.span.pointer == "/Statement/0/NotPrincipal"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("arn:aws:iam::111122223333:user/*", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
        ("arn:aws:iam::11112222333?:root", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
        ("12345", "INVALID_PRINCIPAL_FORMAT"),
        ("arn:aws:s3:::bucket", "INVALID_PRINCIPAL_FORMAT"),
        ("arn:aws:iam::12345:root", "INVALID_PRINCIPAL_FORMAT"),
        ("arn:aws:iam:", "INVALID_PRINCIPAL_FORMAT"),
        ("AROAEXAMPLEEXAMPLE1234", "INVALID_ROLE_REFERENCE"),
        ("AIDAEXAMPLEEXAMPLE1234", "INVALID_USER_REFERENCE"),
    ],
)
def test_bad_aws_principals(value: str, code: str) -> None:
    issue = only(doc(stmt(Principal={"AWS": value})), code)
    assert issue.span.pointer == "/Statement/0/Principal"
    assert issue.blocking is CODES[code].blocking


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "111122223333",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/path/Demo",
        "arn:aws:sts::111122223333:assumed-role/Demo/session",
        "arn:aws-cn:iam::111122223333:user/carlos",
        "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE",
    ],
)
def test_good_aws_principals(value: str) -> None:
    found = codes(doc(stmt(Principal={"AWS": value})))
    assert not found & {"UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "INVALID_PRINCIPAL_FORMAT"}


@pytest.mark.parametrize(
    ("value", "code", "blocking"),
    [
        ("*", "SERVICE_PRINCIPAL_WILDCARD", True),
        ("*.amazonaws.com", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", True),
        ("Cloudtrail.amazonaws.com", "INVALID_SERVICE_PRINCIPAL_FORMAT", False),
        ("cloudtrail", "INVALID_SERVICE_PRINCIPAL_FORMAT", False),
    ],
)
def test_bad_service_principals(value: str, code: str, blocking: bool) -> None:
    issue = only(doc(stmt(Principal={"Service": value})), code)
    assert issue.blocking is blocking


@pytest.mark.parametrize(
    "value", ["s3.ap-east-1.amazonaws.com", "delivery.logs.amazonaws.com", "ec2.amazonaws.com.cn"]
)
def test_good_service_principals(value: str) -> None:
    found = codes(doc(stmt(Principal={"Service": [value]})))
    assert not found & {"INVALID_SERVICE_PRINCIPAL_FORMAT", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"}


def test_federated_only_in_trust_policies() -> None:
    saml = {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}
    document = doc(stmt(Principal=saml, Action="sts:AssumeRoleWithSAML", Resource=None))
    assert only(document, "FEDERATED_PRINCIPAL_NOT_SUPPORTED", PolicyType.RESOURCE).blocking
    assert "FEDERATED_PRINCIPAL_NOT_SUPPORTED" not in codes(document, PolicyType.TRUST)
    assert "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY" not in codes(
        document, PolicyType.TRUST
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("cognito-identity.amazonaws.com", None),
        ("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", None),
        (
            "arn:aws:iam::111122223333:role/NotAProvider",
            "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY",
        ),
        ("not a domain", "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY"),
        ("arn:aws:iam::*:saml-provider/x", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
    ],
)
def test_federated_formats(value: str, code: str | None) -> None:
    document = doc(stmt(Principal={"Federated": value}, Action="sts:AssumeRoleWithWebIdentity"))
    found = codes(document, PolicyType.TRUST) & {
        "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY",
        "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
    }
    assert found == ({code} if code else set())


def test_canonical_user_only_for_s3() -> None:
    document = doc(stmt(Principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}))
    assert "CANONICAL_USER_NOT_SUPPORTED" in codes(document, service="sqs")
    assert "CANONICAL_USER_NOT_SUPPORTED" not in codes(document, service="s3")
    assert "CANONICAL_USER_NOT_SUPPORTED" not in codes(document)


@pytest.mark.parametrize(
    ("principal", "condition", "effect", "policy_type", "reported"),
    [
        (SNS, None, "Allow", PolicyType.RESOURCE, True),
        (SNS, {"Null": {"aws:SourceArn": "false"}}, "Allow", PolicyType.RESOURCE, False),
        (
            SNS,
            {"StringEquals": {"AWS:SOURCEORGID": "o-aaaaaaaaaa"}},
            "Allow",
            PolicyType.RESOURCE,
            False,
        ),
        (SNS, {"Bool": {"aws:SecureTransport": "true"}}, "Allow", PolicyType.RESOURCE, True),
        ("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a"}}, "Allow", PolicyType.RESOURCE, True),
        (SNS, None, "Deny", PolicyType.RESOURCE, False),
        (SNS, None, "Allow", PolicyType.TRUST, True),
        ({"AWS": "111122223333"}, None, "Allow", PolicyType.RESOURCE, False),
    ],
)
def test_restrict_access_to_service_principal(
    principal: Any, condition: Any, effect: str, policy_type: PolicyType, reported: bool
) -> None:
    document = doc(stmt(Principal=principal, Condition=condition, Effect=effect))
    found = [
        i
        for i in validate(document, policy_type)
        if i.code == "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL"
    ]
    assert bool(found) is reported
    if found:
        assert found[0].severity is Severity.SECURITY_WARNING
        assert found[0].span.pointer == "/Statement/0/Principal"


# --- actions and resources (§1.7, §1.8, §7) -------------------------------------------------


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("*", None),
        ("sqs:SendMessage", None),
        ("SQS:sendmessage", None),
        ("sqs:Send*", None),
        ("s?s:SendMessage", None),
        ("sqs", "INVALID_ACTION"),
        ("sqs:", "INVALID_ACTION"),
        ("sqs:SendMesage", "INVALID_ACTION"),
        ("sqss:SendMessage", "INVALID_SERVICE_IN_ACTION"),
    ],
)
def test_actions(action: str, code: str | None) -> None:
    found = codes(doc(stmt(Action=action))) & {"INVALID_ACTION", "INVALID_SERVICE_IN_ACTION"}
    assert found == ({code} if code else set())
    if code:
        assert not only(doc(stmt(NotAction=action, Action=None)), code).blocking


@pytest.mark.parametrize(
    ("policy_type", "reported"),
    [
        (PolicyType.RESOURCE, True),
        (PolicyType.IDENTITY, True),
        (PolicyType.SCP, True),
        (PolicyType.RCP, True),
        (PolicyType.TRUST, False),
    ],
)
def test_missing_resource(policy_type: PolicyType, reported: bool) -> None:
    principal: Any = "*" if policy_type is PolicyType.RCP else SNS
    if policy_type in (PolicyType.IDENTITY, PolicyType.SCP):
        principal = None
    document = doc(stmt(Resource=None, Principal=principal, Effect="Deny"))
    assert ("MISSING_RESOURCE" in codes(document, policy_type)) is reported


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("*", None),
        ("arn:aws:sqs:*:*:q", None),
        ("arn:aws:s3:::bucket/*/test/*", None),
        ("arn:aws:sqs:us-east-?:1111*:q", None),
        ("bucket", "INVALID_ARN_PREFIX"),
        ("arn:aws:sqs", "MISSING_ARN_FIELD"),
        ("arn:*:s3:::bucket", "INVALID_PARTITION"),
        ("arn:aws:s*:::bucket", "INVALID_ARN_SERVICE"),
        ("arn:aws:S3:::bucket", "INVALID_ARN_SERVICE_CASE"),
        ("arn:aws:sqs:us-east-1:12x:q", "INVALID_ARN_ACCOUNT"),
    ],
)
def test_resource_arns(resource: str, code: str | None) -> None:
    arn_codes = {c for c in CODES if "ARN" in c or c == "INVALID_PARTITION"}
    found = codes(doc(stmt(Resource=[resource]))) & arn_codes
    assert found == ({code} if code else set())
    if code:
        issue = only(doc(stmt(NotResource=resource, Resource=None)), code)
        assert not issue.blocking and issue.span.pointer == "/Statement/0"


def test_short_arns_are_completed_in_identity_policies() -> None:
    document = doc(stmt(Principal=None, Resource="arn:aws:sqs"))
    completed = only(document, "MISSING_ARN_FIELD", PolicyType.IDENTITY)
    assert completed.severity is Severity.WARNING and "completes" in completed.message
    refused = only(document, "MISSING_ARN_FIELD", PolicyType.SESSION)
    assert refused.severity is Severity.ERROR


def test_resource_variables_only_in_the_resource_part() -> None:
    good = doc(stmt(Resource="arn:aws:s3:::bucket/${aws:username}/*"))
    assert not codes(good) & {"VARIABLE_UNSUPPORTED_IN_ELEMENT", "INVALID_ARN_ACCOUNT"}
    bad = doc(stmt(Resource="arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:inbox"))
    assert only(bad, "VARIABLE_UNSUPPORTED_IN_ELEMENT").span.pointer == "/Statement/0"
    legacy = doc(stmt(Resource="arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:inbox"), version=None)
    assert "VARIABLE_UNSUPPORTED_IN_ELEMENT" not in codes(legacy)


def test_variables_not_in_action_or_principal() -> None:
    document = doc(stmt(Action="sqs:${aws:username}", Principal={"AWS": "${aws:PrincipalAccount}"}))
    pointers = {
        i.span.pointer for i in validate(document) if i.code == "VARIABLE_UNSUPPORTED_IN_ELEMENT"
    }
    assert pointers == {"/Statement/0", "/Statement/0/Principal"}


@pytest.mark.parametrize(
    ("action", "reported"),
    [
        ("iam:Get*", False),
        ("*", False),
        ("iam:*Role", True),
        ("*:Get*", True),
        ("s3:Get?bject", True),
    ],
)
def test_scp_action_wildcards_only_at_the_end(action: str, reported: bool) -> None:
    for element in ("Action", "NotAction"):
        document = doc({"Effect": "Deny", element: action, "Resource": "*"})
        found = [
            i
            for i in validate(document, PolicyType.SCP)
            if i.code == "SCP_SYNTAX_ERROR_ACTION_WILDCARD"
        ]
        assert bool(found) is reported
        assert all(i.blocking for i in found)


# --- RCP syntax (§5.4) --------------------------------------------------------------------


def _rcp(**members: Any) -> dict[str, Any]:
    statement = {**RCP_ORG["Statement"][0], **members}
    return doc({k: v for k, v in statement.items() if v is not None})


def test_rcp_version_must_be_2012() -> None:
    document = {**_rcp(), "Version": "2008-10-17"}
    issue = only(document, "RCP_SYNTAX_ERROR_VERSION", PolicyType.RCP)
    assert issue.blocking and issue.span.pointer == "/Version"
    assert "RCP_SYNTAX_ERROR_VERSION" in codes(
        doc(RCP_ORG["Statement"][0], version=None), PolicyType.RCP
    )


@pytest.mark.parametrize(
    "members",
    [
        {"Effect": "Allow"},
        {"Effect": "Allow", "Condition": None, "Action": "s3:*"},
        {"Effect": "Allow", "Condition": None, "Action": "*", "Resource": "arn:aws:s3:::b/*"},
    ],
)
def test_rcp_allow_only_as_full_access(members: dict[str, Any]) -> None:
    assert only(_rcp(**members), "RCP_SYNTAX_ERROR_ALLOW", PolicyType.RCP).blocking


@pytest.mark.parametrize(
    "principal", [{"AWS": "111122223333"}, SNS, {"AWS": ["*", "111122223333"]}]
)
def test_rcp_principal_must_be_star(principal: Any) -> None:
    issue = only(_rcp(Principal=principal), "RCP_SYNTAX_ERROR_PRINCIPAL", PolicyType.RCP)
    assert issue.blocking and issue.span.pointer == "/Statement/0/Principal"


def test_rcp_not_action() -> None:
    document = _rcp(Action=None, NotAction="s3:GetObject")
    assert only(document, "RCP_SYNTAX_ERROR_NOTACTION", PolicyType.RCP).blocking


@pytest.mark.parametrize(
    ("action", "reported"),
    [
        ("*", True),
        ("sns:Publish", True),
        ("*:GetObject", True),
        ("s3:Get*", False),
        ("kms:*", False),
    ],
)
def test_rcp_actions_name_supported_services(action: str, reported: bool) -> None:
    found = codes(_rcp(Action=action), PolicyType.RCP)
    assert ("RCP_SYNTAX_ERROR_ACTION" in found) is reported


def test_rcp_resource_or_not_resource() -> None:
    assert "MISSING_RESOURCE" in codes(_rcp(Resource=None), PolicyType.RCP)
    assert "MISSING_RESOURCE" not in codes(
        _rcp(Resource=None, NotResource="arn:aws:s3:::b/*"), PolicyType.RCP
    )


def test_rcp_companion_keys() -> None:
    bare = _rcp(Condition={"StringNotEqualsIfExists": {"aws:SourceOrgID": "o-xxxxxxxxxx"}})
    found = codes(bare, PolicyType.RCP)
    assert {
        "RCP_MISSING_RELATED_SERVICE_PRINCIPAL_CONDITION_KEY",
        "RCP_MISSING_SERVICE_CONDITION_KEY_NULL_CHECK",
    } <= found
    principal = _rcp(Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-xxxxxxxxxx"}})
    assert "RCP_MISSING_RELATED_PRINCIPAL_CONDITION_KEY" in codes(principal, PolicyType.RCP)
    perimeter = _rcp(
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-xxxxxxxxxx"},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        }
    )
    assert not any(c.startswith("RCP_MISSING") for c in codes(perimeter, PolicyType.RCP))


# --- conditions (§1.9, §2, §3, §6.3) ------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "code"),
    [("StringEqualz", "INVALID_CONDITION_OPERATOR"), ("NullIfExists", "NULL_WITH_IF_EXISTS")],
)
def test_bad_operators_block(operator: str, code: str) -> None:
    issue = only(cond({operator: {"aws:SourceArn": "true"}}), code)
    assert issue.blocking
    assert issue.span.pointer == f"/Statement/0/Condition/{operator}/aws:SourceArn"


def test_bad_operator_reported_once_per_statement() -> None:
    document = cond({"Bogus": {"aws:SourceArn": "a", "aws:SourceAccount": "b"}})
    assert len([i for i in validate(document) if i.code == "INVALID_CONDITION_OPERATOR"]) == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("aws:SourceAcount", "INVALID_GLOBAL_CONDITION_KEY"),
        ("aws:ARN", "UNSUPPORTED_GLOBAL_CONDITION_KEY"),
        ("aws:PrincipalTag", "MISSING_TAG_KEY_IN_CONDITION"),
        ("aws:ResourceTag/", "MISSING_TAG_KEY_IN_CONDITION"),
        ("SourceAccount", "INVALID_CONDITION_KEY_FORMAT"),
        ("AWS:SOURCEACCOUNT", None),
        ("aws:PrincipalTag/team", None),
        ("s3:prefix", None),
    ],
)
def test_condition_keys(key: str, code: str | None) -> None:
    key_codes = {
        "INVALID_GLOBAL_CONDITION_KEY",
        "UNSUPPORTED_GLOBAL_CONDITION_KEY",
        "MISSING_TAG_KEY_IN_CONDITION",
        "INVALID_CONDITION_KEY_FORMAT",
    }
    found = codes(cond({"StringEquals": {key: "x", "aws:SourceAccount": "444455556666"}}))
    assert found & key_codes == ({code} if code else set())


def test_duplicate_keys_with_different_case() -> None:
    document = cond(
        {"StringEquals": {"aws:SourceAccount": "444455556666", "AWS:SourceAccount": "1"}}
    )
    issue = only(document, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE")
    assert issue.span.pointer == "/Statement/0/Condition/StringEquals/AWS:SourceAccount"
    across = cond(
        {"StringEquals": {"aws:SourceAccount": "1"}, "StringLike": {"AWS:SourceAccount": "2"}}
    )
    assert "DUPLICATE_KEYS_WITH_DIFFERENT_CASE" not in codes(across)


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({"StringLike": {"aws:SourceOrgPaths": "o-aaaaaaaaaa/*"}}, "MISSING_QUALIFIER"),
        ({"StringEquals": {"aws:TagKeys": "a"}}, "MISSING_QUALIFIER"),
        ({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": "o-aaaaaaaaaa/*"}}, None),
        ({"Null": {"aws:SourceOrgPaths": "false"}}, None),
        (
            {"ForAllValues:StringEquals": {"aws:SourceAccount": "1"}},
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
        ),
        ({"ForAnyValue:StringEquals": {"aws:SourceAccount": "1"}}, None),
        ({"ForAllValues:StringEquals": {"unknown:key": "1"}}, None),
    ],
)
def test_set_operators(condition: dict[str, Any], code: str | None) -> None:
    relevant = {"MISSING_QUALIFIER", "FORALLVALUES_WITH_SINGLE_VALUED_KEY"}
    issues = [i for i in validate(cond(condition)) if i.code in relevant]
    assert {i.code for i in issues} == ({code} if code else set())
    for issue in issues:
        assert not issue.blocking
        assert issue.severity is CODES[issue.code].severity


def test_multiple_booleans() -> None:
    document = cond({"Bool": {"aws:PrincipalIsAWSService": ["true", "false"]}})
    assert not only(document, "INVALID_CONDITION_MULTIPLE_BOOLEAN").blocking


@pytest.mark.parametrize(
    ("value", "reported"),
    [(True, False), ("false", False), ("yes", True), (1, True), ("True", True)],
)
def test_boolean_values(value: Any, reported: bool) -> None:
    for operator in ("Bool", "Null"):
        document = cond({operator: {"aws:SecureTransport": value}, **GUARD})
        assert ("TYPE_MISMATCH_BOOLEAN" in codes(document)) is reported


def test_capitalised_boolean_says_unconfirmed() -> None:
    issue = only(cond({"Null": {"aws:SourceArn": "False"}, **GUARD}), "TYPE_MISMATCH_BOOLEAN")
    assert "UNCONFIRMED" in issue.message


@pytest.mark.parametrize(
    ("operator", "value", "code"),
    [
        ("DateGreaterThan", "2020-01-01T00:00:00Z", None),
        ("DateGreaterThan", "1997-07-16T19:20:30.45+01:00", None),
        ("DateLessThan", "2020", None),
        ("DateGreaterThan", "1577836800", "INVALID_DATE_VALUE"),
        ("DateGreaterThan", 1577836800, "INVALID_DATE_VALUE"),
        ("DateGreaterThan", "yesterday", "TYPE_MISMATCH_DATE"),
        ("NumericLessThan", "10", None),
        ("NumericLessThan", 1.5, None),
        ("NumericLessThan", "ten", "TYPE_MISMATCH_NUMBER"),
        ("NumericLessThan", True, "TYPE_MISMATCH_NUMBER"),
        ("IpAddress", "203.0.113.5", None),
        ("NotIpAddress", "2001:db8::/32", None),
        ("IpAddress", "203.0.113.0/40", "TYPE_MISMATCH_IP_RANGE"),
        ("BinaryEquals", "QmluYXJ5", None),
        ("BinaryEquals", "***", "TYPE_MISMATCH_STRING"),
    ],
)
def test_value_types(operator: str, value: Any, code: str | None) -> None:
    type_codes = {c for c in CODES if c.startswith("TYPE_MISMATCH")} | {"INVALID_DATE_VALUE"}
    found = codes(cond({operator: {"aws:CurrentTime": value}, **GUARD})) & type_codes
    assert found == ({code} if code else set())


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({"StringLike": {"aws:SourceAccount": "4444*"}}, "WILDCARD_USAGE_TOO_PERMISSIVE"),
        ({"StringNotLike": {"aws:SourceOrgID": "o-?aaaaaaaaa"}}, "WILDCARD_USAGE_TOO_PERMISSIVE"),
        ({"StringEquals": {"aws:SourceAccount": "4444*"}}, "WILDCARD_WITHOUT_LIKE_OPERATOR"),
        (
            {"StringEqualsIgnoreCase": {"aws:PrincipalTag/x": "a?"}},
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
        ),
        ({"StringLike": {"aws:PrincipalTag/x": "team-*"}}, None),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:444455556666:*"}}, None),
        ({"StringEquals": {"aws:SourceAccount": "4444${*}"}}, None),
    ],
)
def test_wildcards(condition: dict[str, Any], code: str | None) -> None:
    relevant = {"WILDCARD_USAGE_TOO_PERMISSIVE", "WILDCARD_WITHOUT_LIKE_OPERATOR"}
    found = codes(cond(condition)) & relevant
    assert found == ({code} if code else set())


def test_literal_star_escape_counts_as_wildcard_in_2008() -> None:
    document = doc(
        stmt(Condition={"StringEquals": {"aws:SourceAccount": "4444${*}"}}), version=None
    )
    assert "WILDCARD_WITHOUT_LIKE_OPERATOR" in codes(document)


@pytest.mark.parametrize(
    ("operator", "reported", "suggestion"),
    [
        ("StringLike", True, "ArnLike"),
        ("StringNotLikeIfExists", True, "ArnNotLike"),
        ("ForAnyValue:StringLike", True, "ArnLike"),
        ("StringEquals", False, ""),
        ("ArnLike", False, ""),
    ],
)
def test_string_like_on_arn_keys(operator: str, reported: bool, suggestion: str) -> None:
    document = cond({operator: {"aws:SourceArn": "arn:aws:sns:*:444455556666:*"}})
    found = [
        i for i in validate(document) if i.code == "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS"
    ]
    assert bool(found) is reported
    if found:
        assert found[0].severity is Severity.SECURITY_WARNING
        assert f"use {suggestion} " in found[0].message


# --- policy variables (§4) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("${aws:username", "MISSING_BRACE_IN_VARIABLE"),
        ("${a${aws:username}", "MISSING_BRACE_IN_VARIABLE"),
        ("x-${}", "EMPTY_VARIABLE"),
        ("${ , 'x'}", "EMPTY_VARIABLE"),
        ("${ aws:username}", "UNSUPPORTED_SPACE_IN_VARIABLE"),
        ("${aws:PrincipalTag/team , 'x'}", "UNSUPPORTED_SPACE_IN_VARIABLE"),
        ("${aws:PrincipalTag/team, company}", "MISSING_QUOTE_IN_VARIABLE"),
        ("${aws:PrincipalTag/team, 'company}", "MISSING_QUOTE_IN_VARIABLE"),
        ("${aws:PrincipalTag/team, 'company-wide'}", None),
        ("${aws:PrincipalTag/team, 'two words'}", None),
        ("${*}${?}${$}", None),
        ("plain", None),
    ],
)
def test_variable_syntax(value: str, code: str | None) -> None:
    syntax = {"MISSING_BRACE_IN_VARIABLE", "EMPTY_VARIABLE", "UNSUPPORTED_SPACE_IN_VARIABLE"}
    syntax |= {"MISSING_QUOTE_IN_VARIABLE"}
    in_condition = codes(cond({"StringEquals": {"aws:PrincipalTag/x": value}, **GUARD})) & syntax
    assert in_condition == ({code} if code else set())
    in_resource = codes(doc(stmt(Resource=f"arn:aws:s3:::bucket/{value}"))) & syntax
    assert in_resource == ({code} if code else set())


def test_variable_scan_is_linear() -> None:
    value = "${" * 50_000 + "}" + "${a}" * 20_000
    started = time.perf_counter()
    found = codes(cond({"StringEquals": {"aws:PrincipalTag/x": value}, **GUARD}))
    assert time.perf_counter() - started < 5
    assert "MISSING_BRACE_IN_VARIABLE" in found


@pytest.mark.parametrize(
    ("operator", "reported"),
    [
        ("NumericLessThan", True),
        ("DateGreaterThan", True),
        ("Bool", True),
        ("IpAddress", True),
        ("BinaryEquals", True),
        ("Null", True),
        ("StringEquals", False),
        ("ArnLike", False),
        ("ForAnyValue:StringLike", False),
    ],
)
def test_variables_only_with_string_and_arn_operators(operator: str, reported: bool) -> None:
    document = cond({operator: {"aws:PrincipalTag/max": "${aws:PrincipalTag/other}"}, **GUARD})
    found = codes(document)
    assert ("INVALID_VARIABLE_FOR_OPERATOR" in found) is reported
    assert not found & {"TYPE_MISMATCH_NUMBER", "TYPE_MISMATCH_DATE", "TYPE_MISMATCH_IP_RANGE"}


def test_multivalued_key_as_variable() -> None:
    in_condition = cond({"StringEquals": {"aws:SourceArn": "${aws:SourceOrgPaths}"}})
    issue = only(in_condition, "MULTIVALUED_KEY_AS_VARIABLE")
    assert not issue.blocking and issue.severity is Severity.ERROR
    in_resource = doc(stmt(Resource="arn:aws:s3:::b/${aws:PrincipalOrgPaths}"))
    assert "MULTIVALUED_KEY_AS_VARIABLE" in codes(in_resource)
    single = cond({"StringEquals": {"aws:SourceArn": "${aws:SourceAccount}"}})
    assert "MULTIVALUED_KEY_AS_VARIABLE" not in codes(single)


@pytest.mark.parametrize(
    ("key", "value", "reported"),
    [
        ("aws:SourceAccount", "${aws:ResourceAccount}", True),
        ("AWS:sourceorgid", "o-${aws:PrincipalTag/org}", True),
        ("aws:SourceAccount", "4444${$}", False),
        ("aws:SourceArn", "arn:aws:sns:us-east-1:${aws:ResourceAccount}:t", False),
    ],
)
def test_variables_on_sensitive_keys(key: str, value: str, reported: bool) -> None:
    found = codes(cond({"StringEquals": {key: value}}))
    assert ("VARIABLE_USAGE_TOO_PERMISSIVE" in found) is reported


# --- positions ----------------------------------------------------------------------------

POSITIONED = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Service": "*"},
      "Action": "sqs:SendMesage",
      "Resource": "arn:aws:sqs:us-east-1:111122223333:inbox",
      "Condition": {
        "StringLike": {"aws:SourceAccount": "4444*"}
      }
    }
  ]
}"""


def test_issues_point_at_the_offending_element() -> None:
    parsed = parse_json(POSITIONED)
    result = parse_policy(parsed.value, positions=parsed.positions)
    assert result.policy is not None
    by_code = {i.code: i.span for i in validate_policy(result.policy, PolicyType.RESOURCE)}
    principal = by_code["SERVICE_PRINCIPAL_WILDCARD"]
    assert (principal.pointer, principal.line, principal.column) == (
        "/Statement/0/Principal",
        6,
        20,
    )
    wildcard = by_code["WILDCARD_USAGE_TOO_PERMISSIVE"]
    assert wildcard.pointer == "/Statement/0/Condition/StringLike/aws:SourceAccount"
    assert (wildcard.line, wildcard.column) == (10, 45)
    action = by_code["INVALID_ACTION"]
    assert (action.pointer, action.line, action.column) == ("/Statement/0", 4, 5)


def _all_vector_policies() -> list[tuple[object, PolicyType]]:
    import json as _json
    from pathlib import Path as _Path

    path = _Path(__file__).resolve().parents[3] / "shared" / "spec" / "vectors.jsonl"
    out: list[tuple[object, PolicyType]] = []
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        vector = _json.loads(line)
        for item in [vector, *vector.get("variants", [])]:
            if "policy" in item:
                out.append((item["policy"], PolicyType(item.get("policy_type") or "resource")))
            for kind, value in (item.get("policies") or {}).items():
                ptype = {
                    "resource": PolicyType.RESOURCE,
                    "identity": PolicyType.IDENTITY,
                    "scps": PolicyType.SCP,
                    "rcps": PolicyType.RCP,
                }.get(kind)
                if ptype is None:
                    continue
                stack = [value]
                while stack:
                    v = stack.pop()
                    if isinstance(v, list):
                        stack.extend(v)
                    elif isinstance(v, dict) and "policies" in v:
                        stack.extend(v["policies"])
                    elif isinstance(v, dict) and "policy" in v and "Statement" not in v:
                        stack.append(v["policy"])
                    elif isinstance(v, dict):
                        out.append((v, ptype))
    return out


def test_blocking_only_finds_exactly_the_blocking_issues() -> None:
    """`blocking_only` runs fewer checks; it must still find every blocking issue."""
    documents = _all_vector_policies()
    if not documents:
        pytest.skip("spec vectors not found")
    extra = [
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "NotPrincipal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                }
            },
            PolicyType.RESOURCE,
        ),
        (
            {
                "Statement": {
                    "Effect": "Deny",
                    "Principal": {"Service": "*"},
                    "Action": "s3:*",
                    "Resource": "*",
                }
            },
            PolicyType.RESOURCE,
        ),
        (
            {"Statement": {"Sid": "a-b", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}},
            PolicyType.IDENTITY,
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"aws:SourceAccount": "1"}},
                }
            },
            PolicyType.SCP,
        ),
    ]
    checked = 0
    for document, _ in [*documents, *extra]:
        result = parse_policy(document)
        if result.policy is None:
            continue
        for ptype in PolicyType:  # every document under every type exercises each rule
            full = {i for i in validate_policy(result.policy, ptype) if i.blocking}
            fast = set(validate_policy(result.policy, ptype, blocking_only=True))
            assert fast == full, (document, ptype)
            checked += 1
    assert checked > 100
