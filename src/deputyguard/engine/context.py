"""The request context: condition keys and their values, looked up case-insensitively (S2, S8).

Single- versus multivalued is a property of the context (S4): a key given as a JSON list, or one
that AWS documents as multivalued (e.g. `aws:SourceOrgPaths`), is a set; anything else one value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from deputyguard.awsdata.catalog import is_multivalued_key


class RequestError(ValueError):
    """A request that cannot be evaluated (unknown action, malformed principal, bad value...)."""


@dataclass(frozen=True, slots=True)
class ContextValue:
    name: str
    values: tuple[str, ...]
    is_list: bool

    def display(self) -> str:
        if self.is_list:
            return "[" + ", ".join(repr(v) for v in self.values) + "]"
        return repr(self.values[0]) if self.values else "''"


def _scalar_text(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise RequestError(f"context key {key}: values are strings, numbers or Booleans")


class Context(Mapping[str, ContextValue]):
    """Immutable mapping from lower-cased key name to its value."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, ContextValue] | None = None) -> None:
        self._items: dict[str, ContextValue] = dict(items or {})

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Context:
        items: dict[str, ContextValue] = {}
        for name, value in raw.items():
            if not isinstance(name, str):
                raise RequestError("context keys are strings")
            lower = name.lower()
            if lower in items:
                raise RequestError(f"context key {name} is given twice (key names ignore case)")
            items[lower] = make_value(name, value)
        return cls(items)

    def with_values(self, extra: Mapping[str, Any]) -> Context:
        """A copy with `extra` keys added where this context does not already have them."""
        items = dict(self._items)
        for name, value in extra.items():
            items.setdefault(name.lower(), make_value(name, value))
        return Context(items)

    def get_value(self, key: str) -> ContextValue | None:
        return self._items.get(key.lower())

    def __getitem__(self, key: str) -> ContextValue:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def to_json(self) -> dict[str, str | list[str]]:
        return {v.name: list(v.values) if v.is_list else v.values[0] for v in self._items.values()}


def make_value(name: str, value: Any) -> ContextValue:
    if isinstance(value, str):
        return _string_value(name, value)
    return _make_value(name, value)


@lru_cache(maxsize=16384)
def _string_value(name: str, value: str) -> ContextValue:
    """Most context values are plain strings repeated across requests: build each once."""
    return _make_value(name, value)


def _make_value(name: str, value: Any) -> ContextValue:
    multivalued = is_multivalued_key(name)
    if isinstance(value, list):
        texts = tuple(_scalar_text(v, name) for v in value)
        if multivalued is False:
            if len(texts) != 1:
                raise RequestError(
                    f"context key {name} is single-valued but {len(texts)} values were given"
                )
            return ContextValue(name, texts, False)
        return ContextValue(name, texts, True)
    text = _scalar_text(value, name)
    return ContextValue(name, (text,), multivalued is True)
