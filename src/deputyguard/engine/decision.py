"""What the engine answers: the decision, the statements that decided it, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from deputyguard.engine.conditions import ConditionTrace


class DecisionKind(StrEnum):
    ALLOWED = "Allowed"
    IMPLICITLY_DENIED = "ImplicitlyDenied"
    EXPLICITLY_DENIED = "ExplicitlyDenied"


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    policy: str
    """Policy kind: resource, identity, boundary, session, scp, rcp, vpc-endpoint."""
    statement: int
    sid: str | None
    effect: str
    name: str | None = None
    level: str | None = None
    """For SCPs/RCPs: the root, OU or account the policy is attached to."""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "policy": self.policy,
            "statement": self.statement,
            "sid": self.sid,
            "effect": self.effect,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.level is not None:
            out["level"] = self.level
        return out

    def describe(self) -> str:
        where = self.policy
        if self.name:
            where += f" {self.name!r}"
        if self.level:
            where += f" at {self.level}"
        sid = f" ({self.sid})" if self.sid else ""
        return f"{where}, statement {self.statement}{sid}: {self.effect}"


@dataclass(frozen=True, slots=True)
class StatementTrace:
    where: MatchedStatement
    principal: bool | None
    """None when the policy type has no Principal element."""
    action: bool
    resource: bool
    conditions: tuple[ConditionTrace, ...]
    applies: bool

    def to_json(self) -> dict[str, object]:
        return {
            **self.where.to_json(),
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "conditions": [c.to_json() for c in self.conditions],
            "applies": self.applies,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    statements: tuple[StatementTrace, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "notes": list(self.notes),
            "statements": [s.to_json() for s in self.statements],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    decision: DecisionKind
    matched: tuple[MatchedStatement, ...]
    reason: str
    explanation: Explanation | None = field(default=None, compare=False)

    @property
    def allowed(self) -> bool:
        return self.decision is DecisionKind.ALLOWED
