"""The Terraform functions the reader evaluates (jsonencode, format, join, concat, merge, …).

A function whose result would garble an unknown marker (upper() of one) or that cannot be known
before deployment raises `Unknowable`; the evaluator turns that into a marker whose reason says
which call it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from deputyguard.sources.iac import UNKNOWN_PATTERN, has_unknown
from deputyguard.sources.terraform.hcl import parse_template
from deputyguard.sources.terraform.nodes import Call, SourceFile, Template
from deputyguard.sources.terraform.values import (
    Unknowable,
    is_marker,
    key_text,
    template_text,
    to_text,
)

if TYPE_CHECKING:
    from deputyguard.sources.terraform.eval import Evaluator

__all__ = ["FUNCTIONS"]

_FORMAT_VERB: Final = re.compile(r"%(?:%|[-+# 0]*(?:\d+|\*)?(?:\.\d+)?([a-zA-Z]))")


def _strings(args: Sequence[Any], name: str) -> list[str]:
    out = []
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, str | int | float):
            raise TypeError(name)
        out.append(to_text(arg))
    return out


def _known_strings(args: Sequence[Any], name: str) -> list[str]:
    """String arguments for a function that would garble a marker inside them."""
    if any(has_unknown(a) for a in args):
        raise Unknowable(f"{name}() of a value only known when Terraform runs")
    return _strings(args, name)


def _list(value: Any, name: str) -> list[Any]:
    if is_marker(value):
        raise Unknowable(f"{name}() of a list only known when Terraform runs")
    if not isinstance(value, list):
        raise TypeError(name)
    return value


def _fn_jsonencode(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _fn_jsondecode(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (text,) = args
    if not isinstance(text, str) or is_marker(text):
        raise Unknowable("jsondecode() of a value only known when Terraform runs")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unknowable(f"jsondecode() of invalid JSON ({exc.msg})") from None


def _fn_format(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    fmt, *rest = args
    if not isinstance(fmt, str) or has_unknown(fmt):
        raise Unknowable("format() with a format only known when Terraform runs")
    values = iter(rest)

    def verb(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        value = next(values)
        kind = match.group(1)
        if kind == "q":
            return json.dumps(to_text(value), ensure_ascii=False)
        if kind == "d" and isinstance(value, float) and not has_unknown(value):
            return str(int(value))
        return to_text(value)

    return _FORMAT_VERB.sub(verb, fmt)


def _fn_join(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    sep, *lists = args
    items = [item for value in lists for item in _list(value, "join")]
    return _strings([sep], "join")[0].join(_strings(items, "join"))


def _fn_concat(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    return [item for value in args for item in _list(value, "concat")]


def _fn_merge(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    merged: dict[str, Any] = {}
    for value in args:
        if value is None:
            continue
        if is_marker(value):
            raise Unknowable("merge() of a map only known when Terraform runs")
        if not isinstance(value, dict):
            raise TypeError("merge")
        merged.update(value)
    return merged


def _fn_flatten(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    out: list[Any] = []
    stack: list[Iterator[Any]] = [iter(_list(value, "flatten"))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            out.append(item)
    return out


_END: Final = object()


def _fn_distinct(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    out: list[Any] = []
    for item in _list(value, "distinct"):
        if item not in out:
            out.append(item)
    return out


def _fn_tolist(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return list(_list(value, "tolist"))


def _fn_identity(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return value


def _fn_tostring(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return _strings([value], "tostring")[0]


def _fn_lower(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (text,) = _strings(args, "lower")  # markers are lower case already
    return text.lower() if not has_unknown(text) else _lower_keeping_markers(text)


def _lower_keeping_markers(text: str) -> str:
    pieces = UNKNOWN_PATTERN.split(text)
    markers = UNKNOWN_PATTERN.findall(text)
    out = pieces[0].lower()
    for marker, piece in zip(markers, pieces[1:], strict=True):
        out += marker + piece.lower()
    return out


def _fn_upper(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (text,) = _known_strings(args, "upper")
    return text.upper()


def _fn_trimspace(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (text,) = _strings(args, "trimspace")
    return text.strip()


def _fn_split(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    sep, text = _known_strings(args, "split")
    return text.split(sep)


def _fn_replace(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    text, old, new = _known_strings(args, "replace")
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise Unknowable("replace() with a regular expression is not evaluated")
    return text.replace(old, new)


def _fn_coalesce(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    for value in args:
        if is_marker(value):
            raise Unknowable("coalesce() of a value only known when Terraform runs")
        if value is not None and value != "":
            return value
    raise ValueError("coalesce")


def _fn_compact(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return [item for item in _list(value, "compact") if item not in (None, "")]


def _fn_lookup(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    mapping, key, *default = args
    if is_marker(mapping) or has_unknown(key):
        raise Unknowable("lookup() in a map only known when Terraform runs")
    if not isinstance(mapping, dict):
        raise TypeError("lookup")
    name = key_text(key)
    if name in mapping:
        return mapping[name]
    if default:
        return default[0]
    raise KeyError(name)


def _fn_element(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    value, index = args
    items = _list(value, "element")
    if has_unknown(index) or not items:
        raise Unknowable("element() at an index only known when Terraform runs")
    return items[int(index) % len(items)]


def _fn_length(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    if is_marker(value):
        raise Unknowable("length() of a value only known when Terraform runs")
    if isinstance(value, str | list | dict):
        return len(value)
    raise TypeError("length")


def _fn_keys(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    if not isinstance(value, dict):
        raise Unknowable("keys() of a map only known when Terraform runs")
    return sorted(value)


def _fn_values(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    if not isinstance(value, dict):
        raise Unknowable("values() of a map only known when Terraform runs")
    return [value[k] for k in sorted(value)]


def _fn_sort(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (value,) = args
    return sorted(_known_strings(_list(value, "sort"), "sort"))


def _fn_contains(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    value, item = args
    if has_unknown(value) or has_unknown(item):
        raise Unknowable("contains() with a value only known when Terraform runs")
    return item in _list(value, "contains")


def _fn_file(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    (path,) = args
    return ev.read_file(expr, path)[1]


def _fn_templatefile(ev: Evaluator, expr: Call, args: list[Any]) -> Any:
    path_value, variables = args
    if not isinstance(variables, dict):
        raise Unknowable("templatefile() with variables only known when Terraform runs")
    path, text = ev.read_file(expr, path_value)
    template_file = SourceFile(path, str(path), text)
    parts = parse_template(text, range(len(text)), template_file)
    template = Template(template_file, 0, len(text), parts, heredoc="templatefile")
    return template_text(ev, template, variables)[0]


FUNCTIONS: Final[dict[str, Callable[[Evaluator, Call, list[Any]], Any]]] = {
    "jsonencode": _fn_jsonencode,
    "jsondecode": _fn_jsondecode,
    "format": _fn_format,
    "join": _fn_join,
    "concat": _fn_concat,
    "merge": _fn_merge,
    "flatten": _fn_flatten,
    "distinct": _fn_distinct,
    "tolist": _fn_tolist,
    "toset": _fn_distinct,
    "tomap": _fn_identity,
    "tostring": _fn_tostring,
    "lower": _fn_lower,
    "upper": _fn_upper,
    "trimspace": _fn_trimspace,
    "split": _fn_split,
    "replace": _fn_replace,
    "coalesce": _fn_coalesce,
    "compact": _fn_compact,
    "lookup": _fn_lookup,
    "element": _fn_element,
    "length": _fn_length,
    "keys": _fn_keys,
    "values": _fn_values,
    "sort": _fn_sort,
    "contains": _fn_contains,
    "file": _fn_file,
    "templatefile": _fn_templatefile,
    "sensitive": _fn_identity,
    "nonsensitive": _fn_identity,
}
