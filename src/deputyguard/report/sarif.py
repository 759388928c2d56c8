"""SARIF 2.1.0 output of `check`, shaped for GitHub code scanning.

GitHub reads the alert severity from the rule's `security-severity` (a string), the rule text from
`help.markdown`, and groups alerts across runs by `partialFingerprints`, so those are always set.
Paths become relative URIs under `%SRCROOT%` with forward slashes, whatever the input's OS.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deputyguard.analysis.model import Finding, InputError, Report, Severity
from deputyguard.report.json_report import TOOL_NAME
from deputyguard.report.text import RuleInfoLike, counterexample_line

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "deputyguard/v1"
MAX_TAGS = 10  # GitHub code scanning's limit per rule

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
BASE_TAGS = ("security", "aws", "iam", "confused-deputy")
CWE_CONFUSED_DEPUTY = "external/cwe/cwe-441"

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def rule_severity(value: str) -> Severity:
    """The worst severity named in a catalog entry ("high", "high / info"); medium if none is."""
    known = {s.value for s in Severity}
    named = [Severity(t) for t in re.split(r"[^a-z]+", value.lower()) if t in known]
    return max(named, key=lambda s: s.rank, default=Severity.MEDIUM)


def _example(title: str, example: Mapping[str, Any], markdown: bool) -> str:
    body = json.dumps(example, indent=2, ensure_ascii=False)
    if markdown:
        return f"**{title}**\n\n```json\n{body}\n```"
    return f"{title}:\n{body}"


def _help(rule: RuleInfoLike, markdown: bool) -> str:
    parts = [rule.help.strip() or rule.summary]
    if rule.bad_example:
        parts.append(_example("Vulnerable", rule.bad_example, markdown))
    if rule.good_example:
        parts.append(_example("Fixed", rule.good_example, markdown))
    if rule.spec:
        parts.append(f"Semantics: {rule.spec}")
    return "\n\n".join(parts)


def _rule_properties(severity: Severity) -> dict[str, Any]:
    tags = list(BASE_TAGS)
    if severity.rank >= Severity.HIGH.rank:
        tags.append(CWE_CONFUSED_DEPUTY)
    return {
        "security-severity": SECURITY_SEVERITY[severity],
        "tags": tags[:MAX_TAGS],
        "precision": "very-high",
    }


def rule_descriptor(rule: RuleInfoLike, help_uri: str | None = None) -> dict[str, Any]:
    """A `reportingDescriptor` with everything GitHub shows on an alert's rule panel."""
    severity = rule_severity(rule.severity)
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.summary},
        "help": {"text": _help(rule, markdown=False), "markdown": _help(rule, markdown=True)},
    }
    if help_uri:
        descriptor["helpUri"] = help_uri.format(id=rule.id, slug=rule.slug)
    descriptor["defaultConfiguration"] = {"level": LEVEL[severity]}
    descriptor["properties"] = _rule_properties(severity)
    return descriptor


def _fallback_descriptor(finding: Finding) -> dict[str, Any]:
    """For a finding whose rule the catalog lacks: keeps `ruleIndex` valid rather than crash."""
    return {
        "id": finding.rule,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": _rule_properties(finding.severity),
    }


def _is_absolute(posix: str) -> bool:
    return posix.startswith("/") or bool(_WINDOWS_DRIVE.match(posix))


def _under(posix: str, root: str) -> str | None:
    root = root.rstrip("/")
    if _WINDOWS_DRIVE.match(posix):  # Windows paths compare case-insensitively
        inside = posix.casefold().startswith(root.casefold() + "/")
    else:
        inside = posix.startswith(root + "/")
    return posix[len(root) + 1 :] if inside else None


def artifact_location(path: str, root: str) -> dict[str, str]:
    """A relative `%SRCROOT%` URI for `path` (absolute paths outside `root` become file URIs)."""
    posix = path.replace("\\", "/")
    if _is_absolute(posix):
        relative = _under(posix, root.replace("\\", "/"))
        if relative is None:
            prefix = "file://" if posix.startswith("//") else "file:///"
            return {"uri": prefix + quote(posix.lstrip("/"), safe="/:")}
        posix = relative
    posix = posixpath.normpath(posix)
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _region(line: int | None, column: int | None, snippet: str | None = None) -> dict[str, Any]:
    if line is None:
        return {}
    region: dict[str, Any] = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    if snippet:
        region["snippet"] = {"text": snippet}
    return region


def _physical(path: str, root: str, region: dict[str, Any]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path, root)}
    if region:
        physical["region"] = region
    return physical


def _logical(resource: str) -> dict[str, str]:
    return {"name": resource, "fullyQualifiedName": resource, "kind": "resource"}


def _finding_locations(finding: Finding, root: str) -> list[dict[str, Any]]:
    loc = finding.location
    location: dict[str, Any] = {}
    if loc.file is not None:
        region = _region(loc.line, loc.column, finding.snippet)
        location["physicalLocation"] = _physical(loc.file, root, region)
    if loc.resource:
        location["logicalLocations"] = [_logical(loc.resource)]
    return [location] if location else []


def _message(finding: Finding) -> str:
    text = " ".join(finding.message.split())
    if finding.counterexample:
        end = "" if not text or text.endswith((".", "!", "?", ":")) else "."
        text += f"{end} Counterexample: {counterexample_line(finding.counterexample)}"
    return text


def _result(finding: Finding, rule_index: int, root: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _message(finding)},
    }
    locations = _finding_locations(finding, root)
    if locations:
        result["locations"] = locations
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    properties: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[finding.severity],
        "policy_type": finding.policy_type,
        "pointer": finding.location.pointer,
    }
    if finding.counterexample is not None:
        properties["counterexample"] = finding.counterexample
    if finding.suggestion:
        properties["suggestion"] = finding.suggestion
    result["properties"] = properties
    return result


def _notification(error: InputError, root: str) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": "error", "message": {"text": error.message}}
    if error.file is None:
        return notification
    if error.file.startswith("arn:"):  # a live resource that could not be read
        location: dict[str, Any] = {"logicalLocations": [_logical(error.file)]}
    else:
        location = {
            "physicalLocation": _physical(error.file, root, _region(error.line, error.column))
        }
    notification["locations"] = [location]
    return notification


def sarif_document(
    report: Report,
    rules: Sequence[RuleInfoLike],
    *,
    version: str,
    root: str | os.PathLike[str] | None = None,
    information_uri: str | None = None,
    help_uri: str | None = None,
) -> dict[str, Any]:
    """The SARIF log as a dict; see `render_sarif`."""
    base = os.fspath(Path.cwd() if root is None else root)
    descriptors = [rule_descriptor(rule, help_uri) for rule in rules]
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append(_fallback_descriptor(finding))
        results.append(_result(finding, index[finding.rule], base))
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": version}
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = descriptors
    invocation = {
        "executionSuccessful": not report.errors,
        "toolExecutionNotifications": [_notification(e, base) for e in report.errors],
    }
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    report: Report,
    rules: Sequence[RuleInfoLike],
    *,
    version: str,
    root: str | os.PathLike[str] | None = None,
    information_uri: str | None = None,
    help_uri: str | None = None,
) -> str:
    """SARIF 2.1.0 text for `report`, every rule of `rules` in `tool.driver.rules`.

    `root` (default: the working directory) is what absolute paths are made relative to;
    `help_uri` may hold `{id}`/`{slug}` placeholders. The text ends with a newline.
    """
    document = sarif_document(
        report,
        rules,
        version=version,
        root=root,
        information_uri=information_uri,
        help_uri=help_uri,
    )
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
