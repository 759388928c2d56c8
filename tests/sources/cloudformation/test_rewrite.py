"""Writing fixed policies back into templates: only the fix changes, comments, quoting and
intrinsics stay, and what cannot be written faithfully is refused with the reason."""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deputyguard.sources.cloudformation import read_cloudformation, rewrite_template
from deputyguard.sources.cloudformation.nodes import load_yaml
from deputyguard.sources.cloudformation.render import yaml_string
from deputyguard.sources.iac import SYMBOLIC_OWNER, UNKNOWN_PATTERN, RewriteError
from deputyguard.sources.policy_files import PolicySource

DATA = Path(__file__).parents[1] / "data" / "cloudformation"
OWNER = "111122223333"

Pick = Callable[[PolicySource], bool]
Mutate = Callable[[Any], None]


def anything(source: PolicySource) -> bool:
    return True


def resource(name: str) -> Pick:
    return lambda source: source.resource == name


def source_of(path: Path, pick: Pick, owner: str = OWNER) -> PolicySource:
    sources, _ = read_cloudformation(path, path.name, path.read_text(encoding="utf-8"), owner=owner)
    return next(s for s in sources if pick(s))


def anonymous(document: Any) -> str:
    return UNKNOWN_PATTERN.sub("?", json.dumps(document, sort_keys=True))


def fix(
    name: str, pick: Pick, mutate: Mutate, *, owner: str = OWNER, exact: bool = True
) -> tuple[str, str, Any]:
    """Rewrite one policy of a fixture; check the result reads back as the fix (`exact`: key for
    key; Lambda writes its own condition key names)."""
    path = DATA / name
    source = source_of(path, pick, owner)
    fixed = copy.deepcopy(source.document)
    mutate(fixed)
    before, after = rewrite_template(path, [(source, fixed)])
    assert before == path.read_text(encoding="utf-8")
    again, _ = read_cloudformation(path, name, after, owner=owner)
    [match] = [s for s in again if (s.pointer, s.name) == (source.pointer, source.name)]
    if exact:
        assert anonymous(match.document) == anonymous(fixed)
    return before, after, match.document


def changed(before: str, after: str) -> list[str]:
    """The lines removed (-) and added (+); every other line is byte-identical."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def comments(text: str) -> list[str]:
    return [
        line[line.index("#") :]
        for line in text.splitlines()
        if " #" in line or line.lstrip().startswith("#")
    ]


def add_condition(index: int, operator: str, key: str, value: Any) -> Mutate:
    def mutate(document: Any) -> None:
        statements = document["Statement"]
        statement = statements[index] if isinstance(statements, list) else statements
        statement.setdefault("Condition", {}).setdefault(operator, {})[key] = value

    return mutate


ACCOUNT_GUARD = add_condition(0, "StringEquals", "aws:SourceAccount", OWNER)


# -- YAML -----------------------------------------------------------------------------------------


def test_new_condition_block_is_written_with_ref_and_the_files_indentation() -> None:
    before, after, _ = fix("trail_bucket.yaml", anything, ACCOUNT_GUARD)
    assert changed(before, after) == [
        "+            Condition:",
        "+              StringEquals:",
        "+                aws:SourceAccount: !Ref AWS::AccountId",
    ]
    assert comments(after) == comments(before)
    lines = after.splitlines()
    assert (
        lines.index("            Condition:")
        == lines.index("            Resource: !GetAtt TrailBucket.Arn") + 1
    )


def test_key_added_to_an_existing_operator_keeps_its_comment() -> None:
    before, after, _ = fix(
        "trail_bucket.yaml", anything, add_condition(1, "StringEquals", "aws:SourceAccount", OWNER)
    )
    assert changed(before, after) == ["+                aws:SourceAccount: !Ref AWS::AccountId"]
    assert "s3:x-amz-acl: bucket-owner-full-control   # required by CloudTrail" in after


def test_symbolic_owner_is_written_as_the_deploying_account() -> None:
    mutate = add_condition(
        0, "ArnLike", "aws:SourceArn", f"arn:aws:cloudtrail:*:{SYMBOLIC_OWNER}:trail/*"
    )
    before, after, _ = fix("trail_bucket.yaml", anything, mutate, owner=SYMBOLIC_OWNER)
    assert changed(before, after) == [
        "+            Condition:",
        "+              ArnLike:",
        "+                aws:SourceArn: !Sub 'arn:aws:cloudtrail:*:${AWS::AccountId}:trail/*'",
    ]


def test_a_value_an_intrinsic_already_yields_reuses_the_intrinsic() -> None:
    def mutate(document: Any) -> None:
        bucket = document["Statement"][0]["Resource"]  # what !GetAtt TrailBucket.Arn gives
        document["Statement"][1]["Condition"]["ArnEquals"] = {"aws:SourceArn": bucket}

    before, after, _ = fix("trail_bucket.yaml", anything, mutate)
    assert changed(before, after) == [
        "+              ArnEquals:",
        "+                aws:SourceArn: !GetAtt TrailBucket.Arn",
    ]


def test_flow_mapping_value_is_edited_in_place() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][1]["Principal"]["Service"] = [
            "cloudtrail.amazonaws.com",
            "config.amazonaws.com",
        ]

    before, after, _ = fix("trail_bucket.yaml", anything, mutate)
    assert changed(before, after) == [
        "-            Principal: {Service: cloudtrail.amazonaws.com}",
        "+            Principal: {Service: [cloudtrail.amazonaws.com, config.amazonaws.com]}",
    ]


def test_list_item_and_condition_removed_other_lines_untouched() -> None:
    def mutate(document: Any) -> None:
        statement = document["Statement"][1]
        statement["Action"].remove("kms:Decrypt*")
        del statement["Condition"]

    before, after, _ = fix("kms_key.yaml", anything, mutate)
    assert changed(before, after) == [
        "-              - kms:Decrypt*",
        "-            Condition:",
        "-              ArnLike:",
        "-                kms:EncryptionContext:aws:logs:arn: !Sub arn:${AWS::Partition}:logs:"
        "${AWS::Region}:${AWS::AccountId}:log-group:*",
    ]


def test_list_item_added_after_its_neighbour() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][1]["Action"].append("kms:Describe*")

    before, after, _ = fix("kms_key.yaml", anything, mutate)
    assert changed(before, after) == ["+              - kms:Describe*"]


def test_new_statement_is_written_as_a_block_item() -> None:
    statement = {
        "Sid": "DenyInsecure",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::x", "arn:aws:s3:::x/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    before, after, _ = fix(
        "trail_bucket.yaml", anything, lambda d: d["Statement"].append(statement)
    )
    assert changed(before, after) == [
        "+          - Sid: DenyInsecure",
        "+            Effect: Deny",
        "+            Principal: '*'",
        "+            Action: s3:*",
        "+            Resource:",
        "+              - arn:aws:s3:::x",
        "+              - arn:aws:s3:::x/*",
        "+            Condition:",
        "+              Bool:",
        "+                aws:SecureTransport: 'false'",
    ]
    assert '"/*"]]\n          - Sid: DenyInsecure\n' in after  # right after the last statement


def test_sub_is_edited_in_its_literal_parts_and_keeps_its_variables() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] = (
            f"arn:aws:ssm-incidents:us-east-1:{OWNER}:response-plan/*"
        )

    before, after, _ = fix("iam.yaml", lambda s: s.policy_type.value == "trust", mutate)
    assert changed(before, after) == [
        '-                aws:SourceArn: !Sub "arn:aws:ssm-incidents:*:${AWS::AccountId}:'
        'response-plan/*"',
        '+                aws:SourceArn: !Sub "arn:aws:ssm-incidents:us-east-1:${AWS::AccountId}:'
        'response-plan/*"',
    ]


def test_statement_written_as_an_object_gains_a_condition() -> None:
    before, after, _ = fix("iam.yaml", resource("AttachedPolicy"), ACCOUNT_GUARD)
    assert changed(before, after) == [
        "+          Condition:",
        "+            StringEquals:",
        "+              aws:SourceAccount: !Ref AWS::AccountId",
    ]


def test_event_bus_statement_property_is_patched_in_place() -> None:
    before, after, _ = fix("eventbus.yaml", resource("OrgCanPut"), ACCOUNT_GUARD)
    assert changed(before, after) == ["+            aws:SourceAccount: !Ref AWS::AccountId"]


# -- JSON -----------------------------------------------------------------------------------------


def test_json_template_gains_a_condition_in_its_own_layout() -> None:
    mutate = add_condition(1, "StringEquals", "aws:SourceAccount", OWNER)
    before, after, _ = fix("queue_policy.json", anything, mutate)
    assert changed(before, after)[0].startswith('-              "Resource": {"Fn::Join"')
    assert changed(before, after)[1:] == [
        changed(before, after)[0].replace("-", "+", 1) + ",",
        '+              "Condition": {',
        '+                "StringEquals": {',
        '+                  "aws:SourceAccount": {"Ref": "AWS::AccountId"}',
        "+                }",
        "+              }",
    ]
    json.loads(after)


def test_json_operator_renamed_keeps_the_ref_it_holds() -> None:
    def mutate(document: Any) -> None:
        condition = document["Statement"][0]["Condition"]
        condition["ArnLike"] = condition.pop("ArnEquals")

    before, after, _ = fix("queue_policy.json", anything, mutate)
    assert changed(before, after) == [
        '-                "ArnEquals": {',
        '+                "ArnLike": {',
    ]


def test_two_policies_of_one_file_fixed_together() -> None:
    path = DATA / "eventbus.yaml"
    one = source_of(path, resource("OrgCanPut"))
    two = source_of(path, resource("OrgCanPut"))
    fixed_one = copy.deepcopy(one.document)
    ACCOUNT_GUARD(fixed_one)
    before, after = rewrite_template(path, [(one, fixed_one), (two, fixed_one)])
    assert changed(before, after) == ["+            aws:SourceAccount: !Ref AWS::AccountId"]


def test_two_fixes_of_the_same_lines_conflict() -> None:
    path = DATA / "eventbus.yaml"
    one = source_of(path, resource("OrgCanPut"))
    a, b = copy.deepcopy(one.document), copy.deepcopy(one.document)
    ACCOUNT_GUARD(a)
    add_condition(0, "StringEquals", "aws:SourceOrgID", "o-a1b2c3d4e5")(b)
    with pytest.raises(RewriteError, match="two fixes change the same part"):
        rewrite_template(path, [(one, a), (one, b)])


# -- policies written as JSON strings -------------------------------------------------------------


def test_json_string_in_a_literal_block_is_patched_inside_the_block() -> None:
    before, after, _ = fix("logs_resource_policy.yaml", resource("Route53Logs"), ACCOUNT_GUARD)
    resource_line = '"Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/route53/*"'
    assert changed(before, after) == [
        "-              " + resource_line,
        "+              " + resource_line + ",",
        '+              "Condition": {',
        '+                "StringEquals": {',
        '+                  "aws:SourceAccount": "111122223333"',
        "+                }",
        "+              }",
    ]
    assert comments(after) == comments(before)


def test_json_string_in_a_json_template_stays_one_escaped_string() -> None:
    before, after, _ = fix("logs_resource_policy.json", anything, ACCOUNT_GUARD)
    [removed, added] = changed(before, after)
    assert added == removed.replace(
        '\\"Resource\\": \\"*\\"}',
        '\\"Resource\\": \\"*\\", \\"Condition\\": {\\"StringEquals\\": '
        '{\\"aws:SourceAccount\\": \\"111122223333\\"}}}',
    ).replace("-", "+", 1)


def test_json_string_needs_a_real_account_id() -> None:
    mutate = add_condition(0, "StringEquals", "aws:SourceAccount", SYMBOLIC_OWNER)
    with pytest.raises(RewriteError, match="give --account"):
        fix("logs_resource_policy.json", anything, mutate, owner=SYMBOLIC_OWNER)


def test_json_string_built_with_sub_is_refused() -> None:
    with pytest.raises(RewriteError, match=r"JSON string built with !Sub at line 25"):
        fix("logs_resource_policy.yaml", resource("EventsLogs"), ACCOUNT_GUARD)


# -- Lambda permissions ---------------------------------------------------------------------------


def test_lambda_permission_gains_source_account() -> None:
    before, after, document = fix(
        "lambda_permission.yaml", resource("S3Invoke"), ACCOUNT_GUARD, exact=False
    )
    assert changed(before, after) == ["+      SourceAccount: !Ref AWS::AccountId"]
    assert document["Statement"][0]["Condition"]["StringEquals"] == {"AWS:SourceAccount": OWNER}
    assert "# no source condition at all" in after


def test_lambda_permission_gains_source_arn() -> None:
    topic = f"arn:aws:sns:us-east-1:{OWNER}:uploads"
    mutate = add_condition(0, "ArnEquals", "aws:SourceArn", topic)
    before, after, document = fix(
        "lambda_permission.yaml", resource("SnsInvoke"), mutate, exact=False
    )
    assert changed(before, after) == [
        "+      SourceArn: !Sub 'arn:aws:sns:us-east-1:${AWS::AccountId}:uploads'"
    ]
    assert document["Statement"][0]["Condition"] == {"ArnLike": {"AWS:SourceArn": topic}}


@pytest.mark.parametrize(
    "mutate",
    [
        add_condition(0, "StringEquals", "aws:SourceOrgID", "o-a1b2c3d4e5"),
        add_condition(0, "StringLike", "aws:SourceAccount", OWNER),
        add_condition(0, "StringEquals", "aws:SourceAccount", [OWNER, "444455556666"]),
        lambda d: d["Statement"][0].update(Action="lambda:*"),
    ],
)
def test_lambda_permission_refuses_other_changes(mutate: Mutate) -> None:
    with pytest.raises(RewriteError, match="can only gain SourceAccount or SourceArn"):
        fix("lambda_permission.yaml", resource("SnsInvoke"), mutate)


def test_lambda_permission_with_source_account_already_set() -> None:
    mutate = add_condition(0, "StringEquals", "aws:SourceAccount", "444455556666")
    with pytest.raises(RewriteError, match="can only gain"):
        fix("lambda_permission.yaml", resource("GuardedInvoke"), mutate)


# -- what cannot be written -----------------------------------------------------------------------


def test_value_only_known_at_deployment_is_refused() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] = OWNER

    with pytest.raises(RewriteError, match=r"written with !Ref at line 47 is only known at"):
        fix("conditions.yaml", lambda s: s.name == "IsProd=true", mutate)


def test_key_removed_by_a_condition_is_not_re_added_behind_its_back() -> None:
    with pytest.raises(RewriteError, match="'Condition' is removed by a condition"):
        fix("conditions.yaml", lambda s: s.name == "IsProd=false", ACCOUNT_GUARD)


def test_variant_literal_parts_can_be_fixed() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][1]["Action"] = ["sqs:SendMessage", "sqs:GetQueueUrl"]

    before, after, _ = fix("conditions.yaml", lambda s: s.name == "IsProd=false", mutate)
    assert changed(before, after) == [
        "-            Action: sqs:SendMessage",
        "+            Action:",
        "+              - sqs:SendMessage",
        "+              - sqs:GetQueueUrl",
    ]
    assert "{Service: s3.amazonaws.com}\n            Action:\n              - sqs:Send" in after


def test_generated_names_are_not_written_as_literals() -> None:
    def mutate(document: Any) -> None:
        document["Statement"][0]["Resource"] = "arn:aws:s3:::stack-trail-logs/other"

    with pytest.raises(RewriteError, match=r"!GetAtt at line 32 depends on parameters or names"):
        fix("trail_bucket.yaml", anything, mutate)


def test_legacy_event_bus_properties_are_refused() -> None:
    with pytest.raises(RewriteError, match="built from the resource's properties"):
        fix("eventbus.yaml", resource("LegacyPartner"), ACCOUNT_GUARD)


def test_a_policy_that_changed_since_it_was_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text((DATA / "kms_key.yaml").read_text())
    source = source_of(path, anything)
    path.write_text(path.read_text().replace("kms:Decrypt*", "kms:Sign"))
    with pytest.raises(RewriteError, match="changed since it was read"):
        rewrite_template(path, [(source, source.document)])


def test_unchanged_fix_leaves_the_file_as_it_is() -> None:
    path = DATA / "topic_policy.yaml"
    source = source_of(path, anything)
    before, after = rewrite_template(path, [(source, copy.deepcopy(source.document))])
    assert after == before


# -- renamed keys ---------------------------------------------------------------------------------


def test_operator_made_strict_is_renamed_where_it_stands() -> None:
    def mutate(document: Any) -> None:
        condition = document["Statement"][0]["Condition"]
        condition["StringEquals"] = condition.pop("StringEqualsIfExists")

    before, after, _ = fix("corpus/dg003-stringequalsifexists-sourceaccount.yaml", anything, mutate)
    assert changed(before, after) == [
        "-              StringEqualsIfExists:   # fails open when the key is absent",
        "+              StringEquals:   # fails open when the key is absent",
    ]


def test_renamed_key_in_a_flow_mapping_keeps_the_value_as_written() -> None:
    def mutate(document: Any) -> None:
        condition = document["Statement"][0]["Condition"]
        condition["StringEquals"] = condition.pop("ForAllValues:StringEquals")

    before, after, _ = fix("corpus/dg009-forallvalues-sourceaccount.yaml", anything, mutate)
    assert changed(before, after) == [
        '-            Condition: {"ForAllValues:StringEquals": {aws:SourceAccount: !Ref '
        '"AWS::AccountId"}}',
        '+            Condition: {StringEquals: {aws:SourceAccount: !Ref "AWS::AccountId"}}',
    ]


def test_renamed_key_whose_value_cannot_be_patched_is_written_anew() -> None:
    def mutate(document: Any) -> None:
        condition = document["Statement"][0]["Condition"]
        del condition["StringNotEquals"]
        condition["StringEquals"] = {"aws:SourceAccount": OWNER}

    before, after, _ = fix("corpus/dg012-stringnotequals-sourceaccount.yaml", anything, mutate)
    assert changed(before, after) == [
        "-              StringNotEquals:",
        "-                aws:SourceAccount: !Ref BlockedAccount",
        "+              StringEquals:",
        "+                aws:SourceAccount: !Ref AWS::AccountId",
    ]


# -- layouts --------------------------------------------------------------------------------------

_INLINE = """Resources:
  P:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [t]
      PolicyDocument:
        Statement:
          - Sid: First   # first
            Effect: Allow
            Action: sns:Publish
            Resource: '*'
          - Effect: Deny
            Action: [sns:Publish, sns:Subscribe]
            Resource: '*'
            Condition: {Bool: {aws:SecureTransport: false}}"""

_JSON = """{
  "Resources": {
    "P": {
      "Type": "AWS::SNS::TopicPolicy",
      "Properties": {
        "Topics": ["t"],
        "PolicyDocument": {
          "Statement": [
            {
              "Sid": "A",
              "Effect": "Allow",
              "Action": "sns:Publish",
              "Resource": "*",
              "Condition": {}
            }
          ]
        }
      }
    }
  }
}
"""


def fix_text(tmp_path: Path, name: str, text: str, mutate: Mutate) -> tuple[str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    source = source_of(path, anything)
    fixed = copy.deepcopy(source.document)
    mutate(fixed)
    before, after = rewrite_template(path, [(source, fixed)])
    [again], _ = read_cloudformation(path, name, after, owner=OWNER)
    assert anonymous(again.document) == anonymous(fixed)
    return before, after


def _principal_first(document: Any) -> None:
    document["Statement"][0] = {"Principal": "*", **document["Statement"][0]}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["Statement"][0].pop("Sid"),
            [
                "-          - Sid: First   # first",
                "-            Effect: Allow",
                "+          - Effect: Allow",
            ],
        ),
        (
            _principal_first,
            [
                "-          - Sid: First   # first",
                "+          - Principal: '*'",
                "+            Sid: First   # first",
            ],
        ),
        (
            lambda d: d["Statement"].pop(0),
            [
                "-          - Sid: First   # first",
                "-            Effect: Allow",
                "-            Action: sns:Publish",
                "-            Resource: '*'",
            ],
        ),
        (
            lambda d: d["Statement"][1]["Action"].remove("sns:Publish"),
            [
                "-            Action: [sns:Publish, sns:Subscribe]",
                "+            Action: [sns:Subscribe]",
            ],
        ),
        (
            lambda d: d["Statement"][1].update({"Principal": "*"}),
            ["+            Principal: '*'"],
        ),
    ],
)
def test_block_layouts_first_members_and_end_of_file(
    tmp_path: Path, mutate: Mutate, expected: list[str]
) -> None:
    before, after = fix_text(tmp_path, "t.yaml", _INLINE, mutate)
    assert changed(before, after) == expected
    assert not after.endswith("\n")  # the file had no final newline and still has none


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["Statement"][0].pop("Sid"), ['-              "Sid": "A",']),
        (
            lambda d: d["Statement"][0].pop("Condition"),
            [
                '-              "Resource": "*",',
                '-              "Condition": {}',
                '+              "Resource": "*"',
            ],
        ),
        (
            lambda d: d["Statement"][0]["Condition"].update(
                {"Bool": {"aws:SecureTransport": "true"}}
            ),
            [
                '-              "Condition": {}',
                '+              "Condition": {',
                '+                "Bool": {',
                '+                  "aws:SecureTransport": "true"',
                "+                }",
                "+              }",
            ],
        ),
        (
            lambda d: d.__setitem__("Statement", []),
            [
                '-          "Statement": [',
                "-            {",
                '-              "Sid": "A",',
                '-              "Effect": "Allow",',
                '-              "Action": "sns:Publish",',
                '-              "Resource": "*",',
                '-              "Condition": {}',
                "-            }",
                "-          ]",
                '+          "Statement": []',
            ],
        ),
    ],
)
def test_json_members_removed_and_filled(
    tmp_path: Path, mutate: Mutate, expected: list[str]
) -> None:
    before, after = fix_text(tmp_path, "t.json", _JSON, mutate)
    assert changed(before, after) == expected
    json.loads(after)


# -- YAML text of new strings ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_new_strings_read_back_as_the_same_string(value: str) -> None:
    for text in (f"k: {yaml_string(value)}\n", f"k: [{yaml_string(value)}]\n"):
        root = load_yaml(text).root
        node = root.members[0].value
        node = node.items[0] if node.kind == "seq" else node
        assert node.value == value, text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("s3:PutObject", "s3:PutObject"),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/*"),
        ("*", "'*'"),
        ("111122223333", "'111122223333'"),
        ("false", "'false'"),
        ("Null", "'Null'"),
        ("2012-10-17", "'2012-10-17'"),
        ("a: b", "'a: b'"),
        ("${AWS::Region}", "'${AWS::Region}'"),
        ("line\nbreak", '"line\\nbreak"'),
    ],
)
def test_strings_are_quoted_only_when_yaml_would_misread_them(value: str, written: str) -> None:
    assert yaml_string(value) == written


def test_fix_that_removes_the_condition_dependence_is_verified_without_the_variant() -> None:
    path = DATA / "conditions.yaml"
    source = source_of(path, lambda s: s.name == "IsProd=false")
    fixed = copy.deepcopy(source.document)
    del fixed["Statement"][0]  # type: ignore[index]
    before, after = rewrite_template(path, [(source, fixed)])
    start = before.index("          - Effect: Allow\n            Principal: {Service: sns")
    end = before.index("              - !Ref AWS::NoValue\n") + len(
        "              - !Ref AWS::NoValue\n"
    )
    assert after == before[:start] + before[end:]
    again, _ = read_cloudformation(path, path.name, after, owner=OWNER)
    [variants] = [s for s in again if s.resource == "Variants"]
    assert variants.name is None  # nothing depends on IsProd any more
