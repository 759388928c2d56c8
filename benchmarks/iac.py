"""Benchmark `deputyguard check` on infrastructure-as-code (not a test).

    python -m benchmarks.iac [--templates N] [--terraform N]

Writes N CloudFormation templates (YAML and JSON, short-form intrinsics, parameters with and
without defaults) and N Terraform files (in module folders of ten files: jsonencode, heredoc and
`aws_iam_policy_document`) to build/bench/iac/, runs one whole `check` process over them and
prints files/s and policies/s with peak memory (issue 6).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from benchmarks.engine import timed_process

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "build" / "bench"

_GUARDS = (
    'aws:SourceArn: !Sub "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}'
    ':trail/t{i}"',
    "aws:SourceAccount: !Ref AWS::AccountId",
    "aws:SourceAccount: !Ref PeerAccount",
    "aws:SourceAccount: '999988887777'",
)


def _template(i: int) -> str:
    guard = _GUARDS[i % len(_GUARDS)]
    operator = "ArnLike" if "SourceArn" in guard else "StringEquals"
    condition = (
        ""
        if i % 5 == 4
        else f"""
            Condition:
              {operator}:
                {guard.replace("{i}", str(i))}"""
    )
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: benchmark template {i}
Parameters:
  PeerAccount:
    Type: String
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: logs-{i:05d}
  LogsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: TrailWrite
            Effect: Allow
            Principal:
              Service: cloudtrail.amazonaws.com
            Action: s3:PutObject
            Resource: !Sub "${{Logs.Arn}}/AWSLogs/${{AWS::AccountId}}/*"{condition}
  Alerts:
    Type: AWS::SNS::Topic
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: cloudwatch.amazonaws.com
            Action: sns:Publish
            Resource: !Ref Alerts
            Condition:
              ArnLike:
                aws:SourceArn: !Sub "arn:aws:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:*"
"""


def _json_template(i: int) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
    }
    if i % 3:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": {"Ref": "Topic"}}}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                },
            },
        },
    }
    return json.dumps(template, indent=2)


def _terraform(i: int) -> str:
    guarded = i % 4 != 3
    condition = (
        """
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
      }"""
        if guarded
        else ""
    )
    return f"""\
resource "aws_s3_bucket" "logs_{i}" {{
  bucket = "tf-logs-{i:05d}"
}}

resource "aws_s3_bucket_policy" "logs_{i}" {{
  bucket = aws_s3_bucket.logs_{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "DeliveryWrite"
      Effect    = "Allow"
      Principal = {{ Service = "delivery.logs.amazonaws.com" }}
      Action    = "s3:PutObject"
      Resource  = "${{aws_s3_bucket.logs_{i}.arn}}/AWSLogs/*"{condition}
    }}]
  }})
}}

resource "aws_sqs_queue" "q_{i}" {{
  name = "queue-{i}"
}}

data "aws_iam_policy_document" "q_{i}" {{
  statement {{
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.q_{i}.arn]
    principals {{
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }}
    condition {{
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:sns:*:${{data.aws_caller_identity.current.account_id}}:*"]
    }}
  }}
}}

resource "aws_sqs_queue_policy" "q_{i}" {{
  queue_url = aws_sqs_queue.q_{i}.id
  policy    = data.aws_iam_policy_document.q_{i}.json
}}
"""


def write_inputs(target: Path, templates: int, terraform: int) -> None:
    shutil.rmtree(target, ignore_errors=True)
    for i in range(templates):
        folder = target / "cloudformation" / f"{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 4 == 3:
            (folder / f"stack-{i:05d}.json").write_text(_json_template(i))
        else:
            (folder / f"stack-{i:05d}.yaml").write_text(_template(i))
    for i in range(terraform):
        folder = target / "terraform" / f"module-{i // 10:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "providers.tf").exists():
            (folder / "providers.tf").write_text('data "aws_caller_identity" "current" {}\n')
        (folder / f"main-{i:05d}.tf").write_text(_terraform(i))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--terraform", type=int, default=1000)
    args = parser.parse_args(argv)
    target = OUT / "iac"
    write_inputs(target, args.templates, args.terraform)
    files = sum(1 for p in target.rglob("*") if p.is_file())
    report_path = OUT / "iac-report.json"
    cmd = [sys.executable, "-m", "deputyguard", "check", str(target), "--format", "json"]
    cmd += ["--output", str(report_path)]
    timed = timed_process(cmd, REPO_ROOT)
    report = json.loads(report_path.read_text())
    verdicts = Counter(v["verdict"] for v in report["verdicts"])
    rules = Counter(f["rule"] for f in report["findings"])
    n = len(report["verdicts"])
    print(
        f"deputyguard check: {files:,} IaC files ({args.templates} templates, {args.terraform} "
        f"Terraform files) in {timed.wall:.2f} s = {files / timed.wall:,.0f} files/s, "
        f"{n:,} policies = {n / timed.wall:,.0f} policies/s (exit {timed.code})"
    )
    print(
        f"peak RSS {timed.peak_kb / 1024:.1f} MB (largest process), "
        f"{timed.tree_kb / 1024:.1f} MB summed over the process tree"
    )
    print(f"verdicts: {dict(verdicts)}; rules: {dict(sorted(rules.items()))}")
    print(f"errors: {len(report['errors'])}")
    for error in report["errors"][:5]:
        print(f"  {error['file']}:{error['line']}: {error['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
