"""The person-readable `--format text` report of simulate results."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from deputyguard.engine.decision import DecisionKind, Explanation
from deputyguard.simulate.runner import CaseResult

STYLE = {
    DecisionKind.ALLOWED: "bold green",
    DecisionKind.IMPLICITLY_DENIED: "bold yellow",
    DecisionKind.EXPLICITLY_DENIED: "bold red",
}


def _request_line(result: CaseResult) -> str:
    request = result.request
    if request is None:
        return ""
    return f"{request.principal} → {request.action} on {request.resource}"


def _source_line(result: CaseResult) -> str | None:
    source = result.source
    request = result.request
    if not source or request is None:
        return None
    ctx = request.context
    who = source.get("arn") or source.get("account")
    parts = []
    account = ctx.get_value("aws:SourceAccount")
    if account is not None:
        parts.append(f"account {account.values[0]}")
    org = ctx.get_value("aws:SourceOrgID")
    parts.append(f"organization {org.values[0]}" if org else "in no organization")
    return f"on behalf of {who} ({', '.join(parts)})"


def render_result(console: Console, result: CaseResult, note: str | None = None) -> None:
    head = Text()
    head.append("● ", style="dim")
    head.append(str(result.id), style="bold")
    head.append("  ")
    if result.decision is None:
        head.append("INVALID CASE", style="bold magenta")
        console.print(head)
        console.print(Text(f"    {result.error}", style="magenta"))
        return
    kind = result.decision.decision
    head.append(kind.value, style=STYLE[kind])
    if result.has_expect:
        if result.mismatch:
            head.append(f"  ✗ expected {result.expect}", style="bold red")
        else:
            head.append("  ✓ as expected", style="green")
    console.print(head)
    if note:
        console.print(Text(f"    {note}", style="italic"))
    console.print(Text(f"    {_request_line(result)}"))
    source = _source_line(result)
    if source:
        console.print(Text(f"    {source}"))
    for matched in result.decision.matched:
        console.print(Text(f"    decided by: {matched.describe()}"))
    console.print(Text(f"    why: {result.decision.reason}"))
    for warning in result.warnings:
        console.print(Text(f"    warning: {warning}", style="yellow"))
    if result.decision.explanation is not None:
        _render_explanation(console, result.decision.explanation)
    console.print()


def _render_explanation(console: Console, explanation: Explanation) -> None:
    for note in explanation.notes:
        console.print(Text(f"    note: {note}", style="cyan"))
    for st in explanation.statements:
        marks = []
        if st.principal is not None:
            marks.append(("principal", st.principal))
        marks.extend([("action", st.action), ("resource", st.resource)])
        line = Text("      ")
        line.append(st.where.describe())
        line.append("  ")
        for label, ok in marks:
            line.append(f"{label} {'✓' if ok else '✗'} ", style="green" if ok else "red")
        line.append(
            "→ applies" if st.applies else "→ does not apply", style="bold" if st.applies else "dim"
        )
        console.print(line)
        for cond in st.conditions:
            request: Any = cond.request.display() if cond.request is not None else "(absent)"
            policy = ", ".join(repr(v) for v in cond.policy_values)
            text = Text("          ")
            text.append(f"{cond.operator} {cond.key}: request {request} vs [{policy}] ")
            text.append("true" if cond.result else "false", style="green" if cond.result else "red")
            text.append(f" — {cond.why}", style="dim")
            console.print(text)


def render_summary(console: Console, total: int, invalid: int, mismatches: int) -> None:
    parts = [f"{total} case{'s' if total != 1 else ''}"]
    if invalid:
        parts.append(f"{invalid} invalid")
    parts.append(f"{mismatches} not as expected" if mismatches else "all as expected")
    console.print(escape(", ".join(parts)), style="bold red" if mismatches or invalid else "bold")
