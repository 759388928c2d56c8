"""Validation findings about a policy document, with stable codes and positions.

Codes follow IAM Access Analyzer's policy checks (spec §1.11, S18) where one exists, so users can
look them up. `blocking` separates documents IAM would refuse outright or whose meaning is
undefined (the engine will not evaluate them) from findings on documents AWS still stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from deputyguard.policy.model import Span


class Severity(StrEnum):
    ERROR = "error"
    SECURITY_WARNING = "security_warning"
    WARNING = "warning"
    SUGGESTION = "suggestion"


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    severity: Severity
    message: str
    span: Span
    blocking: bool = False

    def describe(self) -> str:
        where = self.span.describe()
        return f"{where}: {self.code}: {self.message}"


def error(code: str, message: str, span: Span, *, blocking: bool = True) -> Issue:
    return Issue(code, Severity.ERROR, message, span, blocking)


def warning(code: str, message: str, span: Span) -> Issue:
    return Issue(code, Severity.WARNING, message, span)


def security_warning(code: str, message: str, span: Span) -> Issue:
    return Issue(code, Severity.SECURITY_WARNING, message, span)


class PolicyError(ValueError):
    """A policy that cannot be evaluated; carries every blocking issue found."""

    def __init__(self, issues: tuple[Issue, ...], source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(i.describe() for i in issues))
