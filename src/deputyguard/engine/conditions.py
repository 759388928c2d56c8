"""Evaluation of one statement's Condition block (spec §2.4, §2.10, §3.2).

Operators AND together, keys AND, values OR (NOR for negated operators). The missing-key rules
are the heart of the confused-deputy problem, so every branch records *why* it decided when a
trace is requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from deputyguard.engine.context import Context, ContextValue
from deputyguard.engine.options import EngineOptions, ShortArn, UnqualifiedMultivalued
from deputyguard.engine.values import (
    compare_arn,
    compare_binary,
    compare_bool,
    compare_ip,
    compare_ordered,
    is_short_arn,
    like,
    literal_text,
)
from deputyguard.engine.variables import Template, parse_template, resolve
from deputyguard.policy.model import Condition, ScalarValue
from deputyguard.policy.operators import Family, Operator, Qualifier, parse_operator


@dataclass(frozen=True, slots=True)
class ConditionTrace:
    operator: str
    key: str
    request: ContextValue | None
    policy_values: tuple[str, ...]
    result: bool
    why: str

    def to_json(self) -> dict[str, object]:
        request: object = None
        if self.request is not None:
            request = list(self.request.values) if self.request.is_list else self.request.values[0]
        return {
            "operator": self.operator,
            "key": self.key,
            "request": request,
            "policy": list(self.policy_values),
            "result": self.result,
            "why": self.why,
        }


def value_text(value: ScalarValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(slots=True)  # not frozen: built on the hot path (see engine/compiled.py)
class CompiledCondition:
    source: Condition
    operator: Operator
    key: str
    values: tuple[str, ...]
    templates: tuple[Template, ...] | None
    """Parsed values when policy variables apply (String/ARN operators, Version 2012-10-17)."""


def compile_condition(condition: Condition, variables_enabled: bool) -> CompiledCondition:
    """Compiled form of a condition. Identical conditions share one compiled object: policies
    repeat the same guards, and compiled objects are never modified. The key spells out each
    value's JSON type, because `true == 1 == 1.0` in Python but not in a policy."""
    typed = tuple((type(v).__name__, v) for v in condition.values)
    return _compile_condition(condition.operator, condition.key, typed, variables_enabled)


@lru_cache(maxsize=16384)
def _compile_condition(
    operator_text: str,
    key: str,
    typed_values: tuple[tuple[str, ScalarValue], ...],
    variables_enabled: bool,
) -> CompiledCondition:
    condition = Condition(operator_text, key, tuple(v for _, v in typed_values))
    operator = parse_operator(condition.operator)
    values = tuple(value_text(v) for v in condition.values)
    templates = None
    if variables_enabled and operator.base.variables and any("${" in v for v in values):
        templates = tuple(parse_template(v) for v in values)
    return CompiledCondition(condition, operator, condition.key.lower(), values, templates)


def _resolved_patterns(
    cond: CompiledCondition, context: Context, options: EngineOptions
) -> list[str | None]:
    """Policy values after variable substitution; None where a variable has no value (S8)."""
    if cond.templates is None:
        return list(cond.values)
    out: list[str | None] = []
    literal = cond.operator.base.compare == "like"
    for template in cond.templates:
        pieces = resolve(template, context, options)
        if pieces is None:
            out.append(None)
        else:
            out.append("".join(literal_text(t) if (lit and literal) else t for t, lit in pieces))
    return out


def _match_one(cond: CompiledCondition, value: str, pattern: str, options: EngineOptions) -> bool:
    base = cond.operator.base
    family = base.family
    if family is Family.STRING:
        if base.compare == "eq":
            return value == pattern
        if base.compare == "eq_ci":
            return value.lower() == pattern.lower()
        return like(pattern, value)
    if family is Family.ARN:
        return compare_arn(value, pattern, options)
    if family is Family.NUMERIC:
        return compare_ordered(base.compare, "number", value, pattern)
    if family is Family.DATE:
        return compare_ordered(base.compare, "date", value, pattern)
    if family is Family.BOOL:
        return compare_bool(value, pattern, options)
    if family is Family.IP:
        return compare_ip(value, pattern)
    if family is Family.BINARY:
        return compare_binary(value, pattern)
    return False


def _any_match(
    cond: CompiledCondition, value: str, patterns: list[str | None], options: EngineOptions
) -> bool:
    return any(p is not None and _match_one(cond, value, p, options) for p in patterns)


def _invalid_arns(
    cond: CompiledCondition,
    values: tuple[str, ...],
    patterns: list[str | None],
    options: EngineOptions,
) -> str | None:
    """Under ShortArn.NO_MATCH, a request value that is not a six-component ARN makes an Arn*
    condition false whatever its polarity; so does a short policy value under a negated operator
    (spec §2.6, §10.3: UNCONFIRMED; the oracle answers this way, probes a1, a3, x15)."""
    if cond.operator.base.family is not Family.ARN or options.short_arn is not ShortArn.NO_MATCH:
        return None
    if any(is_short_arn(v) for v in values):
        return "request value is not an ARN with six components: no match (option short_arn)"
    if cond.operator.base.negated and any(p is not None and is_short_arn(p) for p in patterns):
        return "policy value is not an ARN with six components: no match (option short_arn)"
    return None


def _null_check(
    cond: CompiledCondition, present: ContextValue | None, options: EngineOptions
) -> tuple[bool, str]:
    wanted = cond.values[0].lower() if options.bool_values_ignore_case else cond.values[0]
    is_present = present is not None
    if present is not None and not options.null_empty_is_present:
        is_present = any(v != "" for v in present.values)
    if wanted == "true":
        return (not is_present, "key absent" if not is_present else "key present")
    if wanted == "false":
        return (is_present, "key present" if is_present else "key absent")
    return (False, f"Null takes 'true' or 'false', not {cond.values[0]!r}")


def evaluate_condition(
    cond: CompiledCondition, context: Context, options: EngineOptions
) -> tuple[bool, str]:
    """Decide one operator/key entry. Returns the result and the reason in words."""
    op = cond.operator
    present = context.get_value(cond.key)
    if op.base.family is Family.NULL:
        return _null_check(cond, present, options)
    negated = op.base.negated
    qualifier = op.qualifier
    if qualifier is None:
        if present is None:
            if op.if_exists:
                return True, "key missing; IfExists makes the condition true"
            if negated:
                return True, "key missing; a negated operator matches a missing key"
            return False, "key missing; a positive operator does not match"
        if present.is_list:
            if options.unqualified_multivalued is UnqualifiedMultivalued.NO_MATCH:
                return False, (
                    "multivalued key used without ForAnyValue/ForAllValues: never matches "
                    "(UNCONFIRMED, option unqualified_multivalued)"
                )
            qualifier = Qualifier.FOR_ANY_VALUE
        else:
            patterns = _resolved_patterns(cond, context, options)
            invalid = _invalid_arns(cond, present.values, patterns, options)
            if invalid:
                return False, invalid
            hit = _any_match(cond, present.values[0], patterns, options)
            if negated:
                return (not hit), ("value matches a listed value" if hit else "value matches none")
            return hit, ("value matches" if hit else "value matches none of the policy values")
    values = present.values if present is not None else ()
    if present is None or not values or values == ("",):
        state = "key missing" if present is None else "empty value set"
        if qualifier is Qualifier.FOR_ALL_VALUES:
            return True, f"{state}; ForAllValues is vacuously true"
        if op.if_exists and present is None and options.for_any_value_if_exists_missing:
            return True, f"{state}; IfExists makes ForAnyValue true (option)"
        return False, f"{state}; ForAnyValue is false"
    patterns = _resolved_patterns(cond, context, options)
    invalid = _invalid_arns(cond, values, patterns, options)
    if invalid:
        return False, invalid
    hits = [_any_match(cond, v, patterns, options) for v in values]
    oks = [not h for h in hits] if negated else hits
    if qualifier is Qualifier.FOR_ALL_VALUES:
        result = all(oks)
        return result, (
            "every request value satisfies the operator"
            if result
            else "some request value fails the operator"
        )
    result = any(oks)
    return result, (
        "some request value satisfies the operator"
        if result
        else "no request value satisfies the operator"
    )


def evaluate_conditions(
    conditions: tuple[CompiledCondition, ...],
    context: Context,
    options: EngineOptions,
    trace: list[ConditionTrace] | None = None,
) -> bool:
    """AND of every entry. With `trace`, every entry is evaluated and recorded."""
    result = True
    for cond in conditions:
        ok, why = evaluate_condition(cond, context, options)
        if trace is not None:
            trace.append(
                ConditionTrace(
                    cond.source.operator,
                    cond.source.key,
                    context.get_value(cond.key),
                    cond.values,
                    ok,
                    why,
                )
            )
        elif not ok:
            return False
        result = result and ok
    return result
