"""Values shared by the Terraform reader's stages: unknown markers, the problems that make a
policy unreadable, how templates write values, and which data sources an evaluation used."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from deputyguard.sources.iac import UNKNOWN_PATTERN
from deputyguard.sources.terraform.nodes import Chunk, Directive, Expr, SourceFile, Template

__all__ = [
    "PARTITION",
    "PolicyProblem",
    "Unknowable",
    "Usage",
    "is_marker",
    "key_text",
    "template_text",
    "to_text",
]

PARTITION: Final = "aws"

_WHOLE_MARKER: Final = re.compile(UNKNOWN_PATTERN.pattern + r"\Z")


def is_marker(value: object) -> bool:
    """Whether `value` is exactly one unknown marker (a wholly unknown value)."""
    return isinstance(value, str) and _WHOLE_MARKER.match(value) is not None


class PolicyProblem(Exception):
    """A policy that cannot be read: the message names what and says why (reported, never
    silently skipped)."""

    def __init__(self, message: str, file: SourceFile | None, offset: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.offset = offset


@dataclass
class Usage:
    """Which account/Region/partition data sources an evaluation used (a fix writes them back)."""

    caller: str | None = None
    region: str | None = None
    partition: str | None = None


class Unknowable(Exception):
    """A function result that cannot be known before deployment (`reason` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Evaluates(Protocol):
    def eval(self, expr: Expr, scope: Mapping[str, Any] | None = None) -> Any: ...


# -- templates ------------------------------------------------------------------------------------


def template_text(
    evaluator: _Evaluates,
    template: Template,
    scope: Mapping[str, Any] | None,
    *,
    json_context: bool = False,
) -> tuple[str, list[int]]:
    """The template's text and, for each character, the file offset it came from.

    Interpolated text maps to the `${`. With `json_context`, an unknown value interpolated
    outside a JSON string is written as a JSON string, so the document still parses and holds
    the marker where the value would be.
    """
    out: list[str] = []
    origins: list[int] = []
    in_string = False
    for part in template.parts:
        if isinstance(part, Chunk):
            out.append(part.text)
            origins.extend(part.origins)
            if json_context:
                in_string = _json_string_state(part.text, in_string)
            continue
        if isinstance(part, Directive):
            raise PolicyProblem(
                "a template directive (%{ if } / %{ for }) builds this text: the policy cannot "
                "be analyzed statically",
                template.file,
                part.offset,
            )
        value = evaluator.eval(part.expr, scope)
        if isinstance(value, str):
            text = value
            if json_context and not in_string and is_marker(value):
                text = json.dumps(value)
        else:
            text = to_text(value)
        out.append(text)
        origins.extend([part.offset] * len(text))
    return "".join(out), origins


def _json_string_state(text: str, in_string: bool) -> bool:
    escaped = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\" and in_string:
            escaped = True
        elif c == '"':
            in_string = not in_string
    return in_string


def to_text(value: Any) -> str:
    """How a template writes a value: numbers without a trailing .0, Booleans in lower case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def key_text(key: Any) -> str:
    return key if isinstance(key, str) else to_text(key)
