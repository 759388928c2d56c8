"""Turn a decoded JSON policy document into the AST, collecting every structural problem.

The parser is total: it never raises on bad input, it records an `Issue` with a position and goes
on, so one run reports all problems of a document. Grammar: spec §1 (S16, S30).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from deputyguard.policy.issues import Issue, error
from deputyguard.policy.model import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PrincipalSet,
    ScalarValue,
    Span,
    Statement,
)


class HasPosition(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
PRINCIPAL_KEYS = {"AWS": "aws", "Service": "service", "Federated": "federated"}
PRINCIPAL_KEYS_ALL = frozenset({*PRINCIPAL_KEYS, "CanonicalUser"})
MERGEABLE_DUPLICATES = frozenset({"Action", "NotAction", "Resource", "NotResource"})


@dataclass(frozen=True, slots=True)
class ParseResult:
    policy: Policy | None
    issues: tuple[Issue, ...]

    @property
    def blocking(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.blocking)


def pointer_token(token: str | int) -> str:
    text = str(token)
    if "~" not in text and "/" not in text:
        return text
    return text.replace("~", "~0").replace("/", "~1")


class _Parser:
    def __init__(
        self,
        positions: Mapping[str, HasPosition] | None,
        duplicates: Iterable[tuple[str, str]],
        all_values: Mapping[str, tuple[Any, ...]] | None,
        legacy_duplicates: bool,
        base_pointer: str,
    ) -> None:
        self.positions = positions or {}
        self.duplicates: dict[str, set[str]] = {}
        for obj_pointer, key in duplicates:
            self.duplicates.setdefault(obj_pointer, set()).add(key)
        self.all_values = all_values or {}
        self.legacy = legacy_duplicates
        self.base = base_pointer
        self.issues: list[Issue] = []

    # -- helpers -------------------------------------------------------------------------------
    def span(self, pointer: str) -> Span:
        full = self.base + pointer
        if not self.positions:
            return Span(full)
        pos = self.positions.get(full)
        if pos is None:
            return Span(full)
        return Span(full, pos.line, pos.column)

    def fail(self, code: str, message: str, pointer: str, *, blocking: bool = True) -> None:
        self.issues.append(error(code, message, self.span(pointer), blocking=blocking))

    def check_duplicates(self, pointer: str, allowed_merge: frozenset[str]) -> None:
        if not self.duplicates:
            return
        for key in sorted(self.duplicates.get(self.base + pointer, ())):
            where = f"{pointer}/{pointer_token(key)}"
            if self.legacy and (key in allowed_merge or key == "Effect"):
                continue
            self.fail(
                "DUPLICATE_ELEMENT",
                f"'{key}' appears more than once; IAM rejects duplicated keys in new policies",
                where,
            )

    def strings(self, value: Any, pointer: str, element: str) -> tuple[str, ...] | None:
        """A string or a non-empty list of strings (the string-or-list form of S16)."""
        merged = self.all_values.get(self.base + pointer) if self.legacy else None
        if merged is not None:
            parts = [self.strings(v, pointer, element) for v in merged]
            return tuple(s for p in parts if p for s in p)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and value:
            out: list[str] = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(item)
                else:
                    self.fail(
                        "INVALID_POLICY_ELEMENT",
                        f"{element} values must be strings, not {_json_type(item)}",
                        f"{pointer}/{i}",
                    )
            return tuple(out)
        self.fail(
            "INVALID_POLICY_ELEMENT",
            f"{element} must be a string or a non-empty list of strings, not {_json_type(value)}",
            pointer,
        )
        return None

    # -- document ------------------------------------------------------------------------------
    def policy(self, doc: Any, name: str | None) -> Policy | None:
        if not isinstance(doc, dict):
            self.fail("JSON_SYNTAX_ERROR", f"a policy is a JSON object, not {_json_type(doc)}", "")
            return None
        self.check_duplicates("", frozenset())
        for key in doc:
            if key not in POLICY_ELEMENTS:
                self.fail(
                    "INVALID_POLICY_ELEMENT",
                    f"unknown policy element '{key}' (expected Version, Id, Statement)",
                    f"/{pointer_token(key)}",
                )
        version = doc.get("Version")
        if version is not None and version not in (VERSION_2012, VERSION_2008):
            self.fail(
                "INVALID_VERSION",
                f"Version must be {VERSION_2012!r} or {VERSION_2008!r}, not {version!r}",
                "/Version",
            )
            version = None
        policy_id = doc.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.fail("INVALID_POLICY_ELEMENT", "Id must be a string", "/Id")
            policy_id = None
        if "Statement" not in doc:
            self.fail("MISSING_STATEMENT", "the policy has no Statement element", "")
            return None
        raw = doc["Statement"]
        if isinstance(raw, dict):
            items: list[tuple[Any, str]] = [(raw, "/Statement")]
        elif isinstance(raw, list):
            items = [(s, f"/Statement/{i}") for i, s in enumerate(raw)]
            if not raw:
                self.fail("MISSING_STATEMENT", "Statement is an empty list", "/Statement")
        else:
            self.fail(
                "INVALID_POLICY_ELEMENT",
                f"Statement must be an object or a list of objects, not {_json_type(raw)}",
                "/Statement",
            )
            return None
        statements = []
        for index, (item, pointer) in enumerate(items):
            statement = self.statement(item, index, pointer)
            if statement is not None:
                statements.append(statement)
        return Policy(
            statements=tuple(statements),
            version=version if isinstance(version, str) else None,
            id=policy_id,
            name=name,
            span=self.span(""),
        )

    def statement(self, raw: Any, index: int, pointer: str) -> Statement | None:
        if not isinstance(raw, dict):
            self.fail(
                "INVALID_POLICY_ELEMENT",
                f"a statement is an object, not {_json_type(raw)}",
                pointer,
            )
            return None
        self.check_duplicates(pointer, MERGEABLE_DUPLICATES)
        for key in raw:
            if key not in STATEMENT_ELEMENTS:
                self.fail(
                    "INVALID_POLICY_ELEMENT",
                    f"unknown statement element '{key}'",
                    f"{pointer}/{pointer_token(key)}",
                )
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
            if a in raw and b in raw:
                self.fail(
                    "UNSUPPORTED_ELEMENT_COMBINATION",
                    f"a statement cannot have both {a} and {b}",
                    pointer,
                )
        if "Principal" in raw and "NotPrincipal" in raw:
            self.fail(
                "UNSUPPORTED_ELEMENT_COMBINATION",
                "a statement cannot have both Principal and NotPrincipal",
                pointer,
            )
        effect = self.effect(raw, pointer)
        sid = raw.get("Sid")
        if sid is not None and not isinstance(sid, str):
            self.fail("INVALID_POLICY_ELEMENT", "Sid must be a string", f"{pointer}/Sid")
            sid = None
        if "Action" not in raw and "NotAction" not in raw:
            self.fail("MISSING_ACTION", "the statement has no Action or NotAction", pointer)
        fields: dict[str, tuple[str, ...] | None] = {}
        for element in ("Action", "NotAction", "Resource", "NotResource"):
            if element in raw:
                fields[element] = self.strings(raw[element], f"{pointer}/{element}", element)
        principal = (
            self.principal(raw["Principal"], f"{pointer}/Principal") if "Principal" in raw else None
        )
        not_principal = (
            self.principal(raw["NotPrincipal"], f"{pointer}/NotPrincipal")
            if "NotPrincipal" in raw
            else None
        )
        conditions = (
            self.conditions(raw["Condition"], f"{pointer}/Condition") if "Condition" in raw else ()
        )
        if effect is None:
            return None
        return Statement(
            index=index,
            effect=effect,
            sid=sid,
            principal=principal,
            not_principal=not_principal,
            actions=fields.get("Action"),
            not_actions=fields.get("NotAction"),
            resources=fields.get("Resource"),
            not_resources=fields.get("NotResource"),
            conditions=conditions,
            span=self.span(pointer),
        )

    def effect(self, raw: dict[str, Any], pointer: str) -> Effect | None:
        if "Effect" not in raw:
            self.fail("MISSING_EFFECT", "the statement has no Effect", pointer)
            return None
        value = raw["Effect"]
        if value == "Allow":
            return Effect.ALLOW
        if value == "Deny":
            return Effect.DENY
        hint = " (Effect is case-sensitive)" if str(value).lower() in ("allow", "deny") else ""
        self.fail(
            "INVALID_EFFECT",
            f"Effect must be 'Allow' or 'Deny', not {value!r}{hint}",
            f"{pointer}/Effect",
        )
        return None

    def principal(self, raw: Any, pointer: str) -> PrincipalSet | None:
        span = self.span(pointer)
        if raw == "*":
            return PrincipalSet(wildcard=True, span=span)
        if not isinstance(raw, dict) or not raw:
            self.fail(
                "INVALID_PRINCIPAL_FORMAT",
                'Principal must be "*" or an object with AWS, Service, Federated or CanonicalUser',
                pointer,
            )
            return None
        self.check_duplicates(pointer, frozenset())
        found: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            where = f"{pointer}/{pointer_token(key)}"
            if key not in PRINCIPAL_KEYS_ALL:
                self.fail(
                    "INVALID_PRINCIPAL_KEY",
                    f"unknown principal type '{key}' (expected AWS, Service, Federated, "
                    "CanonicalUser)",
                    where,
                )
                continue
            values = self.strings(value, where, f"Principal {key}")
            if values is not None:
                found[key] = values
        aws = found.get("AWS", ())
        wildcard = "*" in aws
        return PrincipalSet(
            wildcard=wildcard,
            aws=tuple(a for a in aws if a != "*"),
            service=found.get("Service", ()),
            federated=found.get("Federated", ()),
            canonical_user=found.get("CanonicalUser", ()),
            span=span,
        )

    def conditions(self, raw: Any, pointer: str) -> tuple[Condition, ...]:
        if not isinstance(raw, dict):
            self.fail(
                "INVALID_POLICY_ELEMENT",
                f"Condition must be an object of operators, not {_json_type(raw)}",
                pointer,
            )
            return ()
        self.check_duplicates(pointer, frozenset())
        out: list[Condition] = []
        for operator, block in raw.items():
            op_pointer = f"{pointer}/{pointer_token(operator)}"
            if not isinstance(block, dict) or not block:
                self.fail(
                    "INVALID_POLICY_ELEMENT",
                    f"condition operator {operator} must map to a non-empty object of keys",
                    op_pointer,
                )
                continue
            self.check_duplicates(op_pointer, frozenset())
            for key, value in block.items():
                key_pointer = f"{op_pointer}/{pointer_token(key)}"
                values = self.condition_values(value, key_pointer)
                if values is not None:
                    out.append(Condition(operator, key, values, self.span(key_pointer)))
        return tuple(out)

    def condition_values(self, raw: Any, pointer: str) -> tuple[ScalarValue, ...] | None:
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            self.fail(
                "INVALID_CONDITION_DATA_TYPE", "a condition needs at least one value", pointer
            )
            return None
        values: list[ScalarValue] = []
        for i, item in enumerate(items):
            where = f"{pointer}/{i}" if isinstance(raw, list) else pointer
            if isinstance(item, str | bool | int | float):
                values.append(item)
            else:
                self.fail(
                    "INVALID_CONDITION_DATA_TYPE",
                    f"condition values are strings, numbers or Booleans, not {_json_type(item)}",
                    where,
                )
                return None
        return tuple(values)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_policy(
    document: Any,
    *,
    name: str | None = None,
    positions: Mapping[str, HasPosition] | None = None,
    duplicates: Iterable[tuple[str, str]] = (),
    all_values: Mapping[str, tuple[Any, ...]] | None = None,
    legacy_duplicates: bool = False,
    base_pointer: str = "",
) -> ParseResult:
    """Parse a decoded policy document.

    `positions`/`duplicates`/`all_values` come from `jsontext.parse_json` when the document was
    read from text; `base_pointer` locates the document inside a larger file. With
    `legacy_duplicates`, duplicated Action/Resource lists are merged and the last Effect wins, as
    IAM does for policies stored before it rejected duplicates (S17).
    """
    parser = _Parser(positions, duplicates, all_values, legacy_duplicates, base_pointer)
    policy = parser.policy(document, name)
    return ParseResult(policy, tuple(parser.issues))
