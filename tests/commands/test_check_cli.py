"""`deputyguard check` and `deputyguard rules` as cli.md specifies them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, PolicyInput
from deputyguard.analysis.catalog import RULES
from deputyguard.cli import main
from deputyguard.policy.model import PolicyType

SCHEMA = Path(__file__).parents[1] / "report" / "data" / "sarif-schema-2.1.0.json"
TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"


def topic_policy(condition: dict[str, Any] | None = None, sid: str = "AllowAlarms") -> dict:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": TOPIC,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


GOOD = topic_policy({"StringEquals": {"aws:SourceAccount": "111122223333"}})
BAD = topic_policy()


def write(path: Path, document: Any, indent: int = 2) -> Path:
    path.write_text(json.dumps(document, indent=indent))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_contract_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "good.json", GOOD)
    write(tmp_path / "bad.json", BAD)
    code, out, _ = run(capsys, "check", str(tmp_path), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert set(report) == {"tool", "findings", "verdicts", "errors", "summary"}
    assert report["tool"]["name"] == "deputyguard"
    verdicts = {Path(v["file"]).name: v["verdict"] for v in report["verdicts"]}
    assert verdicts == {"good.json": "PASS", "bad.json": "FAIL"}
    (finding,) = report["findings"]
    assert finding["rule"] == "DG001" and finding["severity"] == "high"
    assert finding["statement"] == {"index": 0, "sid": "AllowAlarms"}
    assert finding["line"] == 4 and finding["pointer"] == "/Statement/0"
    assert finding["counterexample"]["context"]["aws:SourceAccount"] != "111122223333"
    assert report["summary"]["findings"]["high"] == 1
    code, _, _ = run(capsys, "check", str(tmp_path), "--fail-on", "critical")
    assert code == 0


def test_counterexample_replays_with_simulate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "bad.json", BAD)
    _, out, _ = run(capsys, "check", str(tmp_path), "--format", "json")
    finding = json.loads(out)["findings"][0]
    case = {
        "id": "replay",
        "request": finding["counterexample"],
        "policies": {"resource": BAD},
        "expect": "Allowed",
    }
    (tmp_path / "replay.jsonl").write_text(json.dumps(case) + "\n")
    code, out, err = run(capsys, "simulate", str(tmp_path / "replay.jsonl"))
    assert code == 0, err
    assert json.loads(out)["decision"] == "Allowed"


def test_sarif_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "bad.json", BAD)
    (tmp_path / "broken.json").write_text('{"Statement": [')
    code, out, _ = run(capsys, "check", str(tmp_path), "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "DG001"
    assert result["partialFingerprints"]
    notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("broken.json" in json.dumps(n) for n in notifications)


def test_bad_inputs_are_reported_and_the_rest_is_analyzed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "good.json", GOOD)
    (tmp_path / "broken.json").write_text('{"Statement": [')
    (tmp_path / "binary.json").write_bytes(b"\x00\x01\x02" * 100)
    write(tmp_path / "not-a-policy.json", [1, 2, 3])
    loop = tmp_path / "loop"
    loop.mkdir()
    os.symlink(loop, loop / "again")
    # A folder search skips JSON that is plainly no policy (package.json…); named files are not.
    code, out, _ = run(
        capsys, "check", str(tmp_path), str(tmp_path / "not-a-policy.json"), "--format", "json"
    )
    report = json.loads(out)
    assert code == 3
    assert [Path(v["file"]).name for v in report["verdicts"]] == ["good.json"]
    errors = " ".join(f"{e['file']}: {e['message']}" for e in report["errors"])
    for name in ("broken.json", "binary.json", "not-a-policy.json"):
        assert name in errors


def test_nothing_readable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "missing.json"))
    assert code == 2
    assert "missing.json" in err or "no input" in err


def test_select_and_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "bad.json", BAD)
    code, out, _ = run(capsys, "check", str(tmp_path), "--format", "json", "--ignore", "DG001")
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run(capsys, "check", str(tmp_path), "--format", "json", "--select", "DG002")
    assert code == 0 and json.loads(out)["findings"] == []


def test_baseline_survives_reformatting_and_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policies" / "topic.json"
    policy.parent.mkdir()
    write(policy, BAD)
    baseline = tmp_path / "baseline.json"
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "check", "policies", "--baseline", str(baseline), "--write-baseline")
    assert code == 0 and baseline.is_file()
    # Reformat the file and put an unrelated statement in front: still nothing new.
    moved = dict(BAD)
    moved["Statement"] = [
        {
            "Sid": "Other",
            "Effect": "Allow",
            "Principal": {"AWS": "111122223333"},
            "Action": "sns:Subscribe",
            "Resource": TOPIC,
        },
        *BAD["Statement"],
    ]
    write(policy, moved, indent=8)
    code, out, err = run(
        capsys, "check", "policies", "--baseline", str(baseline), "--format", "json"
    )
    assert code == 0, out
    assert json.loads(out)["findings"] == []
    assert "already in the baseline" in err


def test_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "DG002" in out and "forallvalues-vacuous" in out
    code, out, _ = run(capsys, "rules", "DG002", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "DG002" and data["bad_example"] and data["good_example"]
    code, _, err = run(capsys, "rules", "DG999")
    assert code == 2 and "DG999" in err


ANALYZABLE = [r for r in RULES if r.example_type in ("resource", "trust")]


@pytest.mark.parametrize("info", ANALYZABLE, ids=[r.id for r in ANALYZABLE])
def test_rule_examples_behave_as_documented(info: Any) -> None:
    """The bad example of each rule gets that rule; the good example passes."""
    from deputyguard.org import load_org

    org = load_org(Path(__file__).parents[1] / "analysis" / "corpus" / "org.yaml")
    analyzer = Analyzer(
        AnalysisSettings(owner="111122223333", org=org, trusted_accounts=org.trusted_accounts)
    )
    kind = PolicyType(info.example_type)
    # DG020's example holds a value a template leaves unknown, as the IaC readers mark it.
    unknowns = dict.fromkeys(
        re.findall(r"deputyguard-unknown-[0-9]+", json.dumps(info.bad_example)),
        "parameter Peer has no default",
    )
    bad = analyzer.analyze(PolicyInput("bad.json", "", info.bad_example, kind, unknowns=unknowns))
    good = analyzer.analyze(PolicyInput("good.json", "", info.good_example, kind))
    assert info.id in {f.rule for f in bad.findings}, [f.rule for f in bad.findings]
    assert good.verdict is not None and good.verdict.verdict.value == "PASS", [
        (f.rule, f.message) for f in good.findings
    ]


def test_config_file_and_per_path_ignores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "legacy").mkdir()
    write(tmp_path / "legacy" / "bad.json", BAD)
    (tmp_path / ".deputyguard.toml").write_text(
        'fail-on = "critical"\n'
        "[[per-path-ignores]]\n"
        'path = "legacy/*.json"\n'
        'rules = ["DG001"]\n'
        'reason = "known, tracked in TICKET-1"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "legacy", "--format", "json")
    assert code == 0
    assert json.loads(out)["findings"] == []
    (tmp_path / ".deputyguard.toml").write_text(
        '[[per-path-ignores]]\npath = "legacy/*.json"\nrules = ["DG001"]\n'
    )
    code, _, err = run(capsys, "check", "legacy")
    assert code == 2
    assert "reason" in err
