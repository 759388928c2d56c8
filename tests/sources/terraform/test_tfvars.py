"""Variable values from the definitions files Terraform loads itself (terraform.tfvars,
terraform.tfvars.json, *.auto.tfvars[.json] in lexical order), their precedence over defaults,
and every way such a file goes bad (the module is still read)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deputyguard.analysis.model import InputError
from deputyguard.cli import main
from deputyguard.sources.inputs import read_paths
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import read_terraform_module
from deputyguard.sources.terraform.tfvars import variable_files
from sources.terraform.helpers import OWNER, ROOT, at, shown, where

TFVARS = ROOT / "tfvars"


TOPIC_UNKNOWN = (
    "aws_sns_topic_policy.alerts: the policy is only known when Terraform runs: variable "
    "topic_policy has no default (variables.tf line 11)"
)
"""Reported (never skipped) when no definitions file gives the topic its policy."""


def read(directory: Path) -> tuple[dict[str, PolicySource], list[InputError]]:
    """Sources by resource, and the errors besides `TOPIC_UNKNOWN` (with or without a note)."""
    sources, errors = read_terraform_module(
        directory, sorted(directory.glob("*.tf")), owner=OWNER, display=shown
    )
    return {s.resource or "": s for s in sources}, [
        e for e in errors if not e.message.startswith(TOPIC_UNKNOWN)
    ]


def source_arn(source: PolicySource) -> Any:
    return source.document["Statement"][0]["Condition"]["StringEquals"]["aws:SourceArn"]  # type: ignore[index]


def module_without_definitions(tmp_path: Path, **files: str) -> Path:
    """The tfvars fixture's .tf files, with `files` as its only definitions files."""
    for path in TFVARS.glob("*.tf"):
        shutil.copy(path, tmp_path / path.name)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# -- which files, in which order ------------------------------------------------------------------


def test_only_the_files_terraform_loads_itself_in_its_order() -> None:
    assert [p.name for p in variable_files(TFVARS)] == [
        "terraform.tfvars",
        "terraform.tfvars.json",
        "a.auto.tfvars",
        "b.auto.tfvars.json",
    ]


def test_later_files_win_and_var_files_are_not_loaded() -> None:
    sources, errors = read(TFVARS)
    assert errors == []
    logs = sources["aws_s3_bucket_policy.logs"]
    # terraform.tfvars < terraform.tfvars.json < a.auto.tfvars < b.auto.tfvars.json; the
    # production.tfvars values (only read with -var-file) are never used.
    assert source_arn(logs) == f"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main"
    assert logs.unknowns == {}
    assert "999999999999" not in json.dumps(logs.document)


def test_auto_files_sort_lexically_across_both_suffixes(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path,
        **{
            "terraform.tfvars": 'trail_name = "plain"\npeer_account = "444455556666"\n',
            "terraform.tfvars.json": '{"trail_name": "json"}',
            "b.auto.tfvars": 'trail_name = "b-hcl"\n',
            "a.auto.tfvars.json": '{"trail_name": "a-json"}',
        },
    )
    assert [p.name for p in variable_files(module)] == [
        "terraform.tfvars",
        "terraform.tfvars.json",
        "a.auto.tfvars.json",
        "b.auto.tfvars",
    ]
    sources, errors = read(module)
    assert errors == []
    assert source_arn(sources["aws_s3_bucket_policy.logs"]).endswith(":444455556666:trail/b-hcl")


def test_terraform_tfvars_json_overrides_terraform_tfvars(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path,
        **{
            "terraform.tfvars": 'trail_name = "plain"\n',
            "terraform.tfvars.json": '{"trail_name": "json"}',
        },
    )
    sources, _ = read(module)
    assert source_arn(sources["aws_s3_bucket_policy.logs"]).endswith(":trail/json")


# -- values instead of defaults and unknowns ------------------------------------------------------


def test_without_definitions_the_variable_is_unknown_and_the_default_is_used(
    tmp_path: Path,
) -> None:
    module = module_without_definitions(tmp_path)
    found, errors = read_terraform_module(
        module, sorted(module.glob("*.tf")), owner=OWNER, display=shown
    )
    assert [(e.file, e.line, e.message) for e in errors] == [("main.tf", 32, TOPIC_UNKNOWN)]
    sources = {s.resource: s for s in found}
    logs = sources["aws_s3_bucket_policy.logs"]
    [marker] = logs.unknowns
    assert source_arn(logs) == f"arn:aws:cloudtrail:us-east-1:{marker}:trail/default-trail"
    assert logs.unknowns == {marker: "variable peer_account has no default (variables.tf line 1)"}
    # topic_policy has no default either: the policy itself is unknown.
    assert "aws_sns_topic_policy.alerts" not in sources


def test_a_policy_given_in_a_definitions_file_points_at_it() -> None:
    sources, _ = read(TFVARS)
    topic = sources["aws_sns_topic_policy.alerts"]
    assert (topic.file, topic.pointer) == (
        "tfvars/a.auto.tfvars",
        "/resource/aws_sns_topic_policy/alerts/policy",
    )
    assert topic.document["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}  # type: ignore[index]
    assert topic.unknowns == {}
    tfvars = TFVARS / "a.auto.tfvars"
    assert at(topic, "/Statement/0") == (7, 7)
    assert at(topic, "/Statement/0/Principal") == where(tfvars, '{"Service"')
    assert at(topic, "/Statement/0/Action") == where(tfvars, '"sns:Publish"')


def test_scalar_values_stay_at_their_use_in_the_policy() -> None:
    logs = read(TFVARS)[0]["aws_s3_bucket_policy.logs"]
    condition = "/Statement/0/Condition/StringEquals/aws:SourceArn"
    assert at(logs, condition) == where(TFVARS / "main.tf", '"arn:aws:cloudtrail:')
    assert logs.file == "tfvars/main.tf"


# -- bad definitions files ------------------------------------------------------------------------


def test_syntax_error_is_reported_and_the_module_still_read(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path,
        **{
            "terraform.tfvars": 'peer_account = "444455556666"\ntrail_name = \n\n',
            "a.auto.tfvars.json": '{"trail_name": "json"}',
        },
    )
    sources, errors = read(module)
    assert [(e.file, e.line) for e in errors] == [("terraform.tfvars", 2)]
    assert errors[0].message.startswith("HCL syntax error")
    logs = sources["aws_s3_bucket_policy.logs"]
    [marker] = logs.unknowns
    # The broken file's peer_account is missing; the other file's value is still used.
    assert source_arn(logs) == f"arn:aws:cloudtrail:us-east-1:{marker}:trail/json"
    assert logs.unknowns[marker] == (
        "variable peer_account has no default (variables.tf line 1); terraform.tfvars could "
        "not be parsed"
    )


def test_json_syntax_error_has_its_line_and_defaults_are_used(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path, **{"terraform.tfvars.json": '{\n  "trail_name": "x",\n  "peer_account":\n}\n'}
    )
    sources, errors = read(module)
    assert [(e.file, e.line, e.column) for e in errors] == [("terraform.tfvars.json", 4, 1)]
    assert errors[0].message.startswith("invalid JSON")
    assert source_arn(sources["aws_s3_bucket_policy.logs"]).endswith(":trail/default-trail")


def test_references_and_function_calls_are_rejected_like_terraform_does(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path,
        **{
            "terraform.tfvars": (
                'peer_account = "444455556666"\n'
                "trail_name = var.peer_account\n"
                'bucket_name = lower("LOGS")\n'
            ),
        },
    )
    sources, errors = read(module)
    assert [(e.file, e.line, e.column) for e in errors] == [
        ("terraform.tfvars", 2, 14),
        ("terraform.tfvars", 3, 15),
    ]
    assert "var.peer_account" in errors[0].message
    assert "only literal values" in errors[0].message
    logs = sources["aws_s3_bucket_policy.logs"]
    assert source_arn(logs).endswith(":444455556666:trail/default-trail")
    assert logs.document["Statement"][0]["Resource"] == "arn:aws:s3:::example-logs/AWSLogs/*"  # type: ignore[index]


def test_a_block_in_a_definitions_file_is_reported(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path, **{"terraform.tfvars": 'trail_name = "t"\n\nlocals {\n  x = 1\n}\n'}
    )
    sources, errors = read(module)
    assert [(e.file, e.line) for e in errors] == [("terraform.tfvars", 3)]
    assert "'locals' block" in errors[0].message
    assert source_arn(sources["aws_s3_bucket_policy.logs"]).endswith(":trail/t")


def test_values_for_undeclared_variables_are_ignored(tmp_path: Path) -> None:
    module = module_without_definitions(
        tmp_path, **{"terraform.tfvars": 'unused = "x"\ntrail_name = "t"\n'}
    )
    sources, errors = read(module)
    assert errors == []
    assert source_arn(sources["aws_s3_bucket_policy.logs"]).endswith(":trail/t")


# -- discovery and end to end ---------------------------------------------------------------------


def test_a_folder_search_reads_definitions_only_with_their_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A definitions file that holds a policy-looking object is not read as a policy file.
    module = module_without_definitions(
        tmp_path,
        **{
            "terraform.tfvars.json": json.dumps(
                {
                    "peer_account": "444455556666",
                    "unused": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]},
                }
            )
        },
    )
    monkeypatch.chdir(module)
    sources, errors, files = read_paths(["."])
    assert [e.message for e in errors] == [TOPIC_UNKNOWN]
    assert [(s.file, s.resource) for s in sources] == [("main.tf", "aws_s3_bucket_policy.logs")]
    assert files == 1


def test_definitions_files_named_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TFVARS)
    sources, errors, _ = read_paths(
        ["main.tf", "variables.tf", "terraform.tfvars", "b.auto.tfvars.json", "production.tfvars"]
    )
    assert [(e.file, e.message) for e in errors] == [
        (
            "production.tfvars",
            "Terraform variable definitions passed with -var-file are not read (only "
            "terraform.tfvars[.json] and *.auto.tfvars[.json] are loaded automatically)",
        )
    ]
    assert sorted(s.resource or "" for s in sources) == [
        "aws_s3_bucket_policy.logs",
        "aws_sns_topic_policy.alerts",
    ]
    _, alone, _ = read_paths(["terraform.tfvars"])
    assert [e.message for e in alone] == [
        "Terraform variable definitions, not a policy: name the module's folder or its .tf "
        "files to check them"
    ]


def test_check_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(TFVARS), "--format", "json", "--account", OWNER])
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    verdicts = {(Path(v["file"]).name, v["resource"]): v["verdict"] for v in report["verdicts"]}
    assert verdicts == {
        # With peer_account from terraform.tfvars the SourceArn is known: no DG020.
        ("main.tf", "aws_s3_bucket_policy.logs"): "PASS",
        ("a.auto.tfvars", "aws_sns_topic_policy.alerts"): "FAIL",
    }
    topic = [f for f in report["findings"] if f["resource"] == "aws_sns_topic_policy.alerts"]
    assert [(f["rule"], Path(f["file"]).name, f["line"]) for f in topic] == [
        ("DG001", "a.auto.tfvars", 7)
    ]


def test_check_without_definitions_cannot_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = module_without_definitions(tmp_path)
    main(["check", str(module), "--format", "json", "--account", OWNER])
    report = json.loads(capsys.readouterr().out)
    verdicts = {v["resource"]: v["verdict"] for v in report["verdicts"]}
    assert verdicts["aws_s3_bucket_policy.logs"] == "WARN"
    assert "DG020" in {f["rule"] for f in report["findings"]}
