"""Write fixed policies back into a CloudFormation template as the smallest text edits.

The template is never re-serialised: each change becomes a splice of the original text (a value
replaced, a member or list item inserted or removed), so comments, quoting, intrinsics and every
untouched line stay byte for byte. New values that name the deploying account are written as
`!Ref AWS::AccountId` (or `!Sub` with `${AWS::AccountId}`), and a new value equal to one an
intrinsic produced elsewhere in the policy reuses that intrinsic. After editing, the template is
read again and must yield exactly the fixed policies; anything that cannot be written faithfully
raises `RewriteError` saying why.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from deputyguard.sources.cloudformation import LAMBDA_PROPERTIES, read_template
from deputyguard.sources.cloudformation.patch import (
    Edit,
    Patcher,
    apply_edits,
    identical,
    parents_of,
)
from deputyguard.sources.cloudformation.render import Layout, canon
from deputyguard.sources.iac import SYMBOLIC_OWNER, UNKNOWN_PATTERN, RewriteError
from deputyguard.sources.policy_files import PolicySource

__all__ = ["rewrite_text"]


def rewrite_text(before: str, shown: str, changes: Sequence[tuple[PolicySource, Any]]) -> str:
    """The template text with every change applied (see the module docstring)."""
    if not changes:
        return before
    owner = changes[0][0].owner or SYMBOLIC_OWNER
    reading = read_template(before, shown, owner)
    if reading.root is None:
        message = reading.errors[0].message if reading.errors else "it cannot be read"
        raise RewriteError(f"{shown} cannot be rewritten: {message}")
    by_key = {(f.pointer, f.name): f for f in reading.found}
    layout = Layout.detect(reading.root, reading.syntax)
    parents = parents_of(reading.root)
    edits: list[Edit] = []
    for source, fixed in changes:
        found = by_key.get((source.pointer, source.name))
        if found is None:
            raise RewriteError(f"{shown}: the policy at {source.pointer} is no longer there")
        if _normal(found.document) != _normal(source.document):
            raise RewriteError(f"{shown}: the policy at {source.pointer} changed since it was read")
        if not isinstance(fixed, dict):
            raise RewriteError(f"{shown}: the fixed policy at {source.pointer} is not an object")
        patcher = Patcher(reading.text, reading.syntax, layout, parents, owner, found)
        if found.resource_type == "AWS::Lambda::Permission":
            edits.extend(_lambda_permission(patcher, fixed))
        else:
            edits.extend(patcher.run(fixed))
    after = apply_edits(before, edits, shown)
    _verify(after, shown, owner, changes)
    return after


def _verify(
    after: str, shown: str, owner: str, changes: Sequence[tuple[PolicySource, Any]]
) -> None:
    """Read the result back: each changed policy must be exactly its fix (a safety net)."""
    reading = read_template(after, shown, owner)
    for source, fixed in changes:
        # A fix can remove what made the policy depend on a condition: its variant name goes.
        here = [f for f in reading.found if f.pointer == source.pointer]
        named = [f for f in here if f.name == source.name] or here
        if not any(_normal(f.document) == _normal(fixed) for f in named):
            raise RewriteError(
                f"{shown}: the fix for {source.resource or source.pointer} cannot be written "
                "faithfully into the template; apply it by hand (--format json prints it)"
            )


def _normal(document: Any) -> str:
    """Comparable form: unknown markers anonymous, condition key names case-insensitive, and
    ArnEquals the same as ArnLike without wildcards (what Lambda writes for SourceArn)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return UNKNOWN_PATTERN.sub("?", value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            out = {key: walk(member) for key, member in value.items()}
            condition = out.get("Condition")
            if isinstance(condition, dict) and "Effect" in out:
                out["Condition"] = _normal_condition(condition)
            return out
        return value

    return json.dumps(walk(document), sort_keys=True)


def _normal_condition(condition: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for operator, block in condition.items():
        if not isinstance(block, dict):
            out[operator] = block
            continue
        values = [
            v
            for member in block.values()
            for v in (member if isinstance(member, list) else [member])
        ]
        wildcard = any("*" in str(v) or "?" in str(v) for v in values)
        name = "ArnLike" if operator == "ArnEquals" and not wildcard else operator
        out.setdefault(name, {}).update({key.lower(): member for key, member in block.items()})
    return out


# -- Lambda permissions ---------------------------------------------------------------------------


def _lambda_permission(patcher: Patcher, fixed: dict[str, Any]) -> list[Edit]:
    """Only a new SourceAccount or SourceArn can be written: those are the properties that
    become source conditions; anything else changes what Lambda is told to grant."""
    found = patcher.found
    old_statement = found.document["Statement"][0]
    statements = fixed.get("Statement")
    if isinstance(statements, list) and len(statements) == 1:
        statements = statements[0]
    refuse = RewriteError(
        f"{found.resource}: an AWS::Lambda::Permission can only gain SourceAccount or "
        "SourceArn; change the resource by hand"
    )
    if not isinstance(statements, dict) or set(fixed) != set(found.document):
        raise refuse
    if fixed.get("Version") != found.document.get("Version"):
        raise refuse
    rest_old = {k: v for k, v in old_statement.items() if k != "Condition"}
    rest_new = {k: v for k, v in statements.items() if k != "Condition"}
    if not identical(rest_old, rest_new) and canon(rest_old) != canon(rest_new):
        raise refuse
    old_conditions = _lower_keys(old_statement.get("Condition", {}))
    new_conditions = statements.get("Condition", {})
    if not isinstance(new_conditions, dict):
        raise refuse
    added: list[tuple[str, Any]] = []
    seen = set()
    for operator, block in new_conditions.items():
        if not isinstance(block, dict):
            raise refuse
        for key, value in block.items():
            seen.add((operator, key.lower()))
            if identical(old_conditions.get(operator, {}).get(key.lower()), value):
                continue
            target = LAMBDA_PROPERTIES.get(_lambda_key(key))
            if target is None or not isinstance(value, str):
                raise refuse
            expected, prop = target
            wildcard = "*" in value or "?" in value
            fits = operator == expected or (
                prop == "SourceArn" and operator in ("ArnEquals", "StringEquals") and not wildcard
            )
            properties = found.properties
            if not fits or properties is None or properties.member(prop) is not None:
                raise refuse
            added.append((prop, value))
    for operator, block in old_conditions.items():
        for key in block:
            if (operator, key) not in seen:
                raise refuse
    if not added:
        return []
    properties = found.properties
    assert properties is not None
    last = len(properties.members) - 1
    return [patcher.rebuild_map(properties, set(), {}, {last: added})]


def _lambda_key(key: str) -> str:
    lowered = key.lower()
    for name in LAMBDA_PROPERTIES:
        if name.lower() == lowered:
            return name
    return key


def _lower_keys(conditions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op: {k.lower(): v for k, v in block.items()} if isinstance(block, dict) else {}
        for op, block in copy.deepcopy(conditions).items()
    }
