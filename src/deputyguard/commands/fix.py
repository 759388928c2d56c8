"""`deputyguard fix`: propose, verify and apply the smallest repair (cli.md `fix`, issue 5).

Takes the same inputs and trust options as `check`. For every policy with high/critical findings
it builds one repaired document (each finding repaired in turn), verifies it with the engine
(`fix.verify`), and offers it only if every check holds; otherwise the finding is `unfixed` with
the reason. `--diff` prints a unified diff, `--write` edits the file in place keeping its
indentation and key order, `--format json` prints `{"fixes": [...], "unfixed": [...]}`.
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from deputyguard.analysis.analyze import Analyzer, PolicyInput
from deputyguard.analysis.model import Finding, Severity
from deputyguard.commands.check import add_input_arguments, read_inputs
from deputyguard.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from deputyguard.config import ConfigError
from deputyguard.fix.repair import RepairSettings, Scope, Unfixable, propose
from deputyguard.fix.verify import verify
from deputyguard.org import OrgModelError
from deputyguard.sources.policy_files import PolicySource


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--scope", choices=[s.value for s in Scope], default="account")
    parser.add_argument("--ou", help="with --scope ou: the OU whose accounts may be sources")
    parser.add_argument("--source-arn", help="with --scope source-arn: the one source resource")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--diff", action="store_true", help="print a unified diff")
    output.add_argument("--write", action="store_true", help="edit the files in place")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run_fix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        inputs = read_inputs(args)
    except (ConfigError, OrgModelError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    settings, sources, errors = inputs.settings, inputs.sources, inputs.errors
    for error in errors:
        err.write(f"error: {error.file}: {error.message}\n")
    if not sources and errors:
        return EXIT_USAGE
    repair = RepairSettings(
        scope=Scope(args.scope),
        owner=settings.owner,
        org=settings.org,
        trusted_accounts=tuple(sorted(settings.trusted_accounts)),
        ou=args.ou,
        source_arn=args.source_arn,
    )
    analyzer = Analyzer(settings)
    fixes: list[dict[str, Any]] = []
    unfixed: list[dict[str, Any]] = []
    edits: dict[str, list[tuple[PolicySource, dict[str, Any]]]] = defaultdict(list)
    for source in sources:
        item = PolicyInput(
            source.file,
            source.pointer,
            source.document,
            source.policy_type,
            source.name,
            positions=source.positions,
        )
        analysis = analyzer.analyze(item)
        serious = [f for f in analysis.findings if f.severity in (Severity.HIGH, Severity.CRITICAL)]
        if not serious:
            continue
        document, problems = _repair_all(source.document, serious, repair, settings.owner)
        if document is None:
            unfixed.extend(problems)
            continue
        verification = verify(analyzer, item, document, serious)
        if not verification.verified:
            unfixed.append(
                _unfixed(source.file, source.pointer, serious, "; ".join(verification.reasons))
            )
            continue
        fixes.append(
            {
                "file": source.file,
                "pointer": source.pointer,
                "rules": sorted({f.rule for f in serious}),
                "policy": document,
                "verified": True,
                "checks": verification.checks,
            }
        )
        edits[source.file].append((source, document))
    return _output(args, fixes, unfixed, edits, out, err)


def _repair_all(
    document: Any, findings: list[Finding], repair: RepairSettings, owner: str | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    current: Any = document
    for finding in findings:
        try:
            current = propose(current, finding, _for_finding(repair, finding, owner))
        except Unfixable as exc:
            return None, [
                _unfixed(finding.location.file, finding.policy_pointer, [finding], str(exc))
            ]
    return current, []


def _for_finding(repair: RepairSettings, finding: Finding, owner: str | None) -> RepairSettings:
    """The owner inferred from the policy (counterexample's resource account) when not given."""
    if repair.owner is not None or finding.counterexample is None:
        return repair
    inferred = finding.counterexample.get("resourceAccount") or owner
    return RepairSettings(
        repair.scope, inferred, repair.org, repair.trusted_accounts, repair.ou, repair.source_arn
    )


def _unfixed(
    file: str | None, pointer: str, findings: list[Finding], reason: str
) -> dict[str, Any]:
    return {
        "file": file,
        "pointer": pointer,
        "rules": sorted({f.rule for f in findings}),
        "reason": reason,
    }


def _output(
    args: argparse.Namespace,
    fixes: list[dict[str, Any]],
    unfixed: list[dict[str, Any]],
    edits: dict[str, list[tuple[PolicySource, dict[str, Any]]]],
    out: TextIO,
    err: TextIO,
) -> int:
    if args.format == "json":
        out.write(json.dumps({"fixes": fixes, "unfixed": unfixed}, indent=2) + "\n")
    for file, changes in edits.items():
        try:
            before, after = _rewrite(Path(file), changes)
        except UsageError as exc:
            err.write(f"error: {exc}\n")
            continue
        if args.diff:
            out.writelines(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    after.splitlines(keepends=True),
                    fromfile=f"a/{file}",
                    tofile=f"b/{file}",
                )
            )
        elif args.write:
            Path(file).write_text(after, encoding="utf-8")
            err.write(f"fixed {file}\n")
    if args.format == "text" and not args.diff:
        for fix in fixes:
            out.write(
                f"{fix['file']}{fix['pointer'] or ''}: {', '.join(fix['rules'])} fixed "
                "and verified\n"
            )
        for item in unfixed:
            out.write(
                f"{item['file']}{item['pointer'] or ''}: {', '.join(item['rules'])} not "
                f"fixed: {item['reason']}\n"
            )
    return EXIT_FINDINGS if unfixed else EXIT_OK


def _rewrite(path: Path, changes: list[tuple[PolicySource, dict[str, Any]]]) -> tuple[str, str]:
    """The file before and after, re-serialised with its own indentation; key order is kept
    because decoding keeps it."""
    before = path.read_text(encoding="utf-8")
    whole: Any = json.loads(before)
    for source, document in changes:
        whole = _replace_at(whole, source.pointer, document)
    indent = _indent_of(before)
    after = json.dumps(whole, indent=indent, ensure_ascii=False) + (
        "\n" if before.endswith("\n") else ""
    )
    return before, after


def _replace_at(whole: Any, pointer: str, document: Any) -> Any:
    if not pointer:
        return document
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node = whole
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last = tokens[-1]
    if isinstance(node, list):
        node[int(last)] = document
    elif isinstance(node.get(last), str):
        raise UsageError(f"the policy at {pointer} is a JSON string; print it with --format json")
    else:
        node[last] = document
    return whole


def _indent_of(text: str) -> int | None:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped and len(stripped) != len(line):
            return len(line) - len(stripped)
    return None if "\n" not in text.strip() else 2
