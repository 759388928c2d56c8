"""`deputyguard check`: find confused-deputy weaknesses in policy files (cli.md, rules.md).

Reads every policy under the given paths, analyzes each with the engine-backed analyzer, applies
rule selection, per-path ignores and the baseline, and prints text, JSON or SARIF. Exit codes:
0 nothing at or above `--fail-on`, 1 findings at or above it, 2 usage error or nothing readable,
3 some inputs could not be read or analyzed (each named in `errors`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from rich.console import Console

from deputyguard import __version__
from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, PolicyAnalysis, PolicyInput
from deputyguard.analysis.baseline import (
    filter_new,
    load_baseline,
    write_baseline,
)
from deputyguard.analysis.catalog import RULES
from deputyguard.analysis.catalog import rule as rule_info
from deputyguard.analysis.model import Finding, InputError, Report, Severity
from deputyguard.commands.common import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from deputyguard.config import Config, ConfigError, load_config
from deputyguard.org import OrgModel, OrgModelError, load_org
from deputyguard.policy.model import PolicyType
from deputyguard.report import render_html, render_json, render_sarif, render_text
from deputyguard.sources.iac import SYMBOLIC_OWNER
from deputyguard.sources.inputs import read_paths
from deputyguard.sources.policy_files import PolicySource

PARALLEL_THRESHOLD = 400
"""Below this many policies a worker pool costs more than it saves."""


@dataclass(frozen=True)
class Inputs:
    config: Config
    settings: AnalysisSettings
    sources: list[PolicySource]
    errors: list[InputError]
    files: int


def read_inputs(args: argparse.Namespace) -> Inputs:
    """Configuration, trust settings and the policies of `add_input_arguments`; raises
    ConfigError / OrgModelError / UsageError for problems the user must fix first."""
    config = load_config(explicit=Path(args.config) if args.config else None)
    settings = _settings(args, config)
    policy_type = None if args.policy_type == "auto" else PolicyType(args.policy_type)
    sources, errors, files = read_paths(
        args.paths,
        policy_type=policy_type,
        exclude=config.exclude,
        owner=settings.owner,
        jobs=getattr(args, "jobs", 1),
    )
    return Inputs(config, settings, sources, list(errors), files)


def _rules(text: str | None, fallback: Sequence[str]) -> tuple[str, ...]:
    if text is None:
        return tuple(r.upper() for r in fallback)
    return tuple(r.strip().upper() for r in text.split(",") if r.strip())


def _settings(args: argparse.Namespace, config: Config) -> AnalysisSettings:
    org_path = args.org or config.org
    org: OrgModel | None = None
    if org_path:
        org = load_org(org_path)
    owner = args.account or config.account
    if owner is not None and not (len(owner) == 12 and owner.isdigit()):
        raise UsageError(f"--account {owner!r}: an account id is 12 digits")
    trusted = frozenset([*config.trusted_accounts, *args.trusted_account])
    if org is not None:
        trusted |= org.trusted_accounts
    trusted_orgs = frozenset([*config.trusted_organizations, *args.trusted_org])
    if org is not None:
        trusted_orgs |= org.trusted_organizations
    return AnalysisSettings(owner, org, trusted, trusted_orgs)


_worker: Analyzer | None = None
_sources: Sequence[PolicySource] = ()


def _init_worker(analyzer: Analyzer, sources: Sequence[PolicySource]) -> None:
    """Workers are forked: they inherit the analyzer and the decoded sources, so only an index
    travels to them and only the findings travel back."""
    global _worker, _sources
    _worker, _sources = analyzer, sources


def _analyze_one(index: int) -> PolicyAnalysis:
    assert _worker is not None
    return _worker.analyze(as_input(_sources[index]))


def as_input(source: PolicySource) -> PolicyInput:
    """What the analyzer needs of a source read from a file or template."""
    return PolicyInput(
        file=source.file,
        pointer=source.pointer,
        document=source.document,
        policy_type=source.policy_type,
        name=source.name,
        resource=source.resource,
        positions=source.positions,
        duplicates=tuple(source.duplicates),
        owner=source.owner,
        unknowns=source.unknowns,
        service=source.service,
    )


def _analyze_all(
    analyzer: Analyzer, sources: Sequence[PolicySource], jobs: int
) -> Iterable[PolicyAnalysis]:
    jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
    _init_worker(analyzer, sources)
    if jobs <= 1 or len(sources) < PARALLEL_THRESHOLD:
        return [_analyze_one(i) for i in range(len(sources))]
    _analyze_one(0)  # load the AWS data once, before forking, so every worker shares it
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        return pool.map(_analyze_one, range(len(sources)), chunksize=64)


def _kept(
    finding: Finding, select: tuple[str, ...], ignore: tuple[str, ...], config: Config
) -> bool:
    if select and finding.rule not in select:
        return False
    if finding.rule in ignore:
        return False
    if finding.location.file is None:
        return True
    ignored = config.ignored_rules(finding.location.file)
    info = rule_info(finding.rule)
    return not (
        {finding.rule, info.slug, "ALL", "*"}
        & {r.upper() if r.upper().startswith("DG") else r for r in ignored}
    )


_OWNER_EXPRESSION = {
    "cloudformation": "${AWS::AccountId}",
    "terraform": "${data.aws_caller_identity.current.account_id}",
}
"""How a template writes its deploying account, for suggestions about a symbolic owner."""


def _in_template_terms(finding: Finding, source: PolicySource) -> Finding:
    """A suggestion to pin the symbolic owner says how the template names its account."""
    expression = _OWNER_EXPRESSION.get(source.origin)
    if expression is None or source.owner != SYMBOLIC_OWNER or not finding.suggestion:
        return finding
    return replace(finding, suggestion=finding.suggestion.replace(SYMBOLIC_OWNER, expression))


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        inputs = read_inputs(args)
    except (ConfigError, OrgModelError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    config, settings, sources = inputs.config, inputs.settings, inputs.sources
    report = Report(errors=inputs.errors, files=inputs.files)
    select = _rules(args.select, config.select)
    ignore = _rules(args.ignore, config.ignore)
    analyzer = Analyzer(settings)
    for source, analysis in zip(sources, _analyze_all(analyzer, sources, args.jobs), strict=True):
        if analysis.error is not None or analysis.verdict is None:
            report.errors.append(
                InputError(source.file, f"{source.pointer or '/'}: {analysis.error}")
            )
            continue
        report.findings.extend(
            _in_template_terms(f, source)
            for f in analysis.findings
            if _kept(f, select, ignore, config)
        )
        report.verdicts.append(analysis.verdict)
    baseline_path = args.baseline or config.baseline
    if args.write_baseline:
        if not baseline_path:
            raise UsageError("--write-baseline needs --baseline FILE")
        write_baseline(Path(baseline_path), report.findings)
        err.write(f"wrote {len(report.findings)} findings to {baseline_path}\n")
        return EXIT_OK
    if baseline_path:
        report.findings, suppressed = filter_new(
            report.findings, load_baseline(Path(baseline_path))
        )
        if suppressed:
            err.write(f"{suppressed} findings already in the baseline were not reported\n")
    _render(args.format, report, out)
    return _exit_code(report, args.fail_on or config.fail_on or "high", err)


def _render(fmt: str, report: Report, out: TextIO) -> None:
    if fmt == "json":
        out.write(render_json(report, version=__version__) + "\n")
    elif fmt == "sarif":
        out.write(render_sarif(report, RULES, version=__version__) + "\n")
    elif fmt == "html":
        out.write(render_html(report, RULES, version=__version__))
    else:
        console = Console(file=out, highlight=False, soft_wrap=False)
        render_text(report, console, RULES)


def _exit_code(report: Report, fail_on: str, err: TextIO) -> int:
    if report.errors and not report.verdicts:
        err.write("error: no input could be read\n")
        return EXIT_USAGE
    threshold = Severity(fail_on).rank
    if any(f.severity.rank >= threshold for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_INCOMPLETE if report.errors else EXIT_OK
