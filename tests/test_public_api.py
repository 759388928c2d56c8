"""The curated public API: everything in `__all__` exists, and nothing else is promised."""

from __future__ import annotations

import deputyguard


def test_all_names_exist() -> None:
    for name in deputyguard.__all__:
        assert hasattr(deputyguard, name), name


def test_public_surface_is_small_and_sorted() -> None:
    assert deputyguard.__all__ == sorted(deputyguard.__all__)
    assert {"evaluate", "Request", "PolicySet", "parse_policy", "load_org"} <= set(
        deputyguard.__all__
    )
