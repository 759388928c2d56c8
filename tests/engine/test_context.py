"""The request context: case-insensitive keys, single- versus multivalued values."""

from __future__ import annotations

import pytest

from deputyguard.engine.context import Context, RequestError


def test_lookup_ignores_case_and_keeps_the_name() -> None:
    context = Context.from_json({"AWS:SourceAccount": "111122223333"})
    value = context.get_value("aws:sourceaccount")
    assert value is not None and value.name == "AWS:SourceAccount"


def test_known_multivalued_key_given_as_string_is_a_set() -> None:
    value = Context.from_json({"aws:SourceOrgPaths": "o-a/r-b/"}).get_value("aws:SourceOrgPaths")
    assert value is not None and value.is_list and value.values == ("o-a/r-b/",)


def test_single_valued_key_given_several_values_is_an_error() -> None:
    with pytest.raises(RequestError, match="single-valued"):
        Context.from_json({"aws:SourceAccount": ["111122223333", "444455556666"]})


def test_booleans_and_numbers_become_text() -> None:
    context = Context.from_json({"aws:PrincipalIsAWSService": True, "s3:max-keys": 10})
    assert context["aws:PrincipalIsAWSService"].values == ("true",)
    assert context["s3:max-keys"].values == ("10",)


def test_same_key_twice_in_different_case_is_an_error() -> None:
    with pytest.raises(RequestError, match="twice"):
        Context.from_json({"aws:SourceAccount": "1", "AWS:SOURCEACCOUNT": "2"})


def test_given_keys_win_over_derived_ones() -> None:
    context = Context.from_json({"aws:SourceAccount": "111122223333"})
    merged = context.with_values({"aws:SourceAccount": "999988887777", "aws:SourceOrgID": "o-x"})
    assert merged["aws:SourceAccount"].values == ("111122223333",)
    assert merged["aws:SourceOrgID"].values == ("o-x",)
