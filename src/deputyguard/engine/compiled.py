"""Policies compiled once into matchers: lower-cased action globs, split resource patterns,
parsed condition operators. Evaluation then touches only precomputed data.

Compiled objects are never modified after construction, but they are not `frozen` dataclasses:
a frozen dataclass costs about five times as much to build, and simulate builds several per case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from deputyguard.awsdata.arn import split_arn
from deputyguard.engine.conditions import CompiledCondition, compile_condition
from deputyguard.engine.context import Context
from deputyguard.engine.options import EngineOptions
from deputyguard.engine.values import like, literal_text
from deputyguard.engine.variables import parse_template, resolve
from deputyguard.policy.model import Effect, Policy, PrincipalSet, Statement
from deputyguard.wildcard import text_matcher


@dataclass(slots=True)  # not frozen: built on the hot path (see module docstring)
class ResourcePattern:
    """One Resource/NotResource entry, split into its six ARN components once."""

    text: str
    variables: bool
    components: tuple[str, ...] | None = None
    matchers: tuple[Callable[[str], bool], ...] | None = None

    def __post_init__(self) -> None:
        self.components = _resource_components(self.text)
        if self.components is not None and not self.variables:
            self.matchers = tuple(text_matcher(c) for c in self.components)

    def matches(
        self,
        resource: str,
        parts: tuple[str, ...] | None,
        context: Context,
        options: EngineOptions,
    ) -> bool:
        if self.text == "*":
            return True
        pattern_parts = self.components
        if pattern_parts is None or parts is None:
            return like(self.text, resource)
        if self.matchers is not None:
            return all(m(v) for m, v in zip(self.matchers, parts, strict=True))
        # Variables are substituted in the resource part only, after the fifth colon (S8);
        # elsewhere `${...}` is literal text.
        pieces = resolve(parse_template(pattern_parts[5]), context, options)
        if pieces is None:
            return False  # an unresolved variable matches no resource (S8)
        last = "".join(literal_text(t) if lit else t for t, lit in pieces)
        pattern_parts = (*pattern_parts[:5], last)
        return all(like(p, v) for p, v in zip(pattern_parts, parts, strict=True))


def _resource_components(text: str) -> tuple[str, ...] | None:
    """Six ARN components; a shorter ARN is completed with '*'.

    S20: in identity policies `arn:aws:sqs` means `arn:aws:sqs:*:*:*`.
    """
    parts = split_arn(text)
    if parts is not None:
        return parts
    if text.startswith("arn:"):
        pieces = text.split(":")
        return tuple(pieces + ["*"] * (6 - len(pieces)))
    return None


def resource_components(resource: str) -> tuple[str, ...] | None:
    return split_arn(resource)


@dataclass(slots=True)  # not frozen: built on the hot path (see module docstring)
class CompiledStatement:
    statement: Statement
    principal: PrincipalSet | None
    not_principal: PrincipalSet | None
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[ResourcePattern, ...] | None
    not_resources: tuple[ResourcePattern, ...] | None
    conditions: tuple[CompiledCondition, ...]

    @property
    def is_deny(self) -> bool:
        return self.statement.effect is Effect.DENY

    def action_matches(self, action: str) -> bool:
        """`action` must be lower-case; patterns were lower-cased at compile time (S30)."""
        if self.actions is not None:
            return any(text_matcher(p)(action) for p in self.actions)
        if self.not_actions is not None:
            return not any(text_matcher(p)(action) for p in self.not_actions)
        return False

    def resource_matches(
        self,
        resource: str,
        parts: tuple[str, ...] | None,
        context: Context,
        options: EngineOptions,
    ) -> bool:
        if self.resources is not None:
            return any(p.matches(resource, parts, context, options) for p in self.resources)
        if self.not_resources is not None:
            return not any(p.matches(resource, parts, context, options) for p in self.not_resources)
        return True  # trust policies may omit Resource


@dataclass(slots=True)  # not frozen: built on the hot path (see module docstring)
class CompiledPolicy:
    kind: str
    policy: Policy
    statements: tuple[CompiledStatement, ...]
    name: str | None = None
    level: str | None = None


def _patterns(
    values: tuple[str, ...] | None, variables: bool
) -> tuple[ResourcePattern, ...] | None:
    if values is None:
        return None
    return tuple(_resource_pattern(v, variables and "${" in v) for v in values)


@lru_cache(maxsize=16384)
def _resource_pattern(text: str, variables: bool) -> ResourcePattern:
    """Resource patterns repeat across policies; compiled ones are shared (never modified)."""
    return ResourcePattern(text, variables)


def _lower(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Actions compare case-insensitively (S30)."""
    return None if values is None else tuple(v.lower() for v in values)


def compile_statement(statement: Statement, variables: bool) -> CompiledStatement:
    return CompiledStatement(
        statement=statement,
        principal=statement.principal,
        not_principal=statement.not_principal,
        actions=_lower(statement.actions),
        not_actions=_lower(statement.not_actions),
        resources=_patterns(statement.resources, variables),
        not_resources=_patterns(statement.not_resources, variables),
        conditions=tuple(compile_condition(c, variables) for c in statement.conditions),
    )


def compile_policy(
    policy: Policy, kind: str, *, name: str | None = None, level: str | None = None
) -> CompiledPolicy:
    """Compile a parsed policy. Raises OperatorError for an unknown condition operator."""
    variables = policy.variables_enabled
    return CompiledPolicy(
        kind,
        policy,
        tuple(compile_statement(s, variables) for s in policy.statements),
        name or policy.name,
        level,
    )
