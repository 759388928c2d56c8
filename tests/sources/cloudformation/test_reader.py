"""Reading CloudFormation templates: which policies, their resolved documents, where each part
was written, what stays unknown, and every way a template goes wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.policy.jsontext import Position, parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.sources.cloudformation import looks_like_cloudformation, read_cloudformation
from deputyguard.sources.iac import SYMBOLIC_OWNER, UNKNOWN_PATTERN
from deputyguard.sources.policy_files import PolicySource

DATA = Path(__file__).parents[1] / "data" / "cloudformation"
CORPUS = Path(__file__).parents[2] / "analysis" / "corpus"
OWNER = "111122223333"


def read(
    name: str, *, owner: str = OWNER, policy_type: PolicyType | None = None
) -> tuple[list[PolicySource], list[Any]]:
    path = DATA / name
    return read_cloudformation(
        path, name, path.read_text(encoding="utf-8"), owner=owner, policy_type=policy_type
    )


def read_ok(name: str, **kwargs: Any) -> list[PolicySource]:
    sources, errors = read(name, **kwargs)
    assert errors == []
    return sources


def by_resource(sources: list[PolicySource]) -> dict[str, PolicySource]:
    return {s.resource or "": s for s in sources}


def where(name: str, needle: str, occurrence: int = 1) -> Position:
    """Where the `occurrence`-th `needle` starts in the fixture, as a 1-based line and column."""
    text = (DATA / name).read_text(encoding="utf-8")
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def at(source: PolicySource, inner: str) -> Position:
    return source.positions[source.pointer + inner]


def pointers(value: Any, base: str = "") -> list[str]:
    """Every pointer of a document (and `#key` of every member)."""
    out = [base]
    if isinstance(value, dict):
        for key, member in value.items():
            token = key.replace("~", "~0").replace("/", "~1")
            out.append(f"{base}/{token}#key")
            out.extend(pointers(member, f"{base}/{token}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(pointers(item, f"{base}/{index}"))
    return out


def assert_every_node_located(source: PolicySource) -> None:
    missing = [p for p in pointers(source.document) if source.pointer + p not in source.positions]
    assert missing == []


# -- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('AWSTemplateFormatVersion: "2010-09-09"\n', True),
        ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}', True),
        ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n", True),
        ('{"Resources": {"B": {"Type": "AWS::SNS::Topic"}}}', True),
        ('{"Version": "2012-10-17", "Statement": []}', False),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", False),
        ("Resources:\n  - name: x\n    type: thing\n", False),
    ],
)
def test_looks_like_cloudformation(text: str, expected: bool) -> None:
    assert looks_like_cloudformation(text) is expected


def test_every_fixture_template_is_recognised() -> None:
    for path in [*DATA.glob("*.yaml"), *DATA.glob("*.json"), *(DATA / "corpus").iterdir()]:
        if path.name != "expected.yaml":
            assert looks_like_cloudformation(path.read_text(encoding="utf-8")), path.name


# -- a YAML template with short-form intrinsics ---------------------------------------------------


def test_bucket_policy_yaml_document_and_source_fields() -> None:
    [source] = read_ok("trail_bucket.yaml")
    assert source.pointer == "/Resources/TrailBucketPolicy/Properties/PolicyDocument"
    assert (source.file, source.resource, source.name) == (
        "trail_bucket.yaml",
        "TrailBucketPolicy",
        None,
    )
    assert (source.policy_type, source.owner, source.origin) == (
        PolicyType.RESOURCE,
        OWNER,
        "cloudformation",
    )
    statements = source.document["Statement"]  # type: ignore[index]
    # BucketName is !Sub "${AWS::StackName}-trail-logs": the stack is called "stack".
    assert statements[0]["Resource"] == "arn:aws:s3:::stack-trail-logs"
    assert statements[1]["Resource"] == f"arn:aws:s3:::stack-trail-logs/AWSLogs/{OWNER}/*"
    assert statements[1]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statements[2]["Resource"] == "arn:aws:s3:::stack-trail-logs/prod/*"  # the default
    assert json.loads(source.text) == source.document


def test_parameter_without_default_is_an_unknown_marker_with_its_line() -> None:
    [source] = read_ok("trail_bucket.yaml")
    principal = source.document["Statement"][2]["Principal"]["AWS"]  # type: ignore[index]
    [marker] = UNKNOWN_PATTERN.findall(principal)
    assert principal == f"arn:aws:iam::{marker}:root"  # the known parts stay
    line = where("trail_bucket.yaml", "PeerAccount:").line
    assert dict(source.unknowns) == {
        marker: f"parameter PeerAccount has no default (trail_bucket.yaml line {line})"
    }


def test_yaml_positions_point_at_what_the_user_wrote() -> None:
    name = "trail_bucket.yaml"
    [source] = read_ok(name)
    assert_every_node_located(source)
    assert at(source, "") == where(name, 'Version: "2012')
    assert at(source, "/Statement/0") == where(name, "Sid: AclCheck")
    assert at(source, "/Statement/1") == where(name, "Sid: Write")
    assert at(source, "/Statement/2") == where(name, "Sid: PeerRead")
    assert at(source, "/Statement/1/Principal") == where(name, "{Service: cloudtrail")
    assert at(source, "/Statement/1/Principal/Service#key") == where(name, "Service: cloudtrail", 2)
    condition = "/Statement/1/Condition/StringEquals/s3:x-amz-acl"
    assert at(source, condition + "#key") == where(name, "s3:x-amz-acl")
    assert at(source, condition) == where(name, "bucket-owner-full-control")
    # values built by intrinsics point at the intrinsic
    assert at(source, "/Statement/0/Resource") == where(name, "!GetAtt TrailBucket.Arn")
    assert at(source, "/Statement/2/Principal/AWS") == where(name, '!Sub "arn:${AWS::Partition}')
    assert at(source, "/Statement/2/Resource") == where(name, '!Join ["", [')


def test_parsed_statements_carry_template_lines() -> None:
    [source] = read_ok("trail_bucket.yaml")
    policy = source.parse().policy
    assert policy is not None
    lines = [s.span.line for s in policy.statements]
    assert lines == [
        where("trail_bucket.yaml", f"Sid: {sid}").line for sid in ("AclCheck", "Write", "PeerRead")
    ]
    assert policy.statements[1].span.pointer == source.pointer + "/Statement/1"


# -- a JSON template with long-form intrinsics ----------------------------------------------------


def test_queue_policy_json_resolves_own_stack_resources() -> None:
    [source] = read_ok("queue_policy.json")
    first, second = source.document["Statement"]  # type: ignore[index]
    assert first["Resource"] == f"arn:aws:sqs:us-east-1:{OWNER}:orders"  # QueueName: Ref param
    assert first["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWNER}:orders-events"}
    }
    assert second["Resource"] == f"arn:aws:sqs:us-east-1:{OWNER}:orders"  # Fn::Join of pseudos
    assert source.unknowns == {}


def test_json_positions_are_exactly_the_json_parser_positions() -> None:
    [source] = read_ok("queue_policy.json")
    assert_every_node_located(source)
    exact = parse_json((DATA / "queue_policy.json").read_text()).positions
    literal = [
        "",
        "/Statement/0",
        "/Statement/0/Sid",
        "/Statement/0/Sid#key",
        "/Statement/0/Principal/Service",
        "/Statement/0/Condition/ArnEquals#key",
        "/Statement/0/Condition/ArnEquals/aws:SourceArn#key",
        "/Statement/1/Action",
    ]
    for inner in literal:
        assert at(source, inner) == exact[source.pointer + inner], inner
    # computed values point at the intrinsic object the user wrote
    assert at(source, "/Statement/0/Resource") == exact[source.pointer + "/Statement/0/Resource"]
    ref = source.pointer + "/Statement/0/Condition/ArnEquals/aws:SourceArn"
    assert source.positions[ref] == exact[ref]


# -- conditions, mappings, list parameters --------------------------------------------------------


def test_conditions_mappings_and_list_parameters_with_defaults() -> None:
    sources = by_resource(read_ok("topic_policy.yaml")[:1])
    source = sources["AlarmTopicPolicy"]
    statements = source.document["Statement"]  # type: ignore[index]
    # IsDev is false with the default Stage, so its statement is not deployed
    assert [s["Sid"] for s in statements] == ["FromAlarms", "Partners"]
    topic = f"arn:aws:sns:us-east-1:{OWNER}:stack-alarmtopic"  # no TopicName: symbolic
    assert statements[0]["Resource"] == topic
    assert statements[0]["Condition"] == {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}
    assert statements[1]["Principal"] == {"AWS": ["444455556666", "777788889999"]}
    assert at(source, "/Statement/1") == where("topic_policy.yaml", "Sid: Partners")


def test_undecidable_condition_on_a_statement_gives_one_policy_per_value() -> None:
    name = "topic_policy.yaml"
    audit = [s for s in read_ok(name) if s.resource == "AuditTopicPolicy"]
    assert [s.name for s in audit] == ["HasAudit=true", "HasAudit=false"]
    assert {s.pointer for s in audit} == {"/Resources/AuditTopicPolicy/Properties/PolicyDocument"}
    true, false = audit
    line = where(name, "AuditAccount:").line
    [(marker, reason)] = true.unknowns.items()
    assert reason == f"parameter AuditAccount has no default ({name} line {line})"
    assert true.document["Statement"][0]["Principal"] == {"AWS": marker}  # type: ignore[index]
    assert true.document["Statement"][1]["Principal"] == {  # type: ignore[index]
        "AWS": f"arn:aws:iam::{marker}:root"
    }
    assert false.document["Statement"] == [  # type: ignore[index]
        {
            "Effect": "Allow",
            "Principal": {"AWS": OWNER},
            "Action": "sns:GetTopicAttributes",
            "Resource": f"arn:aws:sns:us-east-1:{OWNER}:stack-alarmtopic",
        }
    ]
    assert false.unknowns == {}
    # the statement chosen by !If points at the branch the user wrote
    dash = where(name, "- Effect: Allow", 2)
    assert at(true, "/Statement/1") == Position(dash.line, dash.column + 2)


def test_condition_variants_scalar_if_ssm_parameters_and_too_many() -> None:
    name = "conditions.yaml"
    sources, errors = read(name)
    assert [s.resource for s in sources] == ["Variants", "Variants"]  # NotCreated: Never is false
    prod, other = sources
    assert (prod.name, other.name) == ("IsProd=true", "IsProd=false")
    ssm_line = where(name, "SourceAccount:").line
    if_line = where(name, "!If [IsEu").line
    assert sorted(prod.unknowns.values()) == [
        f"!If on condition IsEu, which cannot be evaluated before deployment "
        f"({name} line {if_line})",
        f"parameter SourceAccount is read from SSM Parameter Store at deployment "
        f"({name} line {ssm_line})",
    ]
    assert "Condition" not in other.document["Statement"][0]  # type: ignore[index]
    assert at(prod, "/Statement/0/Condition") == where(name, "StringEquals:\n                  aws")
    [error] = errors
    assert error.message.startswith("TooMany: the policy depends on more than 4 combinations")
    assert "IsProd, IsEu, IsGold" in error.message
    assert (error.file, error.line) == (name, where(name, 'Version: "2012-10-17"', 3).line)


# -- the other resource types ---------------------------------------------------------------------


def test_kms_key_policy_and_a_key_without_one() -> None:
    [source] = read_ok("kms_key.yaml")
    assert (source.resource, source.pointer) == (
        "LogsKey",
        "/Resources/LogsKey/Properties/KeyPolicy",
    )
    statement = source.document["Statement"][1]  # type: ignore[index]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{OWNER}:log-group:*"
    }
    assert at(source, "/Statement/1/Action/2") == where("kms_key.yaml", "kms:GenerateDataKey*")


def test_iam_trust_inline_managed_and_attached_policies() -> None:
    sources = read_ok("iam.yaml")
    got = [(s.resource, s.pointer, s.policy_type, s.name) for s in sources]
    assert got == [
        (
            "IncidentRole",
            "/Resources/IncidentRole/Properties/AssumeRolePolicyDocument",
            PolicyType.TRUST,
            None,
        ),
        (
            "IncidentRole",
            "/Resources/IncidentRole/Properties/Policies/0/PolicyDocument",
            PolicyType.IDENTITY,
            "start-engagements",
        ),
        (
            "IncidentRole",
            "/Resources/IncidentRole/Properties/Policies/1/PolicyDocument",
            PolicyType.IDENTITY,
            "critical-reader",
        ),
        (
            "BoundaryLikePolicy",
            "/Resources/BoundaryLikePolicy/Properties/PolicyDocument",
            PolicyType.IDENTITY,
            "read-own-queue",
        ),
        (
            "AttachedPolicy",
            "/Resources/AttachedPolicy/Properties/PolicyDocument",
            PolicyType.IDENTITY,
            "attached",
        ),
    ]
    managed = sources[3].document["Statement"][0]  # type: ignore[index]
    assert managed["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:iam::{OWNER}:role/incident-response"
    )
    assert sources[4].document["Statement"]["Action"] == "s3:ListAllMyBuckets"  # type: ignore[index]
    assert at(sources[2], "/Statement/0/Resource") == where(
        "iam.yaml", '!Sub "arn:aws:ssm-incidents::'
    )


def test_organization_policies_scp_rcp_and_json_string_content() -> None:
    name = "organizations.yaml"
    scp, rcp = read_ok(name)  # the tag policy grants nothing and is not read
    assert (scp.policy_type, scp.name) == (PolicyType.SCP, "deny-s3-from-foreign-sources")
    assert (rcp.policy_type, rcp.pointer) == (
        PolicyType.RCP,
        "/Resources/ConfusedDeputyRcp/Properties/Content",
    )
    statement = rcp.document["Statement"][0]  # type: ignore[index]
    assert statement["Condition"]["Bool"] == {"aws:PrincipalIsAWSService": "true"}
    # positions inside the folded JSON string land where each part was written
    assert at(rcp, "/Statement/0") == where(name, '{"Effect": "Deny"')
    assert at(rcp, "/Statement/0/Action") == where(name, '["s3:*"')
    assert at(rcp, "/Statement/0/Condition/StringNotEqualsIfExists/aws:SourceOrgID") == where(
        name, '"o-a1b2c3d4e5"}'
    )


def test_logs_policy_in_a_literal_block_maps_into_the_block() -> None:
    name = "logs_resource_policy.yaml"
    literal, _ = read_ok(name)
    assert (literal.name, literal.pointer) == (
        "route53-query-logs",
        "/Resources/Route53Logs/Properties/PolicyDocument",
    )
    assert_every_node_located(literal)
    assert at(literal, "") == where(name, "{\n")
    assert at(literal, "/Statement/0") == where(name, '{\n              "Sid"')
    assert at(literal, "/Statement/0/Sid#key") == where(name, '"Sid"')
    assert at(literal, "/Statement/0/Principal/Service") == where(name, '"route53.amazonaws.com"')
    assert at(literal, "/Statement/0/Action/1") == where(name, '"logs:PutLogEvents"')


def test_logs_policy_in_a_sub_block_maps_around_substitutions() -> None:
    name = "logs_resource_policy.yaml"
    _, source = read_ok(name)
    statement = source.document["Statement"][0]  # type: ignore[index]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": OWNER}}
    assert statement["Resource"] == f"arn:aws:logs:us-east-1:{OWNER}:log-group:/aws/events/*"
    assert at(source, "/Statement/0/Principal/Service/1") == where(
        name, '"delivery.logs.amazonaws.com"'
    )
    # after a substitution on the same line the value still starts where it was written
    condition = "/Statement/0/Condition/StringEquals/aws:SourceAccount"
    assert at(source, condition) == where(name, '"${AWS::AccountId}"}}')
    assert at(source, condition + "#key") == where(name, '"aws:SourceAccount"')


def test_logs_policy_in_a_json_template_string_maps_into_the_string() -> None:
    name = "logs_resource_policy.json"
    [source] = read_ok(name)
    assert source.document["Statement"][0]["Action"] == "logs:PutLogEvents"  # type: ignore[index]
    assert at(source, "") == where(name, '{\\"Version')
    assert at(source, "/Statement/0/Principal/Service") == where(name, '\\"route53')
    assert at(source, "/Statement/0/Resource#key") == where(name, '\\"Resource')


def test_secrets_manager_and_ecr_policies() -> None:
    secret, ecr = read_ok("secrets_ecr.yaml")
    assert secret.pointer == "/Resources/DbSecretPolicy/Properties/ResourcePolicy"
    assert secret.document["Statement"][0]["Resource"] == (  # type: ignore[index]
        f"arn:aws:secretsmanager:us-east-1:{OWNER}:secret:db-password-AbCdEf"
    )
    assert ecr.pointer == "/Resources/Images/Properties/RepositoryPolicyText"
    assert ecr.document["Statement"][0]["Sid"] == "LambdaPull"  # type: ignore[index]
    assert at(ecr, "/Statement/0/Principal/Service") == where(
        "secrets_ecr.yaml", '"lambda.amazonaws.com"'
    )


def test_event_bus_policies_statement_and_legacy_forms() -> None:
    name = "eventbus.yaml"
    sources = by_resource(read_ok(name))
    modern = sources["OrgCanPut"]
    assert modern.pointer == "/Resources/OrgCanPut/Properties"
    assert modern.name == "OrgCanPut"
    assert modern.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:us-east-1:{OWNER}:event-bus/orders",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            }
        ],
    }
    assert at(modern, "/Statement/0") == where(name, "Effect: Allow")
    assert at(modern, "/Statement/0/Condition/StringEquals/aws:PrincipalOrgID") == where(
        name, "o-a1b2c3d4e5"
    )
    partner = sources["LegacyPartner"]
    assert partner.document["Statement"] == [  # type: ignore[index]
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:us-east-1:{OWNER}:event-bus/default",
        }
    ]
    assert at(partner, "/Statement/0/Principal/AWS") == where(name, '"444455556666"')
    org = sources["LegacyOrg"]
    assert org.document["Statement"][0]["Condition"] == {  # type: ignore[index]
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    }
    assert at(org, "/Statement/0/Condition") == where(name, "Type: StringEquals")


def test_lambda_permissions_become_the_statement_lambda_writes() -> None:
    name = "lambda_permission.yaml"
    sources = by_resource(read_ok(name))
    function = f"arn:aws:lambda:us-east-1:{OWNER}:function:upload-handler"
    s3 = sources["S3Invoke"]
    assert (s3.pointer, s3.policy_type) == ("/Resources/S3Invoke/Properties", PolicyType.RESOURCE)
    assert s3.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Resource": function,
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::example-uploads"}},
            }
        ],
    }
    assert_every_node_located(s3)
    properties = where(name, "FunctionName: !Ref Handler")
    assert at(s3, "") == properties
    assert at(s3, "/Statement/0") == properties
    assert at(s3, "/Statement/0/Action") == where(name, "lambda:InvokeFunction")
    arn = "/Statement/0/Condition/ArnLike/AWS:SourceArn"
    assert at(s3, arn) == where(name, "!GetAtt Uploads.Arn")
    assert at(s3, arn + "#key") == where(name, "SourceArn: !GetAtt")
    assert "Condition" not in sources["SnsInvoke"].document["Statement"][0]  # type: ignore[index]
    guarded = sources["GuardedInvoke"].document["Statement"][0]  # type: ignore[index]
    assert guarded["Resource"] == function + ":live"
    assert guarded["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": OWNER},
        "ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-east-1:{OWNER}:rule/nightly"},
    }
    public = sources["PublicUrl"].document["Statement"][0]  # type: ignore[index]
    assert public["Principal"] == "*"
    assert public["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    org = sources["OrgInvoke"].document["Statement"][0]  # type: ignore[index]
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_sam_template_reads_plain_resources_only() -> None:
    [source] = read_ok("sam.yaml")
    assert source.resource == "JobsPolicy"
    condition = source.document["Statement"][0]["Condition"]  # type: ignore[index]
    # SAM makes an AWS::Lambda::Function of the same logical id
    assert condition == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:lambda:us-east-1:{OWNER}:function:stack-worker"}
    }


def test_every_intrinsic_function_and_pseudo_parameter() -> None:
    name = "intrinsics.yaml"
    [source] = read_ok(name)
    statement = source.document["Statement"][0]  # type: ignore[index]
    import_marker, azs_marker = sorted(source.unknowns)
    assert statement["Resource"] == [
        OWNER,
        "us-east-1",
        "aws",
        "amazonaws.com",
        "stack",
        f"arn:aws:cloudformation:us-east-1:{OWNER}:stack/stack/00000000-0000-0000-0000-000000000000",
        "${Literal}-us-east-1",
        "beta-8443",
        "a:b:c",
        "aGVsbG8=",
        "east-bucket",
        "fallback",
        f"https://sqs.us-east-1.amazonaws.com/{OWNER}/stack-queue.fifo",
        f"arn:aws:sqs:us-east-1:{OWNER}:stack-queue.fifo",
        f"arn:aws:kms:us-east-1:{OWNER}:key/stack-key",
        f"arn:aws:logs:us-east-1:{OWNER}:log-group:/app/logs:*",
        import_marker,
        azs_marker,
        '{"a":[1,2]}',
        "arn:aws:s3:::stack-x",
    ]  # the AWS::NoValue element is gone
    assert statement["Condition"] == {"NumericEquals": {"aws:MultiFactorAuthAge": 3}}
    assert source.unknowns[import_marker] == (
        f"!ImportValue of 'SharedTopicArn' is only known at deployment "
        f"({name} line {where(name, '!ImportValue').line})"
    )
    assert source.unknowns[azs_marker].startswith("!GetAZs is only known at deployment")
    assert at(source, "/Statement/0/Resource/19") == where(name, "Fn::Sub: arn:")


# -- options --------------------------------------------------------------------------------------


def test_policy_type_flag_overrides_the_resource_type() -> None:
    sources = read_ok("iam.yaml", policy_type=PolicyType.BOUNDARY)
    assert {s.policy_type for s in sources} == {PolicyType.BOUNDARY}


def test_symbolic_owner_stands_for_the_deploying_account() -> None:
    [source] = read_ok("queue_policy.json", owner=SYMBOLIC_OWNER)
    assert source.owner == SYMBOLIC_OWNER
    assert source.document["Statement"][0]["Resource"] == (  # type: ignore[index]
        f"arn:aws:sqs:us-east-1:{SYMBOLIC_OWNER}:orders"
    )


# -- bad input ------------------------------------------------------------------------------------


def test_invalid_yaml_is_one_error_with_its_line() -> None:
    sources, [error] = read("invalid.yaml")
    assert sources == []
    assert error.file == "invalid.yaml"
    assert error.message == "invalid YAML: did not find expected ',' or ']'"
    assert (error.line, error.column) == (7, 11)


def test_unknown_intrinsics_are_errors_and_other_policies_survive() -> None:
    name = "unknown_intrinsic.yaml"
    sources, errors = read(name)
    assert [s.resource for s in sources] == ["GoodPolicy"]
    tag = where(name, "!Foo")
    function = where(name, "Fn::Frobnicate")
    assert [(e.message, e.line, e.column) for e in errors] == [
        ("unknown intrinsic function !Foo", tag.line, tag.column),
        ("unknown intrinsic function Fn::Frobnicate", function.line, function.column),
    ]


def test_template_mistakes_name_the_resource_and_the_line() -> None:
    name = "errors.yaml"
    sources, errors = read(name)
    assert [s.resource for s in sources] == ["NotModelled", "Fine"]
    got = [(e.message, e.line) for e in errors]
    assert got == [
        (
            "UndefinedRef: Ref to 'NoSuchThing', which is neither a parameter nor a resource of "
            "this template",
            where(name, "!Ref NoSuchThing").line,
        ),
        ("WrongArity: !Join takes a list of 2 arguments", where(name, '!Join ["", "not"').line),
        (
            "AWS::S3::BucketPolicy NoDocument has no PolicyDocument",
            where(name, "Bucket: logs", 3).line,
        ),
        (
            "BadJsonString: invalid JSON in the PolicyDocument string: expected a string key "
            "after ','",
            where(name, ',, "Action"').line,
        ),
    ]
    assert errors[3].column == where(name, ',, "Action"').column + 1
    [reason] = sources[0].unknowns.values()
    assert reason == (
        f"Fn::GetAtt Arn of AWS::Pipes::Pipe resource Pipe is not modelled ({name} line "
        f"{where(name, '!GetAtt Pipe.Arn').line})"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "not a CloudFormation template: the file does not hold a mapping"),
        ('AWSTemplateFormatVersion: "2010-09-09"\n', "the template has no Resources section"),
        ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": [}', "invalid JSON"),
        (
            "AWSTemplateFormatVersion: x\nResources:\n  A: {Properties: {}}\n",
            "resource A has no Type",
        ),
    ],
)
def test_malformed_templates_are_input_errors(text: str, message: str) -> None:
    sources, errors = read_cloudformation("t.yaml", "t.yaml", text, owner=OWNER)
    assert sources == []
    assert len(errors) == 1
    assert errors[0].message.startswith(message)


def test_duplicate_keys_and_aliases_are_reported_and_reading_continues() -> None:
    text = (
        "AWSTemplateFormatVersion: x\n"
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::SNS::TopicPolicy\n"
        "    Properties:\n"
        "      Topics: [t]\n"
        "      PolicyDocument: &doc\n"
        "        Version: '2012-10-17'\n"
        "        Statement: []\n"
        "        Statement: [{Effect: Allow, Action: 'sns:Publish', Resource: '*'}]\n"
        "  Q:\n"
        "    Type: AWS::SNS::TopicPolicy\n"
        "    Properties: {Topics: [t], PolicyDocument: *doc}\n"
    )
    sources, errors = read_cloudformation("t.yaml", "t.yaml", text, owner=OWNER)
    assert [(e.message, e.line) for e in errors] == [
        ("duplicate key 'Statement': the last one is used", 10),
        ("YAML aliases are not supported by CloudFormation", 7),
    ]
    assert [s.resource for s in sources] == ["P", "Q"]
    assert sources[0].document["Statement"][0]["Action"] == "sns:Publish"  # type: ignore[index]


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_hostile_nesting_is_an_error_not_a_crash(depth: int) -> None:
    """libyaml composes flow collections by C recursion: a text this deep must never reach it
    (200,000 levels crash the process); the pure-Python composer reports it cleanly."""
    text = "AWSTemplateFormatVersion: x\nResources:\n  A: " + "[" * depth + "]" * depth + "\n"
    sources, errors = read_cloudformation("t.yaml", "t.yaml", text, owner=OWNER)
    assert sources == []
    assert [(e.file, e.message) for e in errors] == [("t.yaml", "invalid YAML: nested too deeply")]


def test_leading_zero_account_ids_stay_strings() -> None:
    text = (
        "Resources:\n  P:\n    Type: AWS::SNS::TopicPolicy\n    Properties:\n"
        "      Topics: [t]\n      PolicyDocument:\n        Statement:\n"
        "          - {Effect: Allow, Principal: {AWS: 012345678901}, Action: '*', Resource: '*'}\n"
        "          - {Effect: Allow, Principal: {AWS: 111122223333}, Action: '*', Resource: '*'}\n"
    )
    [source], _ = read_cloudformation("t.yaml", "t.yaml", text, owner=OWNER)
    first, second = source.document["Statement"]  # type: ignore[index]
    assert first["Principal"]["AWS"] == "012345678901"
    assert second["Principal"]["AWS"] == 111122223333  # a plain number stays a number


# -- the analyzer corpus, as templates ------------------------------------------------------------

_EXPECTED = yaml.safe_load((DATA / "expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", _EXPECTED["cases"], ids=lambda c: c["file"])
def test_corpus_templates_resolve_to_the_corpus_policies(case: dict[str, Any]) -> None:
    [source] = read_ok(case["file"])
    assert (source.resource, source.pointer, source.policy_type.value) == (
        case["resource"],
        case["pointer"],
        case["policy_type"],
    )
    assert source.document == json.loads((CORPUS / case["corpus_case"]).read_text())
    assert source.unknowns == {}
    assert_every_node_located(source)
    corpus = {c["file"]: c for c in yaml.safe_load((CORPUS / "expected.yaml").read_text())["cases"]}
    assert (case["verdict"], case["rules"]) == (
        corpus[case["corpus_case"]]["verdict"],
        corpus[case["corpus_case"]]["rules"],
    )
    index = case["first_statement"]
    if index is None:
        assert case["first_statement_line"] is None
        return
    statement = at(source, f"/Statement/{index}")
    assert statement.line == case["first_statement_line"]
    line = (DATA / case["file"]).read_text().splitlines()[statement.line - 1]
    assert line.lstrip().startswith(("- ", "{"))  # the statement's own first line


def test_ref_to_a_resource_type_that_is_not_modelled_is_unknown() -> None:
    text = (
        "Resources:\n"
        "  Rule:\n"
        "    Type: AWS::Events::Rule\n"
        "  P:\n"
        "    Type: AWS::SNS::TopicPolicy\n"
        "    Properties:\n"
        "      Topics: [t]\n"
        "      PolicyDocument:\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: {Service: events.amazonaws.com}\n"
        "            Action: sns:Publish\n"
        "            Resource: '*'\n"
        "            Condition:\n"
        "              ArnEquals: {aws:SourceArn: [!Ref Rule, !GetAtt Rule.Arn]}\n"
    )
    [source], errors = read_cloudformation("t.yaml", "t.yaml", text, owner=OWNER)
    assert errors == []
    [marker, arn] = source.document["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]  # type: ignore[index]
    assert arn == f"arn:aws:events:us-east-1:{OWNER}:rule/stack-rule"
    assert dict(source.unknowns) == {
        marker: "Ref to AWS::Events::Rule resource Rule is not modelled (t.yaml line 15)"
    }
