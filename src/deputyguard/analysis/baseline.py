"""Baselines: accept today's findings so CI fails only on new ones.

A finding is recognised by a fingerprint of what it is about, never where it is: the rule, the
policy's identity (file and name, not its position in a list), the statement's meaning (its Sid,
else its content in canonical form), the principal and the actions. Reformatting, reordering or
editing other statements therefore keeps fingerprints; changing the statement's guard does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from deputyguard.analysis.model import Finding
from deputyguard.policy.jsontext import JsonSyntaxError, parse_json, pointer_join

__all__ = [
    "BASELINE_VERSION",
    "BaselineError",
    "filter_new",
    "fingerprint",
    "load_baseline",
    "policy_identity",
    "write_baseline",
]

BASELINE_VERSION: Final = 1
_SCHEME: Final = "dg-fp-1"
"""Mixed into every hash: changing what is hashed must change this, so old baselines mismatch
visibly instead of matching the wrong findings."""
_SEMANTIC_ELEMENTS: Final = (
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_FINGERPRINT: Final = re.compile(r"[0-9a-f]{32}")


class BaselineError(ValueError):
    """A baseline file that cannot be used, with where and what to fix."""

    def __init__(
        self, message: str, file: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, file, line, column)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.message}"


# -- fingerprints ---------------------------------------------------------------------------------


def policy_identity(
    *,
    file: str | None,
    name: str | None = None,
    pointer: str = "",
    resource: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """Who a policy is, independent of layout: its file (relative to `root`, default the cwd,
    with `/` separators) plus its resource id, else its name, else its pointer in the file.

    Pass the project root (the config file's folder) as `root` so a baseline matches whichever
    folder CI runs from.
    """
    parts = []
    if file:
        parts.append(_portable(file, root))
    if resource:
        parts.append(resource)
    elif name:
        parts.append(name)
    elif pointer:
        parts.append(pointer)
    return "#".join(parts)


def _portable(file: str, root: str | os.PathLike[str] | None) -> str:
    base = os.path.abspath(root if root is not None else os.getcwd())
    try:
        relative = os.path.relpath(os.path.abspath(file), base)
    except ValueError:  # another drive on Windows
        relative = file
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        relative = file
    return relative.replace(os.sep, "/")


def fingerprint(
    *,
    rule: str,
    policy_identity: str,
    statement: Mapping[str, object] | None,
    principal: str | None,
    actions: Sequence[str],
    detail: str = "",
) -> str:
    """A 32-hex-digit id for a finding that survives reformatting and moves, never line numbers.

    `statement` is the statement as written (the decoded JSON object). With a Sid, the Sid and
    the Condition identify it (so editing its resources keeps the baseline, but a changed guard
    must be reviewed again); without one, its whole meaning does. `detail` separates several
    findings of one rule on one statement (e.g. the condition key at fault).
    """
    payload = [
        _SCHEME,
        rule,
        policy_identity,
        _statement_key(statement),
        principal,
        sorted(set(actions)),
        detail,
    ]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _statement_key(statement: Mapping[str, object] | None) -> object:
    if statement is None:
        return None
    sid = statement.get("Sid")
    if isinstance(sid, str) and sid:
        return {"Sid": sid, "Condition": _canonical(statement.get("Condition"))}
    return {k: _canonical(statement[k]) for k in _SEMANTIC_ELEMENTS if k in statement}


def _canonical(value: object) -> object:
    """Order-free form: sorted keys (by json.dumps), sorted unique lists, `[x]` written as `x`.

    Lists in a policy are sets (actions, resources, condition values), so their order and a
    one-element list versus a bare string do not change the meaning.
    """
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = {_dump(_canonical(v)): _canonical(v) for v in value}
        ordered = [items[k] for k in sorted(items)]
        return ordered[0] if len(ordered) == 1 else ordered
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- baseline files -------------------------------------------------------------------------------


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    """Write the findings' fingerprints, sorted so the file diffs cleanly; replaces atomically."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if not finding.fingerprint:
            raise ValueError(f"finding {finding.rule} has no fingerprint; compute it first")
        entries.setdefault(
            finding.fingerprint,
            {"rule": finding.rule, "file": finding.location.file, "message": finding.message},
        )
    document = {"version": BASELINE_VERSION, "fingerprints": dict(sorted(entries.items()))}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_baseline(path: Path) -> frozenset[str]:
    """The accepted fingerprints. Also reads a `check --format json` report as a baseline."""
    shown = os.fspath(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise BaselineError("baseline file not found", shown) from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline: {exc.strerror or exc}", shown) from None
    except UnicodeDecodeError as exc:
        raise BaselineError(f"not UTF-8 text (byte {exc.start})", shown) from None
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        raise BaselineError(f"invalid JSON: {exc.message}", shown, exc.line, exc.column) from None

    def fail(message: str, pointer: str) -> BaselineError:
        pos = parsed.positions.get(pointer)
        return BaselineError(message, shown, pos.line if pos else None, pos.column if pos else None)

    document = parsed.value
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        return _from_report(document["findings"], fail)
    if not isinstance(document, dict) or "fingerprints" not in document:
        raise fail('not a baseline: expected {"version": 1, "fingerprints": {...}}', "")
    if document.get("version") != BASELINE_VERSION:
        got = json.dumps(document.get("version"))
        raise fail(f"unsupported baseline version {got}; expected {BASELINE_VERSION}", "/version")
    fingerprints = document["fingerprints"]
    if not isinstance(fingerprints, dict):
        raise fail("'fingerprints' must be an object keyed by fingerprint", "/fingerprints")
    for key in fingerprints:
        if not _FINGERPRINT.fullmatch(key):
            where = pointer_join("/fingerprints", key) + "#key"
            raise fail(f"'{key}' is not a fingerprint (32 lowercase hex digits)", where)
    return frozenset(fingerprints)


def _from_report(findings: list[Any], fail: Callable[[str, str], BaselineError]) -> frozenset[str]:
    found = set()
    for index, finding in enumerate(findings):
        value = finding.get("fingerprint") if isinstance(finding, dict) else None
        if not isinstance(value, str) or not _FINGERPRINT.fullmatch(value):
            raise fail(f"finding {index} has no valid fingerprint", f"/findings/{index}")
        found.add(value)
    return frozenset(found)


def filter_new(findings: Sequence[Finding], baseline: frozenset[str]) -> tuple[list[Finding], int]:
    """(findings whose fingerprint is not in the baseline, number of findings suppressed)."""
    new = [f for f in findings if f.fingerprint not in baseline]
    return new, len(findings) - len(new)
