"""`deputyguard fix` on CloudFormation and Terraform (issues 5, 6 and 7).

CloudFormation templates are patched in place with their comments and intrinsics kept (the
owner written as `!Ref AWS::AccountId`), `--diff` applied with `patch` gives the same file as
`--write`, and the patched template passes `check`. Terraform policies built from expressions
get the block to paste; literal heredoc policies are edited in place. Account-list migrations
work on templates too.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deputyguard.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"
OWNER = "111122223333"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    _run(capsys, "check", *args, "--format", "json")
    return json.loads(_run(capsys, "check", *args, "--format", "json")[1])


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "alerts-topic.yaml"
    shutil.copy(EXAMPLES / "iac" / "cloudformation" / "alerts-topic.yaml", path)
    return path


def test_write_keeps_comments_and_intrinsics_and_closes_the_finding(
    template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = template.read_text()
    code, _, err = _run(capsys, "fix", str(template), "--write")
    after = template.read_text()
    assert code == 0, err
    # every original line is still there, in order (comments, !Ref, !Sub...)
    remaining = iter(after.splitlines())
    assert all(any(line == kept for kept in remaining) for line in before.splitlines())
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    added = [line[2:].strip() for line in diff if line.startswith("+ ")]
    assert added == ["Condition:", "StringEquals:", "aws:SourceAccount: !Ref AWS::AccountId"]
    report = _check(capsys, str(template))
    verdicts = {v["resource"]: v["verdict"] for v in report["verdicts"]}
    assert verdicts["AlertsTopicPolicy"] == "PASS"
    assert verdicts["AlarmsTopicPolicy"] == "WARN", "the unknown parameter is not guessed away"


def test_diff_applied_with_patch_equals_write(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(template, copy / template.name)
    code, diff, _ = _run(capsys, "fix", str(template), "--diff")
    assert code == 0 and diff.startswith("--- a/")
    _run(capsys, "fix", str(copy / template.name), "--write")
    patched = tmp_path / "patched.yaml"
    shutil.copy(template, patched)
    subprocess.run(["patch", str(patched)], input=diff, text=True, check=True, capture_output=True)
    assert patched.read_text() == (copy / template.name).read_text()


def test_terraform_expression_policy_gets_a_block_to_paste(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "tf"
    shutil.copytree(EXAMPLES / "iac" / "terraform", folder)
    before = (folder / "flow-logs.tf").read_text()
    code, out, err = _run(
        capsys, "fix", str(folder), "--scope", "org", "--org", str(EXAMPLES / "org.yaml"),
        "--write",
    )  # fmt: skip
    assert (folder / "flow-logs.tf").read_text() == before, "expressions are never overwritten"
    assert "replace the policy of aws_s3_bucket_policy.flow_logs with:" in err
    block = err.split("replace the policy of aws_s3_bucket_policy.flow_logs with:\n", 1)[1]
    assert block.startswith("policy = jsonencode({")
    assert '"aws:SourceOrgID" = "o-a1b2c3d4e5"' in block
    assert "${aws_s3_bucket.flow_logs.arn}" in block, "references are kept as written"
    assert code == 0, out


def test_terraform_literal_heredoc_is_fixed_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "main.tf").write_text(
        """\
# a topic policy written as literal JSON
resource "aws_sns_topic_policy" "alarms" {
  arn    = "arn:aws:sns:us-east-1:111122223333:alarms"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Alarms",
      "Effect": "Allow",
      "Principal": {"Service": "cloudwatch.amazonaws.com"},
      "Action": "sns:Publish",
      "Resource": "arn:aws:sns:us-east-1:111122223333:alarms"
    }
  ]
}
EOF
}
"""
    )
    before = (folder / "main.tf").read_text()
    assert _check(capsys, str(folder), "--account", OWNER)["verdicts"][0]["verdict"] == "FAIL"
    code, _, err = _run(capsys, "fix", str(folder), "--account", OWNER, "--write")
    after = (folder / "main.tf").read_text()
    assert code == 0, err
    assert after.splitlines()[:4] == before.splitlines()[:4]
    assert after.splitlines()[-2:] == before.splitlines()[-2:]
    assert '"aws:SourceAccount": "111122223333"' in after
    report = _check(capsys, str(folder), "--account", OWNER)
    assert [v["verdict"] for v in report["verdicts"]] == ["PASS"]


def test_account_list_migration_on_a_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 7 on IaC: the account list becomes aws:SourceOrgID, with the access report."""
    policy = json.loads(
        (
            EXAMPLES / "migration" / "policies" / "billing-alerts-topic-budgets-accounts.json"
        ).read_text()
    )
    statement = policy["Statement"][0]
    del statement["Condition"]["ArnLike"]
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "BillingAlerts": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": ["arn:aws:sns:us-east-1:100000000001:billing-alerts"],
                    "PolicyDocument": policy,
                },
            }
        },
    }
    path = tmp_path / "billing.json"
    path.write_text(json.dumps(template, indent=2) + "\n")
    org = str(EXAMPLES / "migration" / "org.yaml")
    args = ["fix", str(path), "--scope", "org", "--org", org, "--account", "100000000001"]
    code, out, err = _run(capsys, *args, "--format", "json")
    assert code == 0, err
    fix = json.loads(out)["fixes"][0]
    assert fix["resource"] == "BillingAlerts"
    changes = fix["migration"]["access_changes"]
    assert set(changes["keep"]) == set(statement["Condition"]["StringEquals"]["aws:SourceAccount"])
    assert changes["lose"] == []
    code, _, err = _run(capsys, *args, "--write")
    assert code == 0, err
    written = json.loads(path.read_text())
    condition = written["Resources"]["BillingAlerts"]["Properties"]["PolicyDocument"]["Statement"][
        0
    ]["Condition"]
    assert condition["StringEquals"] == {"aws:SourceOrgID": "o-m1g2r3t4e5"}
