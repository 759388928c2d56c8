"""Terraform JSON syntax (*.tf.json): blocks, arguments and `${...}` templates read like HCL,
positions in the JSON text (through escapes), modules mixing .tf and .tf.json files, discovery
through folder searches, and every way a JSON file goes bad (reported, never skipped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deputyguard.analysis.model import InputError
from deputyguard.cli import main
from deputyguard.sources.iac import RewriteError
from deputyguard.sources.inputs import read_paths
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import read_terraform_module, rewrite_terraform
from sources.terraform.helpers import OWNER, ROOT, at, module, shown, statement_lines, where

TF_JSON = ROOT / "tf_json"
MAIN = TF_JSON / "main.tf.json"
DATA = TF_JSON / "data.tf.json"


def module_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")])


def read(directory: Path) -> tuple[dict[str, PolicySource], list[InputError]]:
    """Sources by pointer."""
    sources, errors = read_terraform_module(
        directory, module_files(directory), owner=OWNER, display=shown
    )
    return {s.pointer: s for s in sources}, errors


BUCKET = "/resource/aws_s3_bucket_policy/logs/policy"
QUEUE = "/resource/aws_sqs_queue_policy/events/policy"
TOPIC = "/data/aws_iam_policy_document/topic"
KEY = "/resource/aws_kms_key/logs/policy"
TRUST = "/resource/aws_iam_role/app/assume_role_policy"
INLINE = "/resource/aws_iam_role/app/inline_policy/0/policy"


# -- the fixture module ---------------------------------------------------------------------------


def test_every_policy_of_the_module_with_its_file_and_statement_lines() -> None:
    sources, errors = read(TF_JSON)
    got = [
        (s.file, s.resource, s.pointer, s.policy_type.value, statement_lines(s))
        for s in sources.values()
    ]
    assert got == [
        ("tf_json/main.tf.json", "aws_s3_bucket_policy.logs", BUCKET, "resource", [17, 25]),
        ("tf_json/main.tf.json", "aws_sqs_queue_policy.events", QUEUE, "resource", [51]),
        ("tf_json/data.tf.json", "aws_sns_topic_policy.alerts", TOPIC, "resource", [6, 22]),
        ("tf_json/policies/key.json", "aws_kms_key.logs", KEY, "resource", [4]),
        ("tf_json/main.tf.json", "aws_iam_role.app", TRUST, "trust", [71]),
        ("tf_json/main.tf.json", "aws_iam_role.app", INLINE, "identity", [75]),
    ]
    assert {(s.origin, s.owner) for s in sources.values()} == {("terraform", OWNER)}
    # Anything the reader cannot take as a policy is an error with its line, never skipped.
    assert [(e.file, e.line, e.column, e.message) for e in errors] == [
        (
            "tf_json/main.tf.json",
            83,
            19,
            "aws_ecr_repository_policy.app: the policy argument holds a JSON number, not a "
            "policy document",
        )
    ]


def test_jsonencode_of_a_local_object_resolves_references_and_points_into_it() -> None:
    source = read(TF_JSON)[0][BUCKET]
    [marker] = source.unknowns
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
                        "aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main"
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
        marker: "variable peer_account has no default (tf_json/main.tf.json line 8)"
    }
    assert at(source, "") == where(MAIN, "jsonencode(local.bucket_policy)")
    assert at(source, "/Statement/1/Sid#key") == where(MAIN, '"Sid": "PeerRead"')
    assert at(source, "/Statement/1/Action") == where(MAIN, '["s3:GetObject"')
    condition = "/Statement/0/Condition/StringEquals/aws:SourceArn"
    assert at(source, condition) == where(MAIN, 'local.trail_arn}"')


def test_a_policy_written_as_a_json_string_points_through_its_escapes() -> None:
    source = read(TF_JSON)[0][QUEUE]
    assert source.document["Statement"][0]["Resource"] == (  # type: ignore[index]
        f"arn:aws:sqs:us-east-1:{OWNER}:events"
    )
    assert source.unknowns == {}
    assert at(source, "") == where(MAIN, '{\\"Version')
    assert at(source, "/Statement/0/Action") == where(MAIN, '\\"sqs:SendMessage')
    assert at(source, "/Statement/0/Principal/Service") == where(MAIN, '\\"sns.amazonaws.com')


def test_hcl_inside_an_interpolation_points_through_its_escapes() -> None:
    sources = read(TF_JSON)[0]
    trust = sources[TRUST]
    assert trust.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert at(trust, "") == where(MAIN, "jsonencode({Version")
    assert at(trust, "/Statement/0/Action") == where(MAIN, '\\"sts:AssumeRole')
    inline = sources[INLINE]
    assert inline.name == "read-logs"
    assert inline.document["Statement"][0]["Resource"] == "arn:aws:s3:::example-logs/*"  # type: ignore[index]


def test_a_policy_document_data_block_with_nested_blocks_in_json() -> None:
    source = read(TF_JSON)[0][TOPIC]
    topic = f"arn:aws:sns:us-east-1:{OWNER}:alerts"
    assert source.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FromBuckets",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": topic,
                "Principal": {"Service": "s3.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": OWNER}},
            },
            {
                "Sid": "FromEvents",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": topic,
                "Principal": {"Service": "events.amazonaws.com"},
            },
        ],
    }
    assert (source.file, source.resource) == ("tf_json/data.tf.json", "aws_sns_topic_policy.alerts")
    assert at(source, "/Statement/0/Principal") == where(DATA, '"principals"')
    assert at(source, "/Statement/0/Condition")[0] == where(DATA, '"test"')[0] - 1


def test_a_json_file_read_with_file_is_the_policy_source() -> None:
    source = read(TF_JSON)[0][KEY]
    assert source.file == "tf_json/policies/key.json"
    assert at(source, "/Statement/0/Action") == (8, 17)


# -- JSON syntax mapping --------------------------------------------------------------------------

POLICY = (
    '{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", '
    '\\"Principal\\": {\\"Service\\": \\"sns.amazonaws.com\\"}, \\"Action\\": '
    '\\"sqs:SendMessage\\", \\"Resource\\": \\"*\\"}]}'
)


def test_arrays_at_every_label_level_and_comments(tmp_path: Path) -> None:
    text = (
        '{"//": "generated",\n'
        ' "resource": [\n'
        '  {"aws_sqs_queue_policy": [\n'
        '   {"a": {"//": "comment", "queue_url": "q", "policy": "' + POLICY + '"}},\n'
        '   {"b": [{"queue_url": "q", "policy": "' + POLICY + '"}]}\n'
        "  ]}\n"
        " ]}\n"
    )
    sources, errors = read(module(tmp_path, **{"main.tf.json": text}))
    assert errors == []
    assert [(s.resource, at(s, "/Statement/0")[0]) for s in sources.values()] == [
        ("aws_sqs_queue_policy.a", 4),
        ("aws_sqs_queue_policy.b", 5),
    ]


def test_variable_defaults_are_literal_and_other_strings_are_templates(tmp_path: Path) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::home/${aws:username}/*",
            }
        ],
    }
    config = {
        "variable": {"policy": {"type": "string", "default": json.dumps(policy)}},
        "resource": {"aws_iam_policy": {"home": {"policy": "${var.policy}"}}},
    }
    sources, errors = read(module(tmp_path, **{"main.tf.json": json.dumps(config, indent=2)}))
    assert errors == []
    [source] = sources.values()
    # The IAM policy variable is kept as written: a default is not a template.
    assert source.document == policy
    assert source.unknowns == {}


def test_json_and_hcl_files_of_one_module_refer_to_each_other(tmp_path: Path) -> None:
    config = {
        "locals": {"account": "${data.aws_caller_identity.me.account_id}"},
        "module": {
            "queue": {
                "source": "./queue",
                "policy": "${data.aws_iam_policy_document.queue.json}",
            }
        },
    }
    hcl = """data "aws_caller_identity" "me" {}

data "aws_iam_policy_document" "queue" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}
"""
    directory = module(tmp_path, **{"main.tf.json": json.dumps(config), "data.tf": hcl})
    sources, errors = read(directory)
    assert errors == []
    [source] = sources.values()
    assert (source.file, source.resource) == ("data.tf", "module.queue")
    condition = source.document["Statement"][0]["Condition"]  # type: ignore[index]
    assert condition == {"StringEquals": {"aws:SourceAccount": OWNER}}


# -- bad input ------------------------------------------------------------------------------------


def test_invalid_json_is_reported_with_its_line_and_the_module_still_read(tmp_path: Path) -> None:
    good = {
        "resource": {
            "aws_sqs_queue_policy": {
                "q": {"queue_url": "q", "policy": "${jsonencode(local.policy)}"},
            }
        }
    }
    directory = module(
        tmp_path,
        **{
            "bad.tf.json": '{\n  "locals": {\n    "policy": {,\n  }\n}\n',
            "good.tf.json": json.dumps(good),
        },
    )
    sources, errors = read(directory)
    assert [(e.file, e.line, e.column) for e in errors] == [
        ("bad.tf.json", 3, 16),
        ("good.tf.json", 1, 74),
    ]
    assert errors[0].message.startswith("invalid JSON")
    assert errors[1].message == (
        "aws_sqs_queue_policy.q: the policy is only known when Terraform runs: local.policy is "
        "not defined in this module; bad.tf.json could not be parsed (good.tf.json line 1)"
    )
    assert sources == {}


def test_constructs_not_read_are_reported_with_their_lines(tmp_path: Path) -> None:
    text = """{
  "resources": {},
  "locals": ["not an object"],
  "resource": {
    "aws_sqs_queue_policy": {
      "escaped": {"queue_url": "q", "policy": "%ESCAPED%"},
      "labels": "not an object",
      "fine": {"queue_url": "q", "policy": "%POLICY%"}
    },
    "aws_sqs_queue_policy": {}
  }
}
""".replace("%POLICY%", POLICY).replace("%ESCAPED%", POLICY.replace("*", "${aws:username}"))
    sources, errors = read(module(tmp_path, **{"main.tf.json": text}))
    got = [(e.line, e.message) for e in errors]
    assert got == [
        (
            10,
            "duplicate property 'aws_sqs_queue_policy' (Terraform rejects it; the last one is "
            "read)",
        ),
        (2, "unknown block type 'resources': it is not analyzed"),
        (
            3,
            "locals must be a JSON object of local values, not a JSON string: they are not "
            "analyzed",
        ),
    ]
    assert sources == {}
    text = text.replace('    "aws_sqs_queue_policy": {}\n', '    "other": {}\n')
    sources, errors = read(module(tmp_path, **{"main.tf.json": text}))
    escaped, labels = errors[2:]
    # An IAM policy variable must be written $${aws:username}: the error points at its ':'.
    assert (escaped.line, escaped.column) == where(tmp_path / "main.tf.json", ":username")
    assert escaped.message.startswith("argument 'policy': HCL syntax error: unexpected COLON")
    assert escaped.message.endswith("; it is not analyzed")
    assert (labels.line, labels.message) == (
        7,
        "resource aws_sqs_queue_policy labels: expected a block body, not a JSON string; it is "
        "not analyzed",
    )
    assert list(sources) == ["/resource/aws_sqs_queue_policy/fine/policy"]


def test_a_dynamic_statement_block_is_reported(tmp_path: Path) -> None:
    config = {
        "data": {
            "aws_iam_policy_document": {
                "d": {
                    "dynamic": {
                        "statement": {"for_each": "${var.x}", "content": {"actions": ["s3:*"]}}
                    }
                }
            }
        },
        "resource": {
            "aws_sqs_queue_policy": {
                "q": {"queue_url": "q", "policy": "${data.aws_iam_policy_document.d.json}"}
            }
        },
    }
    sources, errors = read(module(tmp_path, **{"main.tf.json": json.dumps(config, indent=2)}))
    assert sources == {}
    assert [(e.line, e.message) for e in errors] == [
        (
            6,
            'aws_sqs_queue_policy.q: a dynamic "statement" block builds this policy: it cannot '
            "be analyzed statically",
        )
    ]


def test_json_syntax_is_not_rewritten_in_place() -> None:
    source = read(TF_JSON)[0][QUEUE]
    before = MAIN.read_text(encoding="utf-8")
    with pytest.raises(RewriteError, match="Terraform JSON syntax"):
        rewrite_terraform(MAIN, [(source, source.document)])
    assert MAIN.read_text(encoding="utf-8") == before


# -- discovery and end to end ---------------------------------------------------------------------


def test_a_folder_search_reads_tf_json_as_the_module_not_as_policy_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    sources, errors, files = read_paths(["tf_json"])
    assert {(s.file, s.origin) for s in sources} == {
        ("tf_json/main.tf.json", "terraform"),
        ("tf_json/data.tf.json", "terraform"),
        ("tf_json/policies/key.json", "terraform"),
    }
    # key.json is read once, as the KMS key's policy, not again as a bare policy file.
    assert len(sources) == 6
    assert [(e.file, e.line) for e in errors] == [("tf_json/main.tf.json", 83)]
    assert files == 3
    # Named alone, main.tf.json is still a module: what data.tf.json defines is then missing.
    named, named_errors, _ = read_paths(["tf_json/main.tf.json"])
    assert {s.origin for s in named} == {"terraform"}
    assert [e.line for e in named_errors] == [60, 83]
    assert "data.aws_iam_policy_document.topic.json is read from AWS" in named_errors[0].message


def test_check_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(TF_JSON), "--format", "json", "--account", OWNER])
    report = json.loads(capsys.readouterr().out)
    verdicts = [
        (Path(v["file"]).name, v["resource"], v["pointer"], v["verdict"])
        for v in report["verdicts"]
    ]
    assert verdicts == [
        ("main.tf.json", "aws_s3_bucket_policy.logs", BUCKET, "WARN"),
        ("main.tf.json", "aws_sqs_queue_policy.events", QUEUE, "FAIL"),
        ("data.tf.json", "aws_sns_topic_policy.alerts", TOPIC, "FAIL"),
        ("key.json", "aws_kms_key.logs", KEY, "PASS"),
        ("main.tf.json", "aws_iam_role.app", TRUST, "PASS"),
        ("main.tf.json", "aws_iam_role.app", INLINE, "PASS"),
    ]
    serious = [
        (f["rule"], f["resource"], Path(f["file"]).name, f["line"])
        for f in report["findings"]
        if f["severity"] != "info"
    ]
    assert serious == [
        ("DG020", "aws_s3_bucket_policy.logs", "main.tf.json", 28),
        ("DG001", "aws_sqs_queue_policy.events", "main.tf.json", 51),
        ("DG001", "aws_sns_topic_policy.alerts", "data.tf.json", 22),
    ]
    assert [(Path(e["file"]).name, e["line"]) for e in report["errors"]] == [("main.tf.json", 83)]
