"""Printing fixed policies as HCL (render_fix) and writing them back (rewrite_terraform): the
printed HCL parses, reads back as the fixed policy, keeps the original's form and expressions, and
a rewrite changes the policy's text span and nothing else."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest

from deputyguard.sources.iac import SYMBOLIC_OWNER, RewriteError
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import (
    read_terraform_module,
    read_terraform_plan,
    render_fix,
    rewrite_terraform,
)
from deputyguard.sources.terraform.hcl import parse_hcl
from deputyguard.sources.terraform.nodes import Attribute, Block, SourceFile
from sources.terraform.helpers import OWNER, ROOT


def read(directory: Path, owner: str = OWNER) -> list[PolicySource]:
    sources, errors = read_terraform_module(
        directory, sorted(directory.glob("*.tf")), owner=owner, display=lambda p: str(p)
    )
    assert errors == []
    return sources


def find(sources: list[PolicySource], resource: str, pointer: str | None = None) -> PolicySource:
    return next(
        s for s in sources if s.resource == resource and (pointer is None or s.pointer == pointer)
    )


def copy_module(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT / name, target)
    return target


def span(path: Path, source: PolicySource) -> tuple[int, int]:
    """Where the printed HCL goes: the policy argument, or the data / lambda block."""
    text = path.read_text(encoding="utf-8")
    body = parse_hcl(SourceFile(path, path.name, text))
    tokens = source.pointer.split("/")[1:]
    block = next(b for b in body.blocks if b.type == tokens[0] and list(b.labels) == tokens[1:3])
    if len(tokens) == 3:
        return block.start, block.end
    if len(tokens) == 4:
        attribute = block.body.attributes[tokens[3]]
    else:
        attribute = list(block.body.blocks_of(tokens[3]))[int(tokens[4])].body.attributes[tokens[5]]
    return attribute.start, attribute.expr.end


def paste(path: Path, source: PolicySource, printed: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = span(path, source)
    path.write_text(text[:start] + printed + text[end:], encoding="utf-8")


def normalized(value: Any, key: str = "") -> Any:
    """Documents compared as IAM reads them: a one-element list is its element, Effect defaults."""
    if isinstance(value, dict):
        out = {k: normalized(v, k) for k, v in value.items()}
        if "Action" in out or "NotAction" in out:
            out.setdefault("Effect", "Allow")
        return out
    if isinstance(value, list):
        items = [normalized(v) for v in value]
        return items[0] if len(items) == 1 and key != "Statement" else items
    return value


def round_trip(name: str, tmp_path: Path, resource: str, fixed: Any, owner: str = OWNER) -> str:
    """Print the fix, paste it into a copy of the module, read the module back."""
    directory = copy_module(name, tmp_path)
    source = find(read(directory, owner), resource)
    printed = render_fix(source, fixed)
    hcl2.loads(printed)  # valid HCL on its own
    paste(Path(source.file), source, printed)
    hcl2.loads(Path(source.file).read_text(encoding="utf-8"))
    again = find(read(directory, owner), resource, source.pointer)
    assert normalized(again.document) == normalized(fixed)
    assert sorted(again.unknowns.values()) == sorted(source.unknowns.values())
    return printed


def with_source_account(document: Any, account: str) -> Any:
    fixed = copy.deepcopy(document)
    statement = fixed["Statement"][0]
    statement.setdefault("Condition", {}).setdefault("StringEquals", {})["aws:SourceAccount"] = (
        account
    )
    return fixed


# -- render_fix -----------------------------------------------------------------------------------


def test_jsonencode_fix_keeps_expressions_of_the_original(tmp_path: Path) -> None:
    source = find(read(ROOT / "resources"), "aws_s3_bucket_policy.logs")
    fixed = with_source_account(source.document, OWNER)
    printed = round_trip("resources", tmp_path, "aws_s3_bucket_policy.logs", fixed)
    assert printed.startswith("policy = jsonencode({\n")
    assert '"aws:SourceAccount" = data.aws_caller_identity.current.account_id' in printed
    assert ":iam::${var.peer_account}:root" in printed
    assert 'Resource = "${aws_s3_bucket.logs.arn}/AWSLogs/*"' in printed
    assert ":${data.aws_region.current.name}:" in printed
    assert "arn:${data.aws_partition.current.partition}:cloudtrail" in printed


def test_heredoc_fix_is_a_heredoc(tmp_path: Path) -> None:
    source = find(read(ROOT / "resources"), "aws_sqs_queue_policy.events")
    fixed = with_source_account(source.document, OWNER)
    printed = round_trip("resources", tmp_path, "aws_sqs_queue_policy.events", fixed)
    assert printed.startswith("policy = <<-EOF\n")
    assert printed.rstrip().endswith("EOF")
    assert '"Resource": "${aws_sqs_queue.events.arn}"' in printed
    # The original did not use the caller identity: the owner stays a literal account id.
    assert f'"aws:SourceAccount": "{OWNER}"' in printed


def test_data_document_fix_is_a_whole_block(tmp_path: Path) -> None:
    source = find(read(ROOT / "resources"), "aws_sns_topic_policy.alerts")
    fixed = copy.deepcopy(source.document)
    fixed["Statement"][0]["Condition"]["ArnLike"] = {  # type: ignore[index]
        "aws:SourceArn": [
            f"arn:aws:events:us-east-1:{OWNER}:rule/a",
            "arn:aws:events:*:*:rule/${aws:username}",
        ]
    }
    printed = round_trip("resources", tmp_path, "aws_sns_topic_policy.alerts", fixed)
    assert printed.startswith('data "aws_iam_policy_document" "topic" {\n')
    assert "resources = [aws_sns_topic.alerts.arn]" in printed
    assert "values   = [data.aws_caller_identity.current.account_id]" in printed
    assert "rule/$${aws:username}" in printed


def test_merged_data_document_fix_is_flat(tmp_path: Path) -> None:
    source = find(read(ROOT / "documents"), "aws_sqs_queue_policy.jobs")
    printed = round_trip("documents", tmp_path, "aws_sqs_queue_policy.jobs", source.document)
    assert "source_policy_documents" not in printed
    assert printed.count("statement {") == 4
    assert 'type        = "*"' in printed


def test_lambda_fix_is_the_permission_block(tmp_path: Path) -> None:
    source = find(read(ROOT / "lambda"), "aws_lambda_permission.from_s3")
    fixed = with_source_account(source.document, OWNER)
    fixed["Statement"][0]["Condition"]["StringEquals"] = {"AWS:SourceAccount": OWNER}
    printed = round_trip("lambda", tmp_path, "aws_lambda_permission.from_s3", fixed)
    assert printed.startswith('resource "aws_lambda_permission" "from_s3" {\n')
    assert "function_name = aws_lambda_function.processor.function_name" in printed
    assert "source_arn = aws_s3_bucket.uploads.arn" in printed
    assert f'source_account = "{OWNER}"' in printed


def test_lambda_fix_that_the_resource_cannot_express_is_refused() -> None:
    source = find(read(ROOT / "lambda"), "aws_lambda_permission.from_s3")
    fixed = copy.deepcopy(source.document)
    fixed["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}  # type: ignore[index]
    with pytest.raises(
        RewriteError, match="cannot express the condition StringEquals aws:SourceOrgID"
    ):
        render_fix(source, fixed)
    two = copy.deepcopy(source.document)
    two["Statement"].append(two["Statement"][0])  # type: ignore[index, union-attr]
    with pytest.raises(RewriteError, match="exactly one statement"):
        render_fix(source, two)


def test_symbolic_owner_is_never_written_as_an_account_id(tmp_path: Path) -> None:
    source = find(read(ROOT / "literal", SYMBOLIC_OWNER), "aws_s3_bucket_policy.trail")
    fixed = with_source_account(source.document, SYMBOLIC_OWNER)
    printed = render_fix(source, fixed)
    assert SYMBOLIC_OWNER not in printed
    assert printed.startswith('# add to the module: data "aws_caller_identity" "current" {}\n')
    assert '"aws:SourceAccount" = data.aws_caller_identity.current.account_id' in printed
    hcl2.loads(printed)


def test_unknown_value_without_its_expression_is_refused() -> None:
    source = find(read(ROOT / "literal"), "aws_s3_bucket_policy.trail")
    fixed = with_source_account(source.document, "deputyguard-unknown-999")
    with pytest.raises(RewriteError, match="only known when Terraform runs"):
        render_fix(source, fixed)


def test_plan_policy_fix_is_printed_as_jsonencode() -> None:
    text = (ROOT / "plan" / "plan.json").read_text(encoding="utf-8")
    sources, _ = read_terraform_plan("plan.json", text, owner=OWNER)
    source = find(sources, "aws_s3_bucket_policy.logs")
    printed = render_fix(source, source.document)
    assert printed.startswith("policy = jsonencode({")
    assert hcl2.loads(printed)["policy"]
    with pytest.raises(RewriteError, match="a plan cannot be rewritten"):
        rewrite_terraform(ROOT / "plan" / "plan.json", [(source, source.document)])


def test_fix_without_the_readers_record_uses_the_file(tmp_path: Path) -> None:
    directory = copy_module("literal", tmp_path)
    source = find(read(directory), "aws_sns_topic_policy.alarms")
    fresh = PolicySource(
        file=source.file,
        pointer=source.pointer,
        name=None,
        document=source.document,
        positions=source.positions,
        duplicates=(),
        all_values={},
        policy_type=source.policy_type,
        text="",
        resource="other",
        owner=OWNER,
        origin="terraform",
    )
    assert render_fix(fresh, source.document).startswith("policy = <<-EOF\n")


# -- rewrite_terraform ----------------------------------------------------------------------------


def changed_span(before: str, after: str) -> tuple[int, int, int]:
    """(start, end in before, end in after) of the one region that differs."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    return start, len(before) - end, len(after) - end


@pytest.mark.parametrize(
    ("resource", "opening"),
    [("aws_s3_bucket_policy.trail", "jsonencode({"), ("aws_sns_topic_policy.alarms", "<<-EOF")],
)
def test_rewrite_replaces_only_the_literal_policy(
    tmp_path: Path, resource: str, opening: str
) -> None:
    directory = copy_module("literal", tmp_path)
    path = directory / "main.tf"
    source = find(read(directory), resource)
    fixed = with_source_account(source.document, OWNER)
    before, after = rewrite_terraform(path, [(source, fixed)])
    assert before == path.read_text(encoding="utf-8")
    start, end, _ = changed_span(before, after)
    policy_start, policy_end = span(path, source)
    value_start = before.index(opening, policy_start)
    assert value_start <= start and end <= policy_end
    assert "# trailing comment stays too" in after and "# The comment above" in after
    path.write_text(after, encoding="utf-8")
    hcl2.loads(after)
    again = find(read(directory), resource)
    assert normalized(again.document) == normalized(fixed)
    assert f'"{OWNER}"' in after[start:]


def test_rewrite_two_policies_of_one_file(tmp_path: Path) -> None:
    directory = copy_module("literal", tmp_path)
    path = directory / "main.tf"
    sources = read(directory)
    changes = [
        (s, with_source_account(s.document, OWNER))
        for s in sources
        if s.resource in ("aws_s3_bucket_policy.trail", "aws_sns_topic_policy.alarms")
    ]
    _, after = rewrite_terraform(path, changes)
    path.write_text(after, encoding="utf-8")
    again = {s.resource: s for s in read(directory)}
    for source, fixed in changes:
        assert normalized(again[source.resource].document) == normalized(fixed)
    computed = again["aws_sqs_queue_policy.computed"]
    assert computed.document == find(sources, "aws_sqs_queue_policy.computed").document


def test_rewrite_refuses_policies_built_from_expressions(tmp_path: Path) -> None:
    directory = copy_module("literal", tmp_path)
    source = find(read(directory), "aws_sqs_queue_policy.computed")
    with pytest.raises(RewriteError, match="paste the printed HCL"):
        rewrite_terraform(directory / "main.tf", [(source, source.document)])
    resources = copy_module("resources", tmp_path)
    topic = find(read(resources), "aws_sns_topic_policy.alerts")
    with pytest.raises(RewriteError, match="paste the printed HCL"):
        rewrite_terraform(Path(topic.file), [(topic, topic.document)])


def test_rewrite_of_a_literal_with_the_symbolic_owner(tmp_path: Path) -> None:
    directory = copy_module("literal", tmp_path)
    path = directory / "main.tf"
    source = find(read(directory, SYMBOLIC_OWNER), "aws_s3_bucket_policy.trail")
    fixed = with_source_account(source.document, SYMBOLIC_OWNER)
    with pytest.raises(RewriteError, match="--account"):
        rewrite_terraform(path, [(source, fixed)])
    path.write_text(path.read_text() + '\ndata "aws_caller_identity" "me" {}\n', encoding="utf-8")
    _, after = rewrite_terraform(path, [(source, fixed)])
    assert '"aws:SourceAccount" = data.aws_caller_identity.me.account_id' in after
    assert SYMBOLIC_OWNER not in after


def test_rewrite_of_a_json_file_read_with_file(tmp_path: Path) -> None:
    directory = copy_module("resources", tmp_path)
    source = find(read(directory), "aws_kms_key.logs")
    fixed = copy.deepcopy(source.document)
    fixed["Statement"][0]["Condition"] = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "x"}}  # type: ignore[index]
    before, after = rewrite_terraform(Path(source.file), [(source, fixed)])
    assert before == Path(source.file).read_text()
    Path(source.file).write_text(after)
    assert find(read(directory), "aws_kms_key.logs").document == fixed
    template = find(read(directory), "aws_kms_key_policy.logs")
    with pytest.raises(RewriteError, match="template"):
        rewrite_terraform(Path(template.file), [(template, template.document)])


def test_rewrite_errors_for_unreadable_or_broken_files(tmp_path: Path) -> None:
    source = find(read(ROOT / "literal"), "aws_s3_bucket_policy.trail")
    with pytest.raises(RewriteError, match="cannot read"):
        rewrite_terraform(tmp_path / "absent.tf", [(source, source.document)])
    broken = tmp_path / "broken.tf"
    broken.write_text("resource {", encoding="utf-8")
    with pytest.raises(RewriteError, match="line 1"):
        rewrite_terraform(broken, [(source, source.document)])


def test_hcl_nodes_cover_blocks_and_attributes() -> None:
    """The span helper above relies on these node kinds."""
    path = ROOT / "literal" / "main.tf"
    body = parse_hcl(SourceFile(path, "main.tf", path.read_text()))
    assert all(isinstance(b, Block) for b in body.blocks)
    assert all(isinstance(a, Attribute) for b in body.blocks for a in b.body.attributes.values())


def test_string_and_file_policies_are_printed_as_jsonencode() -> None:
    sources = read(ROOT / "resources")
    for resource in ("aws_sns_topic.inline", "aws_kms_key.logs", "aws_kms_key_policy.logs"):
        source = find(sources, resource)
        printed = render_fix(source, source.document)
        assert printed.startswith("policy = jsonencode({\n"), resource
        assert hcl2.loads(printed)["policy"]


def test_symbolic_owner_in_a_data_block_brings_the_caller_identity_block(tmp_path: Path) -> None:
    directory = tmp_path / "module"
    directory.mkdir()
    (directory / "main.tf").write_text(
        'data "aws_iam_policy_document" "d" {\n'
        "  statement {\n"
        '    actions = ["sns:Publish"]\n'
        '    resources = ["*"]\n'
        "    principals {\n"
        '      type = "Service"\n'
        '      identifiers = ["events.amazonaws.com"]\n'
        "    }\n"
        "  }\n"
        "}\n"
        'resource "aws_sns_topic_policy" "t" {\n'
        '  arn = "x"\n'
        "  policy = data.aws_iam_policy_document.d.json\n"
        "}\n",
        encoding="utf-8",
    )
    source = find(read(directory, SYMBOLIC_OWNER), "aws_sns_topic_policy.t")
    fixed = with_source_account(source.document, SYMBOLIC_OWNER)
    printed = render_fix(source, fixed)
    assert printed.startswith(
        'data "aws_caller_identity" "current" {}\n\ndata "aws_iam_policy_document" "d" {'
    )
    assert SYMBOLIC_OWNER not in printed
    paste(directory / "main.tf", source, printed)
    again = find(read(directory, SYMBOLIC_OWNER), "aws_sns_topic_policy.t")
    assert normalized(again.document) == normalized(fixed)


def test_plain_heredoc_keeps_its_marker(tmp_path: Path) -> None:
    directory = tmp_path / "module"
    directory.mkdir()
    (directory / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  policy = <<POLICY\n'
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::b/$${aws:username}/*"}]}\nPOLICY\n}\n',
        encoding="utf-8",
    )
    source = find(read(directory), "aws_iam_policy.p")
    assert source.document["Statement"][0]["Resource"] == "arn:aws:s3:::b/${aws:username}/*"  # type: ignore[index]
    _, after = rewrite_terraform(directory / "main.tf", [(source, source.document)])
    assert "<<POLICY\n{\n" in after and after.endswith("\nPOLICY\n}\n")
    assert "$${aws:username}" in after
    (directory / "main.tf").write_text(after, encoding="utf-8")
    assert find(read(directory), "aws_iam_policy.p").document == source.document
