"""Renderers of a `check` report: JSON (the scripting contract), SARIF (code scanning), text
and a self-contained HTML page."""

from deputyguard.report.html import render_html
from deputyguard.report.json_report import render_json
from deputyguard.report.sarif import render_sarif
from deputyguard.report.text import RuleInfoLike, render_text

__all__ = [
    "RuleInfoLike",
    "render_html",
    "render_json",
    "render_sarif",
    "render_text",
]
