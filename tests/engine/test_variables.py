"""Policy variables (spec §4, S8): parsing, defaults, literals, missing values."""

from __future__ import annotations

from deputyguard.engine.context import Context
from deputyguard.engine.options import EngineOptions
from deputyguard.engine.variables import Variable, parse_template, resolve


def test_parts_and_defaults() -> None:
    template = parse_template("bucket-${aws:PrincipalTag/team, 'company-wide'}/${aws:username}")
    assert template.parts == (
        "bucket-",
        Variable("aws:PrincipalTag/team", "company-wide"),
        "/",
        Variable("aws:username", None),
    )


def test_literal_escapes_are_literal_pieces() -> None:
    pieces = resolve(parse_template("a${*}b${?}${$}"), Context(), EngineOptions())
    assert pieces == (("a", False), ("*", True), ("b", False), ("?", True), ("$", True))


def test_missing_value_without_default_is_unresolved() -> None:
    assert resolve(parse_template("${aws:PrincipalTag/x}"), Context(), EngineOptions()) is None


def test_key_names_are_case_insensitive() -> None:
    context = Context.from_json({"aws:SourceAccount": "111122223333"})
    assert resolve(parse_template("${AWS:sourceaccount}"), context, EngineOptions()) == (
        ("111122223333", True),
    )


def test_default_needs_comma_space_and_quotes() -> None:
    # Without the space the whole text is read as the key name, which never has a value
    # (UNCONFIRMED in AWS docs; the oracle reads it the same way, probe v2).
    template = parse_template("${aws:SourceAccount,'x'}")
    assert template.parts == (Variable("aws:SourceAccount,'x'", None),)
    context = Context.from_json({"aws:SourceAccount": "111122223333"})
    assert resolve(template, context, EngineOptions()) is None


def test_empty_value_takes_the_default_by_option() -> None:
    context = Context.from_json({"aws:PrincipalTag/team": ""})
    template = parse_template("${aws:PrincipalTag/team, 'd'}")
    assert resolve(template, context, EngineOptions()) == (("d", True),)
    strict = EngineOptions(empty_variable_uses_default=False)
    assert resolve(template, context, strict) == (("", True),)


def test_multivalued_keys_have_no_variable_value() -> None:
    context = Context.from_json({"aws:SourceOrgPaths": ["o-a/r-b/"]})
    assert resolve(parse_template("${aws:SourceOrgPaths}"), context, EngineOptions()) is None
