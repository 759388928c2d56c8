"""Reading every format under a folder (deputyguard.sources.inputs): templates read in worker
processes give exactly what reading them here gives, in the same order (under `make
test-compiled` this also proves that sources survive the trip back from a worker)."""

from __future__ import annotations

import json
from pathlib import Path

from deputyguard.sources.inputs import PARALLEL_READ_THRESHOLD, read_paths

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Topic{n}:
    Type: AWS::SNS::Topic
  TopicPolicy{n}:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic{n}]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref Topic{n}
            Condition:
              StringEquals: {"aws:SourceAccount": !Ref AWS::AccountId}
"""


def _snapshot(paths: list[Path], jobs: int) -> list[tuple[object, ...]]:
    sources, errors, files = read_paths(paths, jobs=jobs, owner="111122223333")
    assert errors == []
    return [
        (s.file, s.pointer, s.resource, s.origin, s.document, dict(s.positions), s.owner)
        for s in sources
    ] + [("files", files)]


def test_templates_read_in_workers_equal_templates_read_here(tmp_path: Path) -> None:
    count = PARALLEL_READ_THRESHOLD + 6
    for i in range(count):
        (tmp_path / f"stack-{i:03d}.yaml").write_text(TEMPLATE.replace("{n}", str(i)))
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    (tmp_path / "identity.json").write_text(json.dumps(policy))
    serial = _snapshot([tmp_path], jobs=1)
    parallel = _snapshot([tmp_path], jobs=2)
    assert parallel == serial
    assert len(serial) == count + 2  # every template, the JSON policy, the file count
