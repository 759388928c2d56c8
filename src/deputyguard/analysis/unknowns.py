"""Policies with values that are unknown until deployment (IaC parameters, variables).

An unknown value could be anything the deployer passes, so the analyzer brackets it instead of
guessing (design.md: "never a guess and never silently safe"). It builds two readings of the
policy with the same statement indices:

* the **narrow** reading, in which every unknown takes the value that grants least: an `Allow`
  statement whose condition, principal or action depends on an unknown applies to nothing, a
  `Deny` statement applies as widely as its known parts allow;
* the **wide** reading, the mirror image: `Allow` statements as wide as their known parts allow,
  `Deny` statements that depend on an unknown apply to nothing.

Every request the deployed policy allows is allowed by the wide reading, and every request the
narrow reading allows is allowed by the deployed policy. So a counterexample of the narrow reading
is a real finding whatever the values; one that only the wide reading has *depends on the unknown*
and is reported as DG020 (`medium`, "cannot verify") at the unknown value.

Unknowns inside `Resource`/`NotResource` are left as opaque names: they name the template's own
resources, which the policy is attached to, and change nothing about who may use the grant.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from deputyguard.policy.parse import pointer_token
from deputyguard.policy.unknown import UNKNOWN_PREFIX, has_unknown

__all__ = ["Readings", "first_unknown_pointer", "readings"]


_RESOURCE_KEYS: Final = frozenset({"resource", "notresource"})
_PRINCIPAL_KEYS: Final = frozenset({"principal", "notprincipal"})


@dataclass(frozen=True, slots=True)
class Readings:
    narrow: dict[str, Any]
    wide: dict[str, Any]
    inert_in_narrow: frozenset[int]
    """Statement indices that apply to nothing in the narrow reading (their findings are not
    findings of the user's statement)."""
    inert_in_wide: frozenset[int]


def _member(statement: dict[str, Any], name: str) -> str | None:
    """The statement's own spelling of an element name (keys are case-insensitive)."""
    return next((k for k in statement if k.lower() == name), None)


def _decides(statement: dict[str, Any]) -> bool:
    """Whether an unknown sits where it changes who or what the statement matches."""
    return any(has_unknown(v) for k, v in statement.items() if k.lower() not in _RESOURCE_KEYS)


def _statement_member(document: Any) -> tuple[str, Any] | None:
    """The document's `Statement` member as (its spelling, its value)."""
    if not isinstance(document, dict):
        return None
    key = _member(document, "statement")
    return None if key is None else (key, document[key])


def readings(document: Any) -> Readings | None:
    """The two readings of `document`, or None when no unknown can change a decision."""
    member = _statement_member(document)
    if member is None:
        return None
    key, raw = member
    statements = raw if isinstance(raw, list) else [raw]
    if not any(isinstance(s, dict) and _decides(s) for s in statements):
        return None
    narrow_list: list[Any] = []
    wide_list: list[Any] = []
    inert_narrow: set[int] = set()
    inert_wide: set[int] = set()
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict) or not _decides(statement):
            narrow_list.append(statement)
            wide_list.append(statement)
            continue
        effect_key = _member(statement, "effect")
        allow = effect_key is not None and statement[effect_key] == "Allow"
        widened = _widen(statement)
        narrowed = _narrow(statement)
        # An Allow grants most when widened; a Deny takes away most when widened.
        grant_most, grant_least = (widened, narrowed) if allow else (narrowed, widened)
        wide_list.append(grant_most if grant_most is not None else _inert(statement))
        narrow_list.append(grant_least if grant_least is not None else _inert(statement))
        if grant_most is None:
            inert_wide.add(index)
        if grant_least is None:
            inert_narrow.add(index)
    as_list = isinstance(raw, list)
    return Readings(
        narrow={**document, key: narrow_list if as_list else narrow_list[0]},
        wide={**document, key: wide_list if as_list else wide_list[0]},
        inert_in_narrow=frozenset(inert_narrow),
        inert_in_wide=frozenset(inert_wide),
    )


def _inert(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement that matches no request (`NotAction: *` excludes every action), keeping the
    policy's shape so statement indices and positions stay those of the user's file."""
    inert: dict[str, Any] = {"Effect": "Deny", "NotAction": "*", "Resource": "*"}
    if any(k.lower() in _PRINCIPAL_KEYS for k in statement):
        inert["Principal"] = "*"
    sid = _member(statement, "sid")
    if sid is not None and isinstance(statement[sid], str) and not has_unknown(statement[sid]):
        inert["Sid"] = statement[sid]
    return inert


def _widen(statement: dict[str, Any]) -> dict[str, Any] | None:
    """The statement matching every request any value of its unknowns could make it match."""
    out = copy.deepcopy(statement)
    for name in list(out):
        value, lower = out[name], name.lower()
        if not has_unknown(value) or lower in _RESOURCE_KEYS:
            continue
        if lower == "condition" and isinstance(value, dict):
            kept = _condition_without_unknowns(value)
            if kept:
                out[name] = kept
            else:
                del out[name]
        elif lower == "principal" or lower == "action":
            out[name] = "*"
        elif lower == "notprincipal":
            kept_principals = _known_principals(value)
            if kept_principals:
                out[name] = kept_principals
            else:
                del out[name]
                out["Principal"] = "*"
        elif lower == "notaction":
            kept_actions = _known_items(value)
            del out[name]
            if kept_actions:
                out[name] = kept_actions
            else:
                out["Action"] = "*"
        elif lower == "sid":
            out[name] = "Unknown"
    return out


def _narrow(statement: dict[str, Any]) -> dict[str, Any] | None:
    """The statement matching only what every value of its unknowns makes it match, or None
    when that is nothing."""
    out = copy.deepcopy(statement)
    for name in list(out):
        value, lower = out[name], name.lower()
        if not has_unknown(value) or lower in _RESOURCE_KEYS:
            continue
        if lower in ("condition", "notprincipal", "notaction"):
            return None
        if lower == "principal":
            kept_principals = _known_principals(value)
            if not kept_principals:
                return None
            out[name] = kept_principals
        elif lower == "action":
            kept_actions = _known_items(value)
            if not kept_actions:
                return None
            out[name] = kept_actions
        elif lower == "sid":
            out[name] = "Unknown"
    return out


def _known_items(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if not has_unknown(item)]


def _known_principals(value: Any) -> dict[str, Any] | None:
    """`{"Service": [known, unknown]}` → `{"Service": [known]}`; None when nothing is known."""
    if not isinstance(value, dict):
        return None
    kept = {kind: _known_items(ids) for kind, ids in value.items() if not has_unknown(kind)}
    kept = {kind: ids for kind, ids in kept.items() if ids}
    return kept or None


def _condition_without_unknowns(condition: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for operator, block in condition.items():
        if has_unknown(operator):
            continue
        if not isinstance(block, dict):
            kept[operator] = block
            continue
        entries = {k: v for k, v in block.items() if not has_unknown(k) and not has_unknown(v)}
        if entries:
            kept[operator] = entries
    return kept


def first_unknown_pointer(document: Any, index: int, base: str) -> str | None:
    """JSON pointer (under `base`) of the first unknown value in statement `index`, where a
    finding that depends on it should point."""
    member = _statement_member(document)
    if member is None:
        return None
    key, raw = member
    if isinstance(raw, list):
        if not 0 <= index < len(raw):
            return None
        statement, pointer = raw[index], f"{base}/{pointer_token(key)}/{index}"
    else:
        statement, pointer = raw, f"{base}/{pointer_token(key)}"
    return _find(statement, pointer)


def _find(value: Any, pointer: str) -> str | None:
    if isinstance(value, str):
        return pointer if UNKNOWN_PREFIX in value else None
    members: Mapping[Any, Any] | None = None
    if isinstance(value, dict):
        members = value
    elif isinstance(value, list):
        members = dict(enumerate(value))
    if members is None:
        return None
    for token, member in members.items():
        if isinstance(token, str) and token.lower() in _RESOURCE_KEYS:
            continue
        found = _find(member, f"{pointer}/{pointer_token(token)}")
        if found is not None:
            return found
    return None
