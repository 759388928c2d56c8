"""A self-contained HTML report (cli.md `check --format html`).

Everything that comes from a policy (messages, snippets, file names, ARNs) is untrusted text and
is escaped; the page has no scripts and loads nothing from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from deputyguard.analysis.model import Finding, Report, Severity, Verdict
from deputyguard.report.text import RuleInfoLike, counterexample_line

_COLOURS = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#c62828",
    Severity.MEDIUM: "#ef6c00",
    Severity.LOW: "#6d4c41",
    Severity.INFO: "#546e7a",
}
_VERDICT_COLOURS = {Verdict.FAIL: "#c62828", Verdict.WARN: "#ef6c00", Verdict.PASS: "#2e7d32"}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
.badge{color:#fff;border-radius:3px;padding:0 .4rem;font-size:.8rem;font-weight:600}
.finding{border-left:4px solid #ccc;padding:.3rem .8rem;margin:.6rem 0}
pre{background:#f5f5f5;padding:.5rem;overflow-x:auto;font-size:.85rem}
.meta{color:#555;font-size:.9rem} table{border-collapse:collapse}
td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
"""


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{escape(text)}</span>'


def _finding(finding: Finding, titles: dict[str, str]) -> str:
    colour = _COLOURS[finding.severity]
    where = escape(
        f"{finding.location.file or finding.location.resource or ''}"
        f":{finding.location.line or '?'}:{finding.location.column or '?'}"
    )
    parts = [
        f'<div class="finding" style="border-color:{colour}">',
        f"<div>{_badge(finding.severity.value.upper(), colour)} "
        f"<b>{escape(finding.rule)}</b> {escape(finding.name)} "
        f'<span class="meta">{where}</span></div>',
        f"<div>{escape(finding.message)}</div>",
    ]
    if finding.rule in titles:
        parts.append(f'<div class="meta">{escape(titles[finding.rule])}</div>')
    if finding.snippet:
        parts.append(f"<pre>{escape(finding.snippet)}</pre>")
    if finding.counterexample:
        line = escape(counterexample_line(finding.counterexample))
        parts.append(f'<div class="meta">counterexample: {line}</div>')
    if finding.suggestion:
        parts.append(f'<div class="meta">fix: {escape(finding.suggestion)}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def render_html(report: Report, rules: Sequence[RuleInfoLike], *, version: str) -> str:
    titles = {rule.id: rule.title for rule in rules}
    summary = report.summary()
    counts = ", ".join(f"{n} {sev}" for sev, n in summary["findings"].items() if n) or "none"
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>deputyguard report</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>deputyguard {escape(version)}: confused-deputy report</h1>",
        f"<p>{summary['files']} files, {summary['policies']} policies; findings: "
        f"{escape(counts)}</p>",
        "<table><tr><th>verdict</th><th>policy</th><th>type</th></tr>",
    ]
    for verdict in report.verdicts:
        name = f"{verdict.file or verdict.resource or ''}{verdict.pointer}"
        body.append(
            f"<tr><td>{_badge(verdict.verdict.value, _VERDICT_COLOURS[verdict.verdict])}</td>"
            f"<td>{escape(name)}</td><td>{escape(verdict.policy_type)}</td></tr>"
        )
    body.append("</table>")
    files: dict[str, list[Finding]] = {}
    for finding in report.findings:
        files.setdefault(finding.location.file or finding.location.resource or "", []).append(
            finding
        )
    for file, findings in files.items():
        body.append(f"<h2>{escape(file)}</h2>")
        body.extend(_finding(f, titles) for f in findings)
    if report.errors:
        body.append(f"<h2>Input errors ({len(report.errors)})</h2><ul>")
        body.extend(f"<li>{escape(e.file or '')}: {escape(e.message)}</li>" for e in report.errors)
        body.append("</ul>")
    body.append("</body></html>")
    return "\n".join(body) + "\n"
