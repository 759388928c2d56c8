"""The rule catalog (deputyguard.analysis.catalog) and the shape of the analyzer corpus.

The catalog must list DG001…DG020 in order with unique kebab-case slugs, sensible severities, and
examples that are valid policies of their declared type. The corpus (tests/analysis/corpus/) must
be well formed: every policy parses and validates without blocking issues for its policy type,
expected.yaml names every file exactly once, and its expectations are consistent with the
catalog. Whether the analyzer agrees with expected.yaml is test_corpus.py's business.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deputyguard.analysis.catalog import RULES, SEVERITIES, RuleInfo, rule
from deputyguard.org import load_org
from deputyguard.policy.issues import Issue
from deputyguard.policy.jsontext import parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import parse_policy
from deputyguard.policy.validate import validate_policy

CORPUS = Path(__file__).parent / "corpus"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXTENSIONS = {"DG020"}
EXAMPLE_TYPES = {"resource", "rcp", "identity", "scp", "trust"}
ALL_IDS = [f"DG{n:03d}" for n in range(1, 21)]

# Allow + NotPrincipal is what DG013 reports; the validator rightly calls it blocking
# (NOT_PRINCIPAL_REQUIRES_DENY, spec §1.6 S14), and the analyzer still has to evaluate it.
EXPECTED_BLOCKING: dict[str, set[str]] = {}
"""Rule examples the validator may refuse to evaluate. Empty: Allow + NotPrincipal is reported
(NOT_PRINCIPAL_REQUIRES_DENY) but not blocking, so DG013's counterexample replays in simulate."""

# rules.md's severity column says "high / low" for DG015 while its text calls the second case
# (a variable that binds to the owner, e.g. ${aws:ResourceAccount}) `info`; the catalog follows
# the text. Listed here so the discrepancy stays visible until rules.md settles it.
SEVERITY_DISCREPANCIES = {"DG015": {"low"}}


def _blocking(document: Any, policy_type: PolicyType, allowed: set[str]) -> list[Issue]:
    """Blocking issues of `document` as `policy_type`, minus the codes in `allowed`."""
    text = json.dumps(document)
    parsed_json = parse_json(text)
    result = parse_policy(
        parsed_json.value,
        positions=parsed_json.positions,
        duplicates=tuple((d.pointer, d.key) for d in parsed_json.duplicates),
    )
    assert result.policy is not None, result.issues
    issues = [*result.blocking]
    issues += validate_policy(result.policy, policy_type, text=text, blocking_only=True)
    return [i for i in issues if i.code not in allowed]


# --- the catalog ---------------------------------------------------------------------------------


def test_ids_are_sequential_and_unique() -> None:
    assert [r.id for r in RULES] == ALL_IDS


def test_slugs_are_kebab_case_and_unique() -> None:
    slugs = [r.slug for r in RULES]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert SLUG.match(slug), slug


def test_slugs_match_rules_md(shared_dir: Path) -> None:
    """Ids, slugs and typical severities are a contract (rules.md): never drift from it."""
    table = (shared_dir / "spec" / "rules.md").read_text()
    rows = re.findall(r"^\| (DG\d{3}) \| ([a-z0-9-]+) \| ([a-z /]+) \|", table, re.MULTILINE)
    # Rules beyond rules.md's table are deputyguard's own extensions (DG020: values unknown
    # until deployment, issue 6); the shared catalog's ids come first and keep their meaning.
    assert [row[0] for row in rows] == ALL_IDS[: len(rows)]
    assert set(ALL_IDS[len(rows) :]) <= EXTENSIONS
    for rule_id, slug, severity in rows:
        info = rule(rule_id)
        assert info.slug == slug
        listed = severity.split(" / ")
        assert info.severity == min(listed, key=SEVERITIES.index), rule_id
        unexplained = set(listed) - SEVERITY_DISCREPANCIES.get(rule_id, set())
        assert unexplained <= set(info.severities), rule_id


def test_severities() -> None:
    for info in RULES:
        assert info.severity in SEVERITIES, info.id
        assert info.severity in info.severities, info.id
        assert set(info.severities) <= set(SEVERITIES), info.id
        order = [SEVERITIES.index(s) for s in info.severities]
        assert order == sorted(order) and len(set(order)) == len(order), info.id
        assert info.severities[0] == info.severity, "severity is the highest one"
    for two in ("DG003", "DG009", "DG013", "DG015"):
        assert len(rule(two).severities) >= 2, two


@pytest.mark.parametrize("info", RULES, ids=[r.id for r in RULES])
def test_texts(info: RuleInfo) -> None:
    assert info.title and "\n" not in info.title and len(info.title) <= 100
    assert info.title[0].isupper() or info.title[0] in "…`", info.title
    assert 20 <= len(info.summary) <= 400 and "\n" not in info.summary
    assert info.spec.startswith("§")
    for section in re.findall(r"§\d+(?:\.\d+)?", info.spec):
        assert section in info.help, f"{info.id}: help should cite {section}"
    assert "https://" in info.help, f"{info.id}: help should link the AWS documentation"
    assert "**How to fix.**" in info.help
    assert "**What does not fire" in info.help
    assert info.example_type in EXAMPLE_TYPES


@pytest.mark.parametrize("info", RULES, ids=[r.id for r in RULES])
def test_examples_are_valid_policies(info: RuleInfo) -> None:
    policy_type = PolicyType(info.example_type)
    allowed = EXPECTED_BLOCKING.get(info.id, set())
    assert _blocking(info.bad_example, policy_type, allowed) == []
    assert _blocking(info.good_example, policy_type, set()) == []
    assert info.bad_example != info.good_example
    assert json.loads(json.dumps(info.bad_example)) == info.bad_example


def test_allow_with_not_principal_is_reported_but_evaluated() -> None:
    """DG013's example gets the validator's error, yet stays evaluable so its counterexample
    can be replayed with `deputyguard simulate`."""
    info = rule("DG013")
    result = parse_policy(info.bad_example)
    assert result.policy is not None
    issues = validate_policy(result.policy, PolicyType(info.example_type))
    codes = {i.code: i.blocking for i in issues}
    assert codes.get("NOT_PRINCIPAL_REQUIRES_DENY") is False


def test_rule_lookup() -> None:
    assert rule("dg002") is rule("DG002") is rule("forallvalues-vacuous")
    assert rule("FORALLVALUES-VACUOUS").id == "DG002"
    assert rule(" Dg019 ").slug == "org-path-pattern-mismatch"
    for info in RULES:
        assert rule(info.id) is info and rule(info.slug) is info


def test_rule_lookup_error_is_helpful() -> None:
    with pytest.raises(KeyError) as caught:
        rule("forallvalue-vacuous")
    message = str(caught.value)
    assert "forallvalue-vacuous" in message and "'forallvalues-vacuous'" in message
    with pytest.raises(KeyError, match="DG001…DG020"):
        rule("DG021")
    with pytest.raises(KeyError):
        rule("")


def test_rule_info_is_immutable_and_hashable() -> None:
    info = rule("DG001")
    with pytest.raises(AttributeError):
        info.id = "DG999"  # type: ignore[misc]
    assert len({*RULES}) == len(RULES)


# --- the corpus ----------------------------------------------------------------------------------


def _auto_type(document: Any) -> PolicyType:
    """cli.md `auto`: Principal/NotPrincipal ⇒ resource (trust when every action is sts:*)."""
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    if not any("Principal" in s or "NotPrincipal" in s for s in statements):
        return PolicyType.IDENTITY
    actions = [
        a
        for s in statements
        for a in (s.get("Action", []) if isinstance(s.get("Action"), list) else [s.get("Action")])
    ]
    trust = actions and all(isinstance(a, str) and a.lower().startswith("sts:") for a in actions)
    return PolicyType.TRUST if trust else PolicyType.RESOURCE


CASE_KEYS = {
    "file",
    "policy_type",
    "account",
    "org",
    "trusted_accounts",
    "trusted_organizations",
    "verdict",
    "rules",
    "reason",
}


def test_corpus_is_well_formed() -> None:
    data = yaml.safe_load((CORPUS / "expected.yaml").read_text())
    assert set(data) == {"defaults", "cases"}
    defaults, cases = data["defaults"], data["cases"]
    assert defaults == {"account": "111122223333", "org": "org.yaml"}
    assert len(cases) >= 90

    files = [c["file"] for c in cases]
    assert len(set(files)) == len(files), "each policy file has one expectation"
    on_disk = {p.name for p in CORPUS.glob("*.json")}
    assert set(files) == on_disk, "expected.yaml and the .json files must list the same policies"

    known_rules = {r.id for r in RULES}
    orgs = {defaults["org"]}
    for case in cases:
        where = case["file"]
        assert set(case) <= CASE_KEYS and {"file", "verdict", "rules", "reason"} <= set(case)
        assert re.fullmatch(r"(dg0\d\d|pass|trap)-[a-z0-9-]+\.json", where), where
        assert case["verdict"] in ("PASS", "WARN", "FAIL"), where
        assert isinstance(case["rules"], list) and set(case["rules"]) <= known_rules, where
        assert case["rules"] == sorted(set(case["rules"])), f"{where}: sorted, no repeats"
        assert isinstance(case["reason"], str) and "§" in case["reason"], where
        if "account" in case:
            assert re.fullmatch(r"\d{12}", case["account"]), where
        if case.get("org") is not None:
            orgs.add(case.get("org", defaults["org"]))

        document = parse_json((CORPUS / where).read_text(encoding="utf-8")).value
        declared = case.get("policy_type")
        policy_type = PolicyType(declared) if declared else _auto_type(document)
        if declared in ("resource", "trust"):
            assert _auto_type(document) is policy_type, f"{where}: auto type would differ"
        allowed = set().union(*(EXPECTED_BLOCKING.get(r, set()) for r in case["rules"]))
        assert _blocking(document, policy_type, allowed) == [], where

        # the verdict must be reachable with the severities the catalog gives the rules
        severities = {s for r in case["rules"] for s in rule(r).severities}
        if case["verdict"] == "FAIL":
            assert severities & {"critical", "high"}, where
        elif case["verdict"] == "WARN":
            assert severities & {"medium", "low"}, where
        else:
            assert all("info" in rule(r).severities for r in case["rules"]), where

    for name in orgs:
        load_org(CORPUS / name)  # raises OrgModelError on a broken model


def test_corpus_covers_every_rule_severity_and_verdict() -> None:
    cases = yaml.safe_load((CORPUS / "expected.yaml").read_text())["cases"]
    by_rule: dict[str, set[str]] = {}
    for case in cases:
        for r in case["rules"]:
            by_rule.setdefault(r, set()).add(case["verdict"])
    # DG020 needs a value a template leaves unknown: the IaC fixtures cover it (tests/iac).
    assert set(by_rule) == set(ALL_IDS) - EXTENSIONS
    # the two-severity rules appear with both verdicts (high ⇒ FAIL, lower ⇒ WARN/PASS)
    assert by_rule["DG003"] >= {"FAIL", "WARN"}
    assert by_rule["DG009"] >= {"FAIL", "PASS"}
    assert by_rule["DG015"] >= {"FAIL", "PASS"}
    verdicts = [c["verdict"] for c in cases]
    assert {v: verdicts.count(v) for v in ("PASS", "WARN", "FAIL")} == {
        v: verdicts.count(v) for v in set(verdicts)
    }
    assert min(verdicts.count(v) for v in ("PASS", "WARN", "FAIL")) >= 15
    traps = [c for c in cases if c["file"].startswith("trap-")]
    assert len(traps) >= 8
