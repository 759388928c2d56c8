"""The intrinsic functions, one handler per name (`Fn::Sub`, `Fn::Join`, ...).

A handler returns the resolved value (the evaluator records that it was computed at the call)
or, when it knows better where each part came from, a (value, `Loc`) pair.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from deputyguard.sources.cloudformation.nodes import MAP, SCALAR, SEQ, Node, scalar_offsets
from deputyguard.sources.cloudformation.values import (
    COMPUTED,
    Loc,
    SubParts,
    TemplateError,
    is_scalar,
    kind_of,
    text,
)
from deputyguard.sources.iac import has_unknown

if TYPE_CHECKING:
    from deputyguard.sources.cloudformation.eval import Eval

__all__ = ["FUNCTIONS"]

_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


_Handler = Callable[["Eval", Node, Node, str], Any]


def _fn_ref(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    name = arg.value if arg.kind == SCALAR and arg.tag is None else None
    if not isinstance(name, str) or not name:
        raise TemplateError(f"{shown} takes the name of a parameter or resource", node.position)
    return ev.ref(name, node)


def _fn_getatt(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    if arg.kind == SCALAR and isinstance(arg.value, str) and "." in arg.value:
        logical, attribute = arg.value.split(".", 1)
    elif arg.kind == SEQ and len(arg.items) == 2 and arg.items[0].kind == SCALAR:
        logical = text(arg.items[0].value)
        attribute = text(ev.scalar(arg.items[1], f"the attribute of {shown}"))
    else:
        raise TemplateError(
            f"{shown} takes 'Resource.Attribute' or [Resource, Attribute]", node.position
        )
    if logical not in ev.t.resources:
        raise TemplateError(
            f"{shown} of '{logical}', which is not a resource of this template", node.position
        )
    return ev.resource_value(logical, attribute, node)


def _fn_sub(ev: Eval, arg: Node, node: Node, shown: str) -> tuple[Any, Loc]:
    variables: dict[str, Node] = {}
    template = arg
    if arg.kind == SEQ:
        if len(arg.items) != 2 or arg.items[1].kind != MAP or arg.items[1].tag is not None:
            raise TemplateError(f"{shown} takes a string or [string, {{variables}}]", node.position)
        template = arg.items[0]
        variables = {m.key: m.value for m in arg.items[1].members}
    if template.kind != SCALAR or template.tag is not None or not isinstance(template.value, str):
        raise TemplateError(f"{shown} needs a string to substitute into", node.position)
    pattern: str = template.value
    before = ev.inexact
    out: list[str] = []
    source: list[int] = []
    last = 0
    for match in _SUB_VARIABLE.finditer(pattern):
        out.append(pattern[last : match.start()])
        source.extend(range(last, match.start()))
        inner = match.group(1)
        if inner.startswith("!"):
            literal = "${" + inner[1:] + "}"
            out.append(literal)
            source.extend([match.start(), *range(match.start() + 2, match.end())])
        else:
            value = ev.sub_variable(inner.strip(), variables, node)
            out.append(value)
            source.extend([-1] * len(value))
        last = match.end()
    out.append(pattern[last:])
    source.extend(range(last, len(pattern)))
    result = "".join(out)

    def chars() -> list[int]:
        offsets = scalar_offsets(template, pattern)
        placeholder = node.start
        return [offsets[i] if i >= 0 else placeholder for i in source] + [offsets[-1]]

    loc = Loc(
        node.position,
        node,
        COMPUTED,
        chars=chars,
        exact=ev.inexact == before,
        sub=SubParts(template, source),
        what=shown,
    )
    return result, loc


def _fn_join(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    delimiter_node, values_node = ev.args(arg, shown, node, 2)
    delimiter = delimiter_node.value if delimiter_node.kind == SCALAR else None
    if not isinstance(delimiter, str):
        raise TemplateError(f"{shown} needs a string delimiter first", node.position)
    values, _ = ev.value(values_node)
    if isinstance(values, str) and has_unknown(values):
        return values
    if not isinstance(values, list):
        raise TemplateError(f"{shown} needs a list of values to join", node.position)
    parts = []
    for value in values:
        if not is_scalar(value):
            raise TemplateError(
                f"{shown} can only join strings, not {kind_of(value)}", node.position
            )
        parts.append(text(value))
    return delimiter.join(parts)


def _fn_select(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    index_node, values_node = ev.args(arg, shown, node, 2)
    index = ev.scalar(index_node, f"the index of {shown}")
    values, _ = ev.value(values_node)
    if isinstance(index, str) and has_unknown(index):
        return index
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise TemplateError(f"{shown} needs a number as index", node.position) from None
    if isinstance(values, str) and has_unknown(values):
        return values
    if not isinstance(values, list):
        raise TemplateError(f"{shown} needs a list to select from", node.position)
    if 0 <= position < len(values):
        return values[position]
    if has_unknown(values):  # a list of unknown length
        return next(v for v in values if has_unknown(v))
    raise TemplateError(
        f"{shown} index {position} is outside the list of {len(values)}", node.position
    )


def _fn_split(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    delimiter_node, source_node = ev.args(arg, shown, node, 2)
    delimiter = delimiter_node.value if delimiter_node.kind == SCALAR else None
    if not isinstance(delimiter, str) or not delimiter:
        raise TemplateError(f"{shown} needs a string delimiter first", node.position)
    source = ev.scalar(source_node, f"the string of {shown}")
    return text(source).split(delimiter)


def _fn_find_in_map(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    if arg.kind != SEQ or len(arg.items) not in (3, 4):
        raise TemplateError(f"{shown} takes [MapName, TopLevelKey, SecondLevelKey]", node.position)
    keys = [ev.scalar(item, f"a key of {shown}") for item in arg.items[:3]]
    default: Node | None = None
    if len(arg.items) == 4:
        options = arg.items[3]
        default = options.get("DefaultValue") if options.kind == MAP else None
    for key in keys:
        if isinstance(key, str) and has_unknown(key):
            ev.inexact += 1
            return ev.t.values.marker(
                f"{shown} with a key only known at deployment ({ev.t.where(node)})"
            )
    found: Node | None = ev.t.mappings.get(text(keys[0]))
    for key in keys[1:]:
        found = found.get(text(key)) if found is not None and found.kind == MAP else None
    if found is None:
        if default is not None:
            return ev.value(default)[0]
        path = ".".join(text(k) for k in keys)
        raise TemplateError(f"{shown}: Mappings has no {path}", node.position)
    return ev.value(found)[0]


def _unknown(reason: str) -> _Handler:
    def handler(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
        ev.inexact += 1
        detail = ""
        if arg.kind == SCALAR and isinstance(arg.value, str) and reason == "import":
            detail = f" of '{arg.value}'"
        marker = ev.t.values.marker(
            f"{shown}{detail} is only known at deployment ({ev.t.where(node)})"
        )
        return [marker] if reason == "list" else marker

    return handler


def _fn_base64(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    value = ev.scalar(arg, f"the argument of {shown}")
    return base64.b64encode(text(value).encode()).decode()


def _fn_to_json_string(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    value, _ = ev.value(arg)
    if not isinstance(value, (dict, list)):
        raise TemplateError(f"{shown} takes an object or a list", node.position)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _fn_length(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    value, _ = ev.value(arg)
    if not isinstance(value, list):
        raise TemplateError(f"{shown} takes a list", node.position)
    if has_unknown(value):
        ev.inexact += 1
        return ev.t.values.marker(
            f"{shown} of a list only known at deployment ({ev.t.where(node)})"
        )
    return len(value)


def _fn_transform(ev: Eval, arg: Node, node: Node, shown: str) -> Any:
    raise TemplateError(
        f"{shown} runs a macro at deployment; its output cannot be read", node.position
    )


FUNCTIONS: Final[dict[str, _Handler]] = {
    "Ref": _fn_ref,
    "Fn::GetAtt": _fn_getatt,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::ImportValue": _unknown("import"),
    "Fn::GetAZs": _unknown("list"),
    "Fn::Cidr": _unknown("list"),
    "Fn::Base64": _fn_base64,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::Length": _fn_length,
    "Fn::Transform": _fn_transform,
}
