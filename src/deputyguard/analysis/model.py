"""What the analyzer reports: findings, verdicts, input errors (cli.md `check` JSON contract).

Severity and verdict semantics are those of `shared/spec/rules.md`: `critical`/`high` findings
always carry a counterexample request (in the `simulate` case format) that the engine allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for --fail-on thresholds and sorting."""
        return SEVERITY_RANK[self]


SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Verdict(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"

    @staticmethod
    def of(severities: list[Severity]) -> Verdict:
        """FAIL on critical/high, WARN on medium/low, PASS otherwise (rules.md)."""
        worst = max((s.rank for s in severities), default=-1)
        if worst >= Severity.HIGH.rank:
            return Verdict.FAIL
        if worst >= Severity.LOW.rank:
            return Verdict.WARN
        return Verdict.PASS


@dataclass(frozen=True, slots=True)
class Location:
    file: str | None
    line: int | None
    column: int | None
    pointer: str
    """JSON pointer of the policy document inside its file plus the element's own pointer."""
    resource: str | None = None
    """CloudFormation logical id / Terraform address / ARN of the resource holding the policy."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    message: str
    location: Location
    policy_pointer: str
    """Pointer of the policy document inside its file ("" for a one-policy file)."""
    policy_type: str
    statement_index: int | None
    statement_sid: str | None
    principal: str | None
    actions: tuple[str, ...]
    counterexample: dict[str, Any] | None = None
    suggestion: str | None = None
    snippet: str | None = None
    fingerprint: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "pointer": self.location.pointer,
            "resource": self.location.resource,
            "policy_type": self.policy_type,
            "statement": (
                None
                if self.statement_index is None
                else {"index": self.statement_index, "sid": self.statement_sid}
            ),
            "principal": self.principal,
            "actions": list(self.actions),
            "message": self.message,
            "suggestion": self.suggestion,
            "counterexample": self.counterexample,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    file: str | None
    pointer: str
    verdict: Verdict
    policy_type: str
    resource: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "pointer": self.pointer,
            "resource": self.resource,
            "policy_type": self.policy_type,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True, slots=True)
class InputError:
    file: str | None
    message: str
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Report:
    """Everything one `check` run found, in input order."""

    findings: list[Finding] = field(default_factory=list)
    verdicts: list[PolicyVerdict] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0

    def summary(self) -> dict[str, Any]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        return {"files": self.files, "policies": len(self.verdicts), "findings": counts}
