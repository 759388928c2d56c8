"""The `check --format json` document of cli.md: a contract for scripts, so its shape is fixed."""

from __future__ import annotations

import json
from typing import Any

from deputyguard.analysis.model import Report

TOOL_NAME = "deputyguard"


def report_document(report: Report, *, version: str) -> dict[str, Any]:
    """The JSON object itself, members in the order cli.md lists them."""
    return {
        "tool": {"name": TOOL_NAME, "version": version},
        "findings": [finding.to_json() for finding in report.findings],
        "verdicts": [verdict.to_json() for verdict in report.verdicts],
        "errors": [error.to_json() for error in report.errors],
        "summary": report.summary(),
    }


def render_json(report: Report, *, version: str) -> str:
    """Serialise `report` as UTF-8 text (non-ASCII kept as is), 2-space indent, newline-ended."""
    return json.dumps(report_document(report, version=version), indent=2, ensure_ascii=False) + "\n"
