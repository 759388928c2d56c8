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
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from deputyguard.analysis.analyze import Analyzer
from deputyguard.analysis.model import Finding, Severity
from deputyguard.commands.check import as_input, read_inputs
from deputyguard.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from deputyguard.config import ConfigError
from deputyguard.fix.migrate import UntrustedListed, migrate
from deputyguard.fix.repair import RepairSettings, Unfixable, propose
from deputyguard.fix.scope import Scope
from deputyguard.fix.verify import verify
from deputyguard.org import OrgModel, OrgModelError
from deputyguard.sources.iac import RewriteError
from deputyguard.sources.policy_files import PolicySource


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
    base_repair = RepairSettings(
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
    summary = MigrationSummary()
    notes: list[str] = []
    for source in sources:
        # Templates know their owner (the deploying account, symbolic without --account).
        repair = replace(base_repair, owner=base_repair.owner or source.owner)
        if repair.scope in (Scope.ORG, Scope.OU) and settings.org is not None:
            outcome = _try_migration(source, repair, settings.org, args.require_no_loss, notes)
            if outcome is not None:
                kind, entry = outcome
                (fixes if kind == "fix" else unfixed).append(entry)
                if kind == "fix":
                    summary.add(settings.org, entry)
                    edits[source.file].append((source, entry["policy"]))
                continue
        item = as_input(source)
        analysis = analyzer.analyze(item)
        serious = [f for f in analysis.findings if f.severity in (Severity.HIGH, Severity.CRITICAL)]
        if not serious:
            continue
        owned = _with_owner(repair, serious)
        document, problems = _repair_all(source.document, serious, owned)
        if document is None:
            unfixed.extend(problems)
            continue
        verification = verify(
            analyzer, item, document, serious, **_legitimate(owned, settings.org, serious)
        )
        if not verification.verified:
            unfixed.append(
                _unfixed(source.file, source.pointer, serious, "; ".join(verification.reasons))
            )
            continue
        fixes.append(
            {
                "file": source.file,
                "pointer": source.pointer,
                "resource": source.resource,
                "rules": sorted({f.rule for f in serious}),
                "policy": document,
                "verified": True,
                "checks": verification.checks,
            }
        )
        edits[source.file].append((source, document))
    for note in notes:
        err.write(f"note: {note}\n")
    return _output(args, fixes, unfixed, edits, out, err, summary)


class MigrationSummary:
    """Across a directory: per account and per OU, in how many policies access is gained, kept
    or lost, and how many bytes the policies shrink (issue 7, scale)."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, int]] = {}
        self.units: dict[str, dict[str, int]] = {}
        self.policies = 0
        self.bytes_saved = 0

    def add(self, org: OrgModel, entry: dict[str, Any]) -> None:
        migration = entry.get("migration")
        if migration is None:
            return
        self.policies += 1
        self.bytes_saved += migration["bytes_saved"]
        for change, accounts in migration["access_changes"].items():
            for account in accounts:
                self.accounts.setdefault(account, {"gain": 0, "keep": 0, "lose": 0})[change] += 1
                chain = org.parent_chain(account)
                unit = chain[-2] if len(chain) >= 2 else "outside the organization"
                self.units.setdefault(unit, {"gain": 0, "keep": 0, "lose": 0})[change] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "policies": self.policies,
            "bytes_saved": self.bytes_saved,
            "accounts": self.accounts,
            "units": self.units,
        }


def _try_migration(
    source: PolicySource,
    repair: RepairSettings,
    org: OrgModel,
    require_no_loss: bool,
    notes: list[str],
) -> tuple[str, dict[str, Any]] | None:
    policy = source.parse().policy
    if policy is None or not isinstance(source.document, dict):
        return None
    try:
        migration = migrate(source.document, policy, org, repair.scope, repair.ou, repair.owner)
    except UntrustedListed as exc:
        notes.append(f"{source.file}: {exc}")
        return None  # the repair path reports the account as DG010 and removes it visibly
    except Unfixable as exc:
        return "unfixed", {
            "file": source.file,
            "pointer": source.pointer,
            "resource": source.resource,
            "rules": ["DG018"],
            "reason": str(exc),
        }
    if migration is None:
        return None
    if require_no_loss and migration.changes.lose:
        lost = ", ".join(sorted(migration.changes.lose))
        return "unfixed", {
            "file": source.file,
            "pointer": source.pointer,
            "resource": source.resource,
            "rules": ["DG018"],
            "reason": f"--require-no-loss: {lost} would lose access",
            "migration": migration.to_json(),
        }
    return "fix", {
        "file": source.file,
        "pointer": source.pointer,
        "resource": source.resource,
        "rules": ["DG018"],
        "policy": migration.document,
        "verified": True,
        "checks": {"no_foreign_gain": True},
        "migration": migration.to_json(),
    }


def _legitimate(
    repair: RepairSettings, org: OrgModel | None, findings: list[Finding]
) -> dict[str, Any]:
    """Which legitimate sources the fixed policy must still allow, for the chosen scope."""
    owner = repair.owner
    if repair.scope is Scope.SOURCE_ARN and repair.source_arn:
        must_allow = []
        for finding in findings:
            example = finding.counterexample
            if not example or not str(example.get("principal", "")).endswith(".amazonaws.com"):
                continue
            context = {
                k: v
                for k, v in (example.get("context") or {}).items()
                if not k.lower().startswith("aws:source")
            }
            context["aws:SourceArn"] = repair.source_arn
            if owner:
                context["aws:SourceAccount"] = owner
            must_allow.append({**example, "context": context})
        return {"owner_in_scope": False, "must_allow": tuple(must_allow)}
    if repair.scope is Scope.OU and org is not None and owner:
        return {"owner_in_scope": repair.ou in org.parent_chain(owner)}
    return {"owner_in_scope": True}


def _repair_all(
    document: Any, findings: list[Finding], repair: RepairSettings
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    current: Any = document
    for finding in findings:
        try:
            current = propose(current, finding, repair)
        except Unfixable as exc:
            return None, [
                _unfixed(finding.location.file, finding.policy_pointer, [finding], str(exc))
            ]
    return current, []


def _with_owner(repair: RepairSettings, findings: list[Finding]) -> RepairSettings:
    """Without --account, the owner the analyzer inferred for the policy (the resource account
    of its counterexamples); never a guessed account."""
    if repair.owner is not None:
        return repair
    inferred = next(
        (f.counterexample.get("resourceAccount") for f in findings if f.counterexample), None
    )
    return replace(repair, owner=inferred)


def _unfixed(
    file: str | None, pointer: str, findings: list[Finding], reason: str
) -> dict[str, Any]:
    return {
        "file": file,
        "pointer": pointer,
        "resource": findings[0].location.resource if findings else None,
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
    summary: MigrationSummary,
) -> int:
    if args.format == "json":
        document: dict[str, Any] = {"fixes": fixes, "unfixed": unfixed}
        if summary.policies:
            document["migration_summary"] = summary.to_json()
        out.write(json.dumps(document, indent=2) + "\n")
    for file, changes in edits.items():
        try:
            before, after = _rewrite(Path(file), changes)
        except (UsageError, RewriteError) as exc:
            err.write(f"error: {file}: {exc}\n")
            _paste_blocks(changes, err)
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
            _write_fix(out, fix)
        if summary.policies:
            out.write(
                f"{summary.policies} policies migrated, {summary.bytes_saved} bytes "
                "smaller in all\n"
            )
            for unit, counts in sorted(summary.units.items()):
                out.write(
                    f"  {unit}: gains access in {counts['gain']}, keeps it in "
                    f"{counts['keep']}, loses it in {counts['lose']} policies\n"
                )
    if args.format == "text":
        # With --diff/--write stdout is the patch: what was not fixed goes to stderr.
        stream = err if args.diff or args.write else out
        for item in unfixed:
            where = item.get("resource") or item["pointer"] or ""
            stream.write(
                f"{item['file']}{' ' if item.get('resource') else ''}{where}: "
                f"{', '.join(item['rules'])} not fixed: {item['reason']}\n"
            )
    return EXIT_FINDINGS if unfixed else EXIT_OK


def _write_fix(out: TextIO, fix: dict[str, Any]) -> None:
    where = f"{fix['file']}{fix['pointer'] or ''}"
    migration = fix.get("migration")
    if migration is None:
        out.write(f"{where}: {', '.join(fix['rules'])} fixed and verified\n")
        return
    changes = migration["access_changes"]
    out.write(
        f"{where}: account list migrated to organization keys "
        f"({migration['bytes_saved']} bytes smaller)\n"
    )
    for change in ("gain", "keep", "lose"):
        out.write(f"  {change}: {', '.join(changes[change]) or '-'}\n")
    for note in migration["notes"]:
        out.write(f"  note: {note}\n")


def _rewrite(path: Path, changes: list[tuple[PolicySource, dict[str, Any]]]) -> tuple[str, str]:
    """The file before and after. Templates are patched by their own writers (comments and
    intrinsics kept); policy JSON is re-serialised with its own indentation, key order kept
    because decoding keeps it."""
    origin = changes[0][0].origin
    if origin == "cloudformation":
        from deputyguard.sources.cloudformation import rewrite_template

        return rewrite_template(path, changes)
    if origin == "terraform":
        from deputyguard.sources.terraform import rewrite_terraform

        return rewrite_terraform(path, changes)
    before = path.read_text(encoding="utf-8")
    whole: Any = json.loads(before)
    for source, document in changes:
        whole = _replace_at(whole, source.pointer, document)
    indent = _indent_of(before)
    after = json.dumps(whole, indent=indent, ensure_ascii=False) + (
        "\n" if before.endswith("\n") else ""
    )
    return before, after


def _paste_blocks(changes: list[tuple[PolicySource, dict[str, Any]]], err: TextIO) -> None:
    """Where a Terraform policy cannot be edited in place, the block to paste instead."""
    for source, document in changes:
        if source.origin != "terraform":
            continue
        from deputyguard.sources.terraform import render_fix

        try:
            block = render_fix(source, document)
        except RewriteError as exc:
            err.write(f"error: {source.resource}: {exc}; print the policy with --format json\n")
            continue
        err.write(f"replace the policy of {source.resource} with:\n{block}\n")


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
