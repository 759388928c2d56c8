"""Project configuration: `[tool.deputyguard]` in pyproject.toml or a `.deputyguard.toml`.

Settings live next to the policies they govern, so teams share them through version control and
CI runs with the same trust model as a laptop. The nearest file upward from the cwd wins, as with
Ruff. Every mistake is a `ConfigError` naming the file, the line (best effort: `tomllib` keeps no
positions) and the key, and unknown keys are errors, so a typo never silently weakens a check.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from deputyguard.sources.policy_files import PathPatterns, display_path

__all__ = [
    "CONFIG_FILE",
    "FAIL_ON_LEVELS",
    "Config",
    "ConfigError",
    "PathIgnore",
    "find_config",
    "load_config",
]

CONFIG_FILE: Final = ".deputyguard.toml"
PYPROJECT: Final = "pyproject.toml"
FAIL_ON_LEVELS: Final = ("critical", "high", "medium", "low", "info")
DEFAULT_FAIL_ON: Final = "high"
"""`high` and above is what makes a verdict FAIL (rules.md), so CI fails exactly on FAIL."""

_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_ORG_ID: Final = re.compile(r"o-[a-z0-9]{10,32}")
_RULE_SELECTOR: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_TOML_POSITION: Final = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True, slots=True)
class PathIgnore:
    """Rules switched off for matching paths; a reason is required so suppressions get reviewed."""

    path: str
    """A glob; relative globs are anchored to the config file's folder when loaded from one."""
    rules: tuple[str, ...]
    reason: str

    def matches(self, file: str | os.PathLike[str]) -> bool:
        """Whether this entry covers `file` (a finding's path, relative to the cwd or absolute)."""
        return PathPatterns([self.path]).matches(file)


@dataclass(frozen=True, slots=True)
class Config:
    """Settings before command-line flags are applied; the CLI lets flags override each field."""

    org: str | None = None
    account: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    trusted_organizations: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = DEFAULT_FAIL_ON
    exclude: tuple[str, ...] = ()
    per_path_ignores: tuple[PathIgnore, ...] = ()
    baseline: str | None = None
    source: str | None = None
    """The file the settings came from, None for built-in defaults."""

    def ignored_rules(self, file: str | os.PathLike[str]) -> frozenset[str]:
        """Rule selectors that per-path ignores switch off for `file`."""
        return frozenset(
            r for entry in self.per_path_ignores if entry.matches(file) for r in entry.rules
        )


class ConfigError(ValueError):
    """A configuration file that cannot be used, with where and what to fix."""

    def __init__(
        self, message: str, file: str | None, key: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message, file, key, line)
        self.message = message
        self.file = file
        self.key = key
        self.line = line

    def __str__(self) -> str:
        where = self.file or "configuration"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


# -- finding and reading the file -----------------------------------------------------------------


def find_config(start: Path | None = None) -> Path | None:
    """The nearest `.deputyguard.toml`, or pyproject.toml with `[tool.deputyguard]`, upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            tool = _read_toml(pyproject)[1].get("tool")
            if isinstance(tool, dict) and "deputyguard" in tool:
                return pyproject
    return None


def load_config(start: Path | None = None, explicit: Path | None = None) -> Config:
    """Load the explicit file, else the nearest one from `start` (the cwd); defaults if none."""
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return Config()
    text, data = _read_toml(path)
    if path.name != PYPROJECT:
        return _Reader(path, text, "").config(data)
    tool = data.get("tool")
    if not isinstance(tool, dict) or "deputyguard" not in tool:
        raise ConfigError("has no [tool.deputyguard] table", display_path(path))
    return _Reader(path, text, "tool.deputyguard").config(tool["deputyguard"])


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", display_path(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", display_path(path)) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        message = _TOML_POSITION.sub("", str(exc)).strip()
        line = int(found.group(1)) if found else None
        raise ConfigError(f"invalid TOML: {message}", display_path(path), line=line) from None


# -- validating -----------------------------------------------------------------------------------


class _Invalid(Exception):
    """A value is wrong; the reader adds where (file, line, key) before the user sees it."""

    def __init__(self, message: str, entry: int | None = None, sub: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.sub = sub


class _Reader:
    """Validate one settings table; the first problem becomes a ConfigError with its location."""

    def __init__(self, path: Path, text: str, table: str) -> None:
        self.path = path
        self.text = text
        self.table = table
        self.folder = path.resolve().parent

    def key(self, name: str) -> str:
        return f"{self.table}.{name}" if self.table else name

    def error(self, name: str, problem: _Invalid) -> ConfigError:
        line = _line_of(self.text, self.table, name, problem.entry, problem.sub)
        key = self.key(name)
        if problem.entry is not None:
            key += f"[{problem.entry}]" + (f".{problem.sub}" if problem.sub else "")
        return ConfigError(problem.message, display_path(self.path), key, line)

    def config(self, table: object) -> Config:
        if not isinstance(table, dict):
            raise ConfigError("must be a table", display_path(self.path), self.table or None)
        values: dict[str, Any] = {"source": os.fspath(self.path)}  # as found: absolute
        for name, value in table.items():
            try:
                if name == "tool" and not self.table:
                    raise _Invalid(f"unknown key; in {CONFIG_FILE} settings go at the top level")
                if name not in _FIELDS:
                    raise _Invalid(f"unknown key{_suggestion(name, list(_FIELDS))}")
                field, check = _FIELDS[name]
                values[field] = check(self, value)
            except _Invalid as problem:
                raise self.error(name, problem) from None
        return Config(**values)

    def path_value(self, value: object) -> str:
        """A file path, relative ones taken from the config file's folder."""
        return os.path.normpath(self.folder / os.path.expanduser(_string(value)))

    def globs(self, value: object) -> tuple[str, ...]:
        return tuple(self.anchor(glob) for glob in _strings(value))

    def anchor(self, glob: str) -> str:
        """Anchor a relative glob that has a `/` at the config folder; bare names match anywhere.

        The folder is inserted literally; PathPatterns has no escapes, so a folder name holding
        `*` or `?` also matches a few siblings, which only widens an ignore inside the project.
        """
        glob = glob.replace("\\", "/")
        if "/" not in glob.rstrip("/") or glob.startswith("/"):
            return glob
        while glob.startswith("./"):
            glob = glob[2:]
        return f"{self.folder.as_posix().rstrip('/')}/{glob}"

    def per_path(self, value: object) -> tuple[PathIgnore, ...]:
        if not isinstance(value, list):
            raise _Invalid(
                f"must be an array of tables with path, rules and reason, not {_kind(value)}"
            )
        return tuple(self.path_ignore(index, entry) for index, entry in enumerate(value))

    def path_ignore(self, index: int, entry: object) -> PathIgnore:
        if not isinstance(entry, dict):
            raise _Invalid(
                f"must be a table with path, rules and reason, not {_kind(entry)}", index
            )
        for sub in entry:
            if sub not in _PATH_IGNORE_KEYS:
                raise _Invalid(f"unknown key{_suggestion(sub, _PATH_IGNORE_KEYS)}", index, sub)
        for sub in _PATH_IGNORE_KEYS:
            if sub not in entry:
                why = " (say why these findings are accepted)" if sub == "reason" else ""
                raise _Invalid(f"missing '{sub}'{why}", index)
        values: list[Any] = []
        for sub, check in (("path", _string), ("rules", _rules), ("reason", _string)):
            try:
                values.append(check(entry[sub]))
            except _Invalid as problem:
                raise _Invalid(problem.message, index, sub) from None
        path, rules, reason = values
        if not rules:
            raise _Invalid("must list at least one rule", index, "rules")
        return PathIgnore(self.anchor(path), rules, reason.strip())


_PATH_IGNORE_KEYS: Final = ["path", "rules", "reason"]


def _string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"must be a non-empty string, not {_kind(value)}")
    return value


def _not_a_list(value: object) -> _Invalid:
    if isinstance(value, str):
        return _Invalid(f'must be a list of strings, e.g. ["{value}"]')
    return _Invalid(f"must be a list of strings, not {_kind(value)}")


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _not_a_list(value)
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _Invalid(f"must hold non-empty strings, not {_kind(item)}")
    return tuple(value)


def _account_id(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise _Invalid("account ids must be quoted strings: a TOML number loses leading zeros")
    account = _string(value)
    if not _ACCOUNT.fullmatch(account):
        raise _Invalid(f"'{account}' is not an AWS account id (12 digits)")
    return account


def _accounts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _not_a_list(value)
    return tuple(_account_id(item) for item in value)


def _organizations(value: object) -> tuple[str, ...]:
    orgs = _strings(value)
    for org in orgs:
        if not _ORG_ID.fullmatch(org):
            raise _Invalid(f"'{org}' is not an organization id ('o-' and 10 to 32 a-z/0-9)")
    return orgs


def _rules(value: object) -> tuple[str, ...]:
    rules = _strings(value)
    for rule in rules:
        if not _RULE_SELECTOR.fullmatch(rule):
            raise _Invalid(f"'{rule}' is not a rule id, prefix or name (e.g. DG001)")
    return rules


def _fail_on(value: object) -> str:
    level = _string(value)
    if level not in FAIL_ON_LEVELS:
        raise _Invalid(f"'{level}' is not one of {', '.join(FAIL_ON_LEVELS)}")
    return level


def _pure(check: Callable[[object], object]) -> Callable[[_Reader, object], object]:
    return lambda _reader, value: check(value)


_FIELDS: Final[Mapping[str, tuple[str, Callable[[_Reader, object], object]]]] = {
    "org": ("org", _Reader.path_value),
    "account": ("account", _pure(_account_id)),
    "trusted-accounts": ("trusted_accounts", _pure(_accounts)),
    "trusted-organizations": ("trusted_organizations", _pure(_organizations)),
    "select": ("select", _pure(_rules)),
    "ignore": ("ignore", _pure(_rules)),
    "fail-on": ("fail_on", _pure(_fail_on)),
    "exclude": ("exclude", _Reader.globs),
    "per-path-ignores": ("per_path_ignores", _Reader.per_path),
    "baseline": ("baseline", _Reader.path_value),
}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # TOML dates and times


def _suggestion(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name.replace("_", "-"), known, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of {', '.join(known)}"


# -- best-effort line numbers ---------------------------------------------------------------------

_HEADER: Final = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _table_name(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def _assigns(line: str, key: str) -> bool:
    return re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line) is not None


def _line_of(text: str, table: str, key: str, entry: int | None, sub: str | None) -> int | None:
    """The line of `key` in `table` (or of `sub` in the `entry`-th `[[table.key]]`), if found."""
    current = ""
    array = f"{table}.{key}" if table else key
    count = -1
    fallback: int | None = None
    entry_line: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            current = _table_name(header.group(2))
            if header.group(1) == "[[" and current == array:
                count += 1
                if count == entry:
                    entry_line = number
                    if sub is None:
                        return number
            continue
        if current == table and fallback is None and _assigns(line, key):
            if entry is None:
                return number
            fallback = number
        if (
            entry is not None
            and sub
            and current == array
            and count == entry
            and _assigns(line, sub)
        ):
            return number
    return entry_line or fallback
