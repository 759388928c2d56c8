"""`deputyguard simulate` as cli.md specifies it: output lines, exit codes, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from deputyguard.cli import main

QUEUE = "arn:aws:sqs:us-east-1:111122223333:inbox"
TOPIC = "arn:aws:sns:us-east-1:444455556666:alerts"


def queue_policy(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "AllowTopic",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def case(case_id: str, context: dict[str, Any], expect: str | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {
        "id": case_id,
        "request": {
            "principal": "sns.amazonaws.com",
            "action": "sqs:SendMessage",
            "resource": QUEUE,
            "context": context,
        },
        "policies": {"resource": queue_policy({"ArnEquals": {"aws:SourceArn": TOPIC}})},
    }
    if expect:
        out["expect"] = expect
    out.update(extra)
    return out


def write_jsonl(path: Path, *items: dict[str, Any] | str) -> Path:
    path.write_text("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    return code, lines, captured.err


def test_one_line_per_case_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_jsonl(
        tmp_path / "c.jsonl",
        case("own", {"aws:SourceArn": TOPIC}),
        "# a comment line",
        case("foreign", {"aws:SourceArn": TOPIC.replace("444455556666", "999988887777")}),
    )
    code, lines, _ = run(capsys, "simulate", str(cases))
    assert code == 0
    assert [(r["id"], r["decision"], r["error"]) for r in lines] == [
        ("own", "Allowed", None),
        ("foreign", "ImplicitlyDenied", None),
    ]
    assert lines[0]["matched"] == [
        {"policy": "resource", "statement": 0, "sid": "AllowTopic", "effect": "Allow"}
    ]


def test_expect_mismatch_exits_1_with_a_readable_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_jsonl(tmp_path / "c.jsonl", case("own", {}, expect="Allowed"))
    code, lines, err = run(capsys, "simulate", str(cases))
    assert code == 1
    assert lines[0]["decision"] == "ImplicitlyDenied"
    assert "case 'own': expected Allowed, got ImplicitlyDenied" in err


def test_invalid_cases_do_not_stop_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_effect = case("bad-effect", {})
    bad_effect["policies"]["resource"]["Statement"][0]["Effect"] = "allow"
    deep = "[" * 10_000 + "]" * 10_000
    cases = write_jsonl(
        tmp_path / "c.jsonl",
        '{"id": "broken", "request": ',
        bad_effect,
        deep,
        case("unknown-action", {})
        | {
            "request": {
                "principal": "sns.amazonaws.com",
                "action": "sqs:SendMessages",
                "resource": QUEUE,
            }
        },
        case("fine", {"aws:SourceArn": TOPIC}),
    )
    code, lines, _ = run(capsys, "simulate", str(cases))
    assert code == 3
    assert [r["decision"] for r in lines] == [None, None, None, None, "Allowed"]
    assert "invalid JSON" in lines[0]["error"]
    assert "INVALID_EFFECT" in lines[1]["error"] and "case-sensitive" in lines[1]["error"]
    assert "depth limit exceeded" in lines[2]["error"]
    assert "unknown action" in lines[3]["error"]


def test_yaml_cases_and_source_derivation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "organization:\n"
        "  id: o-a1b2c3d4e5\n"
        "  root: r-ab12\n"
        "  management_account: '111111111111'\n"
        "  accounts: ['111111111111']\n"
        "  units:\n"
        "    - id: ou-ab12-11111111\n"
        "      accounts: ['111122223333', '444455556666']\n"
    )
    guarded = queue_policy({"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}})
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: in-org\n"
        "  request:\n"
        "    principal: sns.amazonaws.com\n"
        "    action: sqs:SendMessage\n"
        f"    resource: {QUEUE}\n"
        f"    source: {{arn: '{TOPIC}'}}\n"
        f"  policies: {{resource: {json.dumps(guarded)}}}\n"
        "  expect: Allowed\n"
        "- id: outside\n"
        "  request:\n"
        "    principal: sns.amazonaws.com\n"
        "    action: sqs:SendMessage\n"
        f"    resource: {QUEUE}\n"
        "    source: {arn: 'arn:aws:sns:us-east-1:999988887777:alerts'}\n"
        f"  policies: {{resource: {json.dumps(guarded)}}}\n"
        "  expect: ImplicitlyDenied\n"
    )
    code, lines, err = run(capsys, "simulate", str(cases), "--org", str(org), "--explain")
    assert code == 0, err
    assert [r["decision"] for r in lines] == ["Allowed", "ImplicitlyDenied"]
    (statement,) = lines[1]["explain"]["statements"]
    assert statement["conditions"][0]["why"].startswith("key missing")


def test_single_request_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "queue.json"
    policy.write_text(
        json.dumps(queue_policy({"StringEquals": {"aws:SourceAccount": "444455556666"}}))
    )
    code, lines, _ = run(
        capsys,
        "simulate",
        "--policy",
        str(policy),
        "--principal",
        "sns.amazonaws.com",
        "--action",
        "sqs:SendMessage",
        "--resource",
        QUEUE,
        "--source-arn",
        TOPIC,
    )
    assert code == 0
    assert lines[0]["decision"] == "Allowed"


def test_text_format_is_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = write_jsonl(tmp_path / "c.jsonl", case("own", {"aws:SourceArn": TOPIC}, "Allowed"))
    code = main(["simulate", str(cases), "--format", "text", "--explain"])
    out = capsys.readouterr().out
    assert code == 0
    assert "own  Allowed  ✓ as expected" in out
    assert "decided by: resource, statement 0 (AllowTopic): Allow" in out
    assert "ArnEquals aws:SourceArn" in out
    assert "1 case, all as expected" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("", "no cases found")],
)
def test_unreadable_case_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "cases.jsonl"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "simulate", str(path))
    assert code == 2
    assert message in err


def test_invalid_yaml_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("- id: a\n  request: [unclosed\n")
    code, lines, _ = run(capsys, "simulate", str(path))
    assert code == 3
    assert "invalid YAML at line" in lines[0]["error"]


def test_pathological_wildcards_answer_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern = "*a" * 2000 + "*b"
    value = "a" * 200_000
    evil = case("evil", {"aws:SourceArn": value})
    evil["policies"]["resource"] = queue_policy({"StringLike": {"aws:SourceArn": pattern}})
    cases = write_jsonl(tmp_path / "c.jsonl", evil)
    started = time.perf_counter()
    code, lines, _ = run(capsys, "simulate", str(cases))
    assert lines[0]["decision"] == "ImplicitlyDenied"
    assert code == 0
    assert time.perf_counter() - started < 30  # generous: a backtracking matcher never returns


def test_a_one_megabyte_policy_is_evaluated_or_refused_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = case("big", {"aws:SourceArn": TOPIC})
    statement = big["policies"]["resource"]["Statement"][0]
    statement["Condition"]["ArnEquals"]["aws:SourceArn"] = [f"{TOPIC}-{i}" for i in range(20_000)]
    cases = write_jsonl(tmp_path / "c.jsonl", big)
    code, lines, _ = run(capsys, "simulate", str(cases))
    assert code == 0
    assert lines[0]["decision"] == "ImplicitlyDenied"


def test_invalid_org_rcp_is_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "organization:\n"
        "  id: o-a1b2c3d4e5\n"
        "  root: r-ab12\n"
        "  accounts: ['111122223333']\n"
        "  rcps:\n"
        "    - target: r-ab12\n"
        "      policy:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: '*'\n"
        "            Action: 's3:*'\n"
        "            Resource: '*'\n"
        "            Condition: {Bool: {aws:PrincipalIsAWSService: 'true'}}\n"
    )
    cases = write_jsonl(tmp_path / "c.jsonl", case("own", {"aws:SourceArn": TOPIC}))
    code, lines, _ = run(capsys, "simulate", str(cases), "--org", str(org))
    assert code == 3
    assert "org.yaml" in lines[0]["error"]
    assert "RCP_SYNTAX_ERROR_ALLOW" in lines[0]["error"]
    assert "line 10" in lines[0]["error"]


def test_invalid_org_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("organization:\n  id: o-BAD\n  root: r-ab12\n")
    cases = write_jsonl(tmp_path / "c.jsonl", case("own", {}))
    code, _, err = run(capsys, "simulate", str(cases), "--org", str(org))
    assert code == 2
    assert "org.yaml:2" in err


def test_a_binary_file_gives_errors_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(bytes(range(256)) * 4)
    code, lines, _ = run(capsys, "simulate", str(path))
    assert code == 3
    assert lines and all(r["decision"] is None and "invalid JSON" in r["error"] for r in lines)


def test_a_broken_json_array_file_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.json"
    path.write_text('[{"id": "a"}, {"id": ')
    code, lines, _ = run(capsys, "simulate", str(path))
    assert code == 3
    assert "invalid JSON array of cases" in lines[0]["error"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["request"].update(action=7), "request.action must be a non-empty string"),
        (lambda c: c["request"].update(context=["x"]), "request.context must be an object"),
        (lambda c: c.update(policies=[]), "policies must be an object"),
        (lambda c: c["policies"].update(identity="x"), "policies.identity must be a list"),
        (lambda c: c["policies"].update(extra={}), "policies.extra: unknown member"),
        (
            lambda c: c["request"].update(source={"arn": 5}),
            "request.source is only for requests made by a service principal",
        ),
    ],
)
def test_wrong_types_name_the_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Any, message: str
) -> None:
    bad = case("bad", {})
    if "source" in message:
        bad["request"]["principal"] = "arn:aws:iam::111122223333:role/R"
    mutate(bad)
    cases = write_jsonl(tmp_path / "c.jsonl", bad, case("fine", {"aws:SourceArn": TOPIC}))
    code, lines, _ = run(capsys, "simulate", str(cases))
    assert code == 3
    assert message in lines[0]["error"]
    assert lines[1]["decision"] == "Allowed"


def test_parallel_run_keeps_order_and_matches_the_serial_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [case(f"c{i}", {"aws:SourceArn": TOPIC if i % 3 else TOPIC + "x"}) for i in range(2600)]
    cases = write_jsonl(tmp_path / "c.jsonl", *items)
    _, serial, _ = run(capsys, "simulate", str(cases), "--jobs", "1")
    _, parallel, _ = run(capsys, "simulate", str(cases), "--jobs", "2")
    assert [r["id"] for r in parallel] == [f"c{i}" for i in range(2600)]
    assert parallel == serial
