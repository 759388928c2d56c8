"""Policy variables: `${key}`, `${key, 'default'}` and the literals `${*}`, `${?}`, `${$}` (S8).

A template is parsed once into parts. Substituted text is literal: a `*` that comes from a
variable or from `${*}` is not a wildcard, so resolution returns (text, is_literal) pieces and the
matcher decides how to treat each piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from deputyguard.engine.context import Context
from deputyguard.engine.options import EngineOptions

LITERAL_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    key: str
    default: str | None


Part = str | Variable
"""Plain policy text (wildcards keep their meaning) or a variable."""


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(p, Variable) for p in self.parts)


@lru_cache(maxsize=16384)
def parse_template(text: str) -> Template:
    """Split text into plain parts and variables. Malformed `${` is kept as plain text."""
    parts: list[Part] = []
    pos = 0
    buf: list[str] = []
    while True:
        start = text.find("${", pos)
        if start < 0:
            buf.append(text[pos:])
            break
        end = text.find("}", start + 2)
        if end < 0:
            buf.append(text[pos:])
            break
        buf.append(text[pos:start])
        body = text[start + 2 : end]
        if body in LITERAL_ESCAPES:
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(Variable("", LITERAL_ESCAPES[body]))
        else:
            variable = _parse_variable(body)
            if variable is None:
                buf.append(text[start : end + 1])
            else:
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(variable)
        pos = end + 1
    if buf and "".join(buf):
        parts.append("".join(buf))
    return Template(tuple(p for p in parts if p != ""))


def _parse_variable(body: str) -> Variable | None:
    # Default values are separated by comma + space and quoted: ${aws:PrincipalTag/team, 'x'}.
    if ", '" in body and body.endswith("'"):
        key, _, default = body.partition(", '")
        key = key.strip()
        if not key or " " in key:
            return None
        return Variable(key, default[:-1])
    if not body or " " in body:
        return None
    return Variable(body, None)


def resolve(
    template: Template, context: Context, options: EngineOptions
) -> tuple[tuple[str, bool], ...] | None:
    """Substitute variables. Returns (text, literal) pieces, or None if a variable has no value."""
    out: list[tuple[str, bool]] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append((part, False))
            continue
        if not part.key:  # ${*}, ${?}, ${$}
            out.append((part.default or "", True))
            continue
        value = context.get_value(part.key)
        text: str | None = None
        if value is not None and not value.is_list and value.values:
            text = value.values[0]
            if text == "" and part.default is not None and options.empty_variable_uses_default:
                text = None
        if text is None:
            if part.default is None:
                return None
            text = part.default
        out.append((text, True))
    return tuple(out)
