"""The terminal report of `check`: findings grouped by file, the way Ruff and Semgrep print them.

Colour comes only from rich styles, so `Console(no_color=True)` (or a pipe) gives plain text, and
every line is printed unwrapped so that one finding's head stays greppable as one line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from rich.console import Console
from rich.text import Text

from deputyguard.analysis.model import Finding, InputError, PolicyVerdict, Report, Severity, Verdict

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold magenta",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "blue",
}
VERDICT_STYLE = {Verdict.FAIL: "bold red", Verdict.WARN: "bold yellow", Verdict.PASS: "bold green"}
MAX_SNIPPET_LINES = 6
INDENT = "    "

# Source keys worth naming in a one-line counterexample, with how to phrase each (lower-case:
# condition key names are case-insensitive).
_SOURCE_PHRASES = (
    ("aws:sourcearn", "{}"),
    ("aws:sourceaccount", "account {}"),
    ("aws:sourceorgid", "org {}"),
    ("aws:sourceorgpaths", "org path {}"),
    ("aws:sourceowner", "owner {}"),
)


class RuleInfoLike(Protocol):
    """What the renderers read from a `deputyguard.analysis.catalog` rule (no import-time tie)."""

    @property
    def id(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def help(self) -> str: ...
    @property
    def bad_example(self) -> Mapping[str, Any]: ...
    @property
    def good_example(self) -> Mapping[str, Any]: ...
    @property
    def spec(self) -> str: ...


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_scalar(v) for v in value)
    return str(value)


def _is_service(principal: str) -> bool:
    return principal.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def counterexample_line(counterexample: Mapping[str, Any]) -> str:
    """One line a person can read: who does what to which resource, for whom, and the decision.

    Accepts a bare request or a whole `simulate` case (`{"request": {...}, ...}`); `request.source`
    stands in for source keys the context does not give.
    """
    nested = counterexample.get("request")
    request: Mapping[str, Any] = nested if isinstance(nested, Mapping) else counterexample
    principal = _scalar(request.get("principal", "?"))
    parts = [principal, _scalar(request.get("action", "?")), _scalar(request.get("resource", "?"))]
    raw_context = request.get("context")
    context = (
        {str(k).lower(): v for k, v in raw_context.items()}
        if isinstance(raw_context, Mapping)
        else {}
    )
    raw_source = request.get("source")
    if isinstance(raw_source, Mapping):
        context.setdefault("aws:sourcearn", raw_source.get("arn"))
        context.setdefault("aws:sourceaccount", raw_source.get("account"))
    sources = [
        phrase.format(_scalar(context[key]))
        for key, phrase in _SOURCE_PHRASES
        if context.get(key) not in (None, "", [])
    ]
    if sources:
        parts.append("on behalf of " + ", ".join(sources))
    elif _is_service(principal):
        parts.append("with no source keys")
    decision = counterexample.get("decision") or request.get("decision") or "Allowed"
    return f"{' '.join(parts)} → {decision}"


def _where(file: str | None, resource: str | None, line: int | None, column: int | None) -> str:
    place = file if file is not None else (resource or "<unknown>")
    if line is not None:
        place += f":{line}"
        if column is not None:
            place += f":{column}"
    return place


def _group_key(file: str | None, resource: str | None) -> str:
    return file if file is not None else (resource or "<unknown>")


def _snippet_lines(snippet: str) -> list[str]:
    lines = textwrap.dedent(snippet.expandtabs(4)).rstrip().splitlines()
    if len(lines) > MAX_SNIPPET_LINES:
        return [*lines[:MAX_SNIPPET_LINES], "…"]
    return lines


def _print(console: Console, text: Text) -> None:
    console.print(text, soft_wrap=True)


def _render_finding(console: Console, finding: Finding) -> None:
    loc = finding.location
    head = Text.assemble(
        (_where(loc.file, loc.resource, loc.line, loc.column), "bold"),
        "  ",
        (f"{finding.severity.value.upper():<8}", SEVERITY_STYLE[finding.severity]),
        "  ",
        (finding.rule, "bold"),
        " ",
        (finding.name, "dim"),
        "  ",
        finding.message,
    )
    _print(console, head)
    if finding.snippet:
        for line in _snippet_lines(finding.snippet):
            _print(console, Text(f"{INDENT}│ {line}", style="dim"))
    if finding.counterexample:
        line = counterexample_line(finding.counterexample)
        _print(console, Text.assemble(INDENT, ("counterexample: ", "bold"), line))
    if finding.suggestion:
        _print(console, Text.assemble(INDENT, ("fix: ", "bold green"), finding.suggestion))


def _verdict_line(key: str, verdicts: list[PolicyVerdict], findings: list[Finding]) -> Text:
    if verdicts:
        worst = max(verdicts, key=lambda v: _VERDICT_RANK[v.verdict]).verdict
    else:
        worst = Verdict.of([f.severity for f in findings])
    line = Text.assemble((f"{worst.value:<4}", VERDICT_STYLE[worst]), "  ", (key, "bold"))
    if len(verdicts) > 1:
        counts = ", ".join(f"{n} {v.value}" for v, n in _verdict_tally(verdicts).items() if n)
        line.append(f"  {len(verdicts)} policies: {counts}", style="dim")
    return line


_VERDICT_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


def _verdict_tally(verdicts: Iterable[PolicyVerdict]) -> dict[Verdict, int]:
    tally = dict.fromkeys((Verdict.FAIL, Verdict.WARN, Verdict.PASS), 0)
    for verdict in verdicts:
        tally[verdict.verdict] += 1
    return tally


def _append_counts(text: Text, counts: Iterable[tuple[str, str]]) -> None:
    for i, (label, style) in enumerate(counts):
        text.append(", " if i else "")
        text.append(label, style=style)


def _render_files(console: Console, report: Report) -> bool:
    """Print each file's findings and verdict; blank lines set off files that have findings."""
    verdicts: dict[str, list[PolicyVerdict]] = {}
    findings: dict[str, list[Finding]] = {}
    for verdict in report.verdicts:
        verdicts.setdefault(_group_key(verdict.file, verdict.resource), []).append(verdict)
    for finding in report.findings:
        key = _group_key(finding.location.file, finding.location.resource)
        findings.setdefault(key, []).append(finding)
    previous: bool | None = None  # whether the previous file had findings; None before the first
    for key in dict.fromkeys([*verdicts, *findings]):
        group = findings.get(key, [])
        if previous is not None and (previous or group):
            console.print()
        for finding in group:
            _render_finding(console, finding)
        _print(console, _verdict_line(key, verdicts.get(key, []), group))
        previous = bool(group)
    return previous is not None


def _render_errors(console: Console, errors: Sequence[InputError]) -> None:
    _print(console, Text(f"Input errors ({len(errors)})", style="bold red"))
    for error in errors:
        where = _where(error.file, None, error.line, error.column)
        _print(console, Text.assemble("  ", (where, "bold"), "  ", error.message))


def _render_rules(console: Console, report: Report, rules: Sequence[RuleInfoLike]) -> None:
    titles = {rule.id: rule.title for rule in rules}
    seen = sorted(dict.fromkeys((f.rule, f.name) for f in report.findings))
    _print(console, Text("Rules", style="bold"))
    for rule_id, slug in seen:
        line = Text.assemble("  ", (rule_id, "bold"), " ", (slug, "dim"))
        if rule_id in titles:
            line.append(f"  {titles[rule_id]}")
        _print(console, line)


def _summary(report: Report) -> Text:
    summary = report.summary()
    counts: dict[str, int] = summary["findings"]
    total = sum(counts.values())
    text = Text(f"Checked {_plural(summary['files'], 'file')}, ")
    text.append(f"{_plural(summary['policies'], 'policy', 'policies')}: ")
    text.append(_plural(total, "finding"))
    detail = [(f"{n} {sev}", SEVERITY_STYLE[Severity(sev)]) for sev, n in counts.items() if n]
    if detail:
        text.append(" (")
        _append_counts(text, detail)
        text.append(")")
    if report.verdicts:
        text.append(" · ")
        tally = _verdict_tally(report.verdicts).items()
        _append_counts(text, ((f"{n} {v.value}", VERDICT_STYLE[v]) for v, n in tally))
    if report.errors:
        text.append(" · ")
        text.append(_plural(len(report.errors), "input error"), style="bold red")
    return text


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def render_text(report: Report, console: Console, rules: Sequence[RuleInfoLike]) -> None:
    """Print `report` for a person: per-file findings and verdicts, input errors, a summary."""
    printed = _render_files(console, report)
    if report.findings:
        console.print()
        _render_rules(console, report, rules)
    if report.errors:
        if printed:
            console.print()
        _render_errors(console, report.errors)
    if printed or report.errors:
        console.print()
    _print(console, _summary(report))
