"""Property tests of the condition algebra (design.md "Correctness"): negation and missing keys,
IfExists, set operators on empty sets, ArnEquals ≡ ArnLike, Like without wildcards ≡ Equals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deputyguard.engine.conditions import compile_condition, evaluate_condition
from deputyguard.engine.context import Context
from deputyguard.engine.options import DEFAULT_OPTIONS
from deputyguard.policy.model import Condition
from strategies import arn_patterns, arns, glob_pattern, org_paths, plain_text

POSITIVE_NEGATED = [
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("ArnLike", "ArnNotLike"),
    ("ArnEquals", "ArnNotEquals"),
]


def holds(operator: str, key: str, values: list[str], context: dict[str, object]) -> bool:
    compiled = compile_condition(Condition(operator, key, tuple(values)), variables_enabled=True)
    result, _why = evaluate_condition(compiled, Context.from_json(context), DEFAULT_OPTIONS)
    return result


@given(st.sampled_from(POSITIVE_NEGATED), arns(), st.lists(arn_patterns(), min_size=1, max_size=3))
def test_negated_operator_is_the_complement_when_the_key_is_present(
    pair: tuple[str, str], value: str, patterns: list[str]
) -> None:
    positive, negated = pair
    context = {"aws:SourceArn": value}
    assert holds(negated, "aws:SourceArn", patterns, context) == (
        not holds(positive, "aws:SourceArn", patterns, context)
    )


@given(st.sampled_from(POSITIVE_NEGATED), st.lists(arn_patterns(), min_size=1, max_size=3))
def test_missing_key_positive_false_negated_true_ifexists_true(
    pair: tuple[str, str], patterns: list[str]
) -> None:
    positive, negated = pair
    assert holds(positive, "aws:SourceArn", patterns, {}) is False
    assert holds(negated, "aws:SourceArn", patterns, {}) is True
    assert holds(positive + "IfExists", "aws:SourceArn", patterns, {}) is True
    assert holds(negated + "IfExists", "aws:SourceArn", patterns, {}) is True


@given(arns(), st.lists(arn_patterns(), min_size=1, max_size=3))
def test_arn_equals_is_arn_like(value: str, patterns: list[str]) -> None:
    context = {"aws:SourceArn": value}
    assert holds("ArnEquals", "aws:SourceArn", patterns, context) == holds(
        "ArnLike", "aws:SourceArn", patterns, context
    )


@given(plain_text, st.lists(plain_text, min_size=1, max_size=3))
def test_like_without_wildcards_is_equals(value: str, patterns: list[str]) -> None:
    context = {"aws:SourceAccount": value}
    assert holds("StringLike", "aws:SourceAccount", patterns, context) == holds(
        "StringEquals", "aws:SourceAccount", patterns, context
    )


@given(plain_text, st.lists(glob_pattern, min_size=1, max_size=3))
def test_string_like_never_weaker_than_arn_like_on_arns(value: str, patterns: list[str]) -> None:
    """ArnLike components are a refinement: whatever ArnLike admits, StringLike admits too."""
    arn_value = f"arn:aws:sns:us-east-1:111122223333:{value}"
    arn_patterns_ = [f"arn:aws:sns:*:111122223333:{p}" for p in patterns]
    context = {"aws:SourceArn": arn_value}
    if holds("ArnLike", "aws:SourceArn", arn_patterns_, context):
        assert holds("StringLike", "aws:SourceArn", arn_patterns_, context)


@given(st.lists(glob_pattern, min_size=1, max_size=3))
def test_for_all_values_vacuous_and_for_any_value_false_on_missing_or_empty(
    patterns: list[str],
) -> None:
    for context in ({}, {"aws:SourceOrgPaths": []}):
        for base in ("StringLike", "StringNotLike", "StringEquals"):
            assert holds(f"ForAllValues:{base}", "aws:SourceOrgPaths", patterns, context)
            assert not holds(f"ForAnyValue:{base}", "aws:SourceOrgPaths", patterns, context)


@given(org_paths.filter(bool), st.lists(glob_pattern, min_size=1, max_size=3))
def test_for_all_values_negated_is_not_for_any_value_positive(
    paths: list[str], patterns: list[str]
) -> None:
    context = {"aws:SourceOrgPaths": paths}
    if paths == [""]:
        return  # an empty-string set counts as empty (S4)
    assert holds("ForAllValues:StringNotLike", "aws:SourceOrgPaths", patterns, context) == (
        not holds("ForAnyValue:StringLike", "aws:SourceOrgPaths", patterns, context)
    )


@given(plain_text, st.lists(plain_text, min_size=1, max_size=3))
def test_ignore_case_is_equals_on_lowered_text(value: str, patterns: list[str]) -> None:
    assert holds(
        "StringEqualsIgnoreCase", "aws:SourceAccount", patterns, {"aws:SourceAccount": value}
    ) == holds(
        "StringEquals",
        "aws:SourceAccount",
        [p.lower() for p in patterns],
        {"aws:SourceAccount": value.lower()},
    )
