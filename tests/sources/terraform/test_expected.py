"""The Terraform fixtures against data/terraform/expected.yaml: every policy the reader finds (and
nothing else), where each statement is, and the Terraform rewrites of analyzer corpus cases, whose
documents must equal the JSON cases they translate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.analysis.model import InputError
from deputyguard.sources.iac import SYMBOLIC_OWNER
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform import read_terraform_module, read_terraform_plan
from sources.terraform.helpers import ROOT, shown, statement_lines

CORPUS = Path(__file__).parents[2] / "analysis" / "corpus"
EXPECTED: dict[str, Any] = yaml.safe_load((ROOT / "expected.yaml").read_text(encoding="utf-8"))


def read_module(name: str) -> tuple[list[PolicySource], list[InputError]]:
    directory = ROOT / name
    return read_terraform_module(
        directory, sorted(directory.glob("*.tf")), owner=EXPECTED["owner"], display=shown
    )


MODULES = [pytest.param(m, id=m["module"]) for m in EXPECTED["modules"]]
PLANS = [pytest.param(p, id=p["file"]) for p in EXPECTED["plans"]]
CORPUS_POLICIES = [
    pytest.param(p, id=p["corpus"])
    for m in EXPECTED["modules"]
    if m["module"] == "corpus"
    for p in m["policies"]
]


@pytest.mark.parametrize("module", MODULES)
def test_module_policies_are_exactly_those_listed(module: dict[str, Any]) -> None:
    sources, errors = read_module(module["module"])
    got = [
        {
            "file": s.file,
            "resource": s.resource,
            "pointer": s.pointer,
            "policy_type": s.policy_type.value,
            "statement_lines": statement_lines(s),
            "unknowns": sorted(s.unknowns.values()),
            "name": s.name,
            "origin": s.origin,
            "owner": s.owner,
        }
        for s in sources
    ]
    want = [
        {
            "file": p["file"],
            "resource": p["resource"],
            "pointer": p["pointer"],
            "policy_type": p["policy_type"],
            "statement_lines": p["statement_lines"],
            "unknowns": sorted(p.get("unknowns", [])),
            "name": p.get("name"),
            "origin": "terraform",
            "owner": EXPECTED["owner"],
        }
        for p in module["policies"]
    ]
    assert got == want
    assert [(e.file, e.line, e.column, e.message) for e in errors] == [
        (e["file"], e["line"], e["column"], e["message"]) for e in module["errors"]
    ]


@pytest.mark.parametrize("plan", PLANS)
def test_plan_policies_are_exactly_those_listed(plan: dict[str, Any]) -> None:
    text = (ROOT / plan["file"]).read_text(encoding="utf-8")
    sources, errors = read_terraform_plan(plan["file"], text, owner=SYMBOLIC_OWNER)
    got = [
        (s.resource, s.pointer, s.policy_type.value, statement_lines(s), s.name) for s in sources
    ]
    want = [
        (p["resource"], p["pointer"], p["policy_type"], p["statement_lines"], p.get("name"))
        for p in plan["policies"]
    ]
    assert got == want
    assert [sorted(s.unknowns.values()) for s in sources] == [
        sorted(p.get("unknowns", [])) for p in plan["policies"]
    ]
    assert [(e.line, e.column, e.message) for e in errors] == [
        (e["line"], e["column"], e["message"]) for e in plan["errors"]
    ]
    assert all(e.file == plan["file"] for e in errors)


def _corpus_source(entry: dict[str, Any]) -> PolicySource:
    sources, errors = read_module("corpus")
    assert errors == []
    return next(s for s in sources if s.resource == entry["resource"])


@pytest.mark.parametrize("entry", CORPUS_POLICIES)
def test_corpus_rewrite_yields_the_json_case(entry: dict[str, Any]) -> None:
    source = _corpus_source(entry)
    case = json.loads((CORPUS / entry["corpus"]).read_text(encoding="utf-8"))
    assert source.document == case
    assert source.unknowns == {}


@pytest.mark.parametrize("entry", CORPUS_POLICIES)
def test_corpus_entries_agree_with_the_analyzer_corpus(entry: dict[str, Any]) -> None:
    cases = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))["cases"]
    case = next(c for c in cases if c["file"] == entry["corpus"])
    assert (entry["verdict"], sorted(entry["rules"])) == (case["verdict"], sorted(case["rules"]))
    assert entry["policy_type"] == case["policy_type"]
    assert (entry["first_finding"] is None) == (not case["rules"])


@pytest.mark.parametrize("entry", [p for p in CORPUS_POLICIES if p.values[0]["first_finding"]])
def test_corpus_first_finding_positions_are_in_the_terraform_file(entry: dict[str, Any]) -> None:
    source = _corpus_source(entry)
    finding = entry["first_finding"]
    statement = source.positions[f"{source.pointer}/Statement/{finding['statement']}"]
    assert statement.line == finding["statement_line"]
    assert source.positions[source.pointer + finding["at"]].line == finding["line"]
    assert Path(ROOT / source.file).is_file()
