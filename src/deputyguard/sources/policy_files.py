"""Find policy JSON files and read every policy document they hold, with positions.

A file may hold one policy, a list of policies, an object of named policies, or the output of an
AWS CLI command that wraps a policy (often as a JSON string). Every problem becomes an
`InputError` naming the file and, where known, the line, so one bad file never hides the others.
Directory walks are iterative, skip tool and dependency folders, and survive symlink loops.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import unquote

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import JsonDocument, JsonSyntaxError, Position, parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import ParseResult, parse_policy, pointer_token
from deputyguard.wildcard import glob_match

__all__ = [
    "MAX_FILE_BYTES",
    "SKIPPED_DIRECTORIES",
    "PathPatterns",
    "PolicySource",
    "auto_policy_type",
    "describe_json",
    "discover",
    "display_path",
    "parse_policy_type",
    "read_policy_file",
    "read_policy_text",
    "read_text",
]

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
"""Policies are a few KB; anything this large is a data dump, not something to analyze."""

SKIPPED_DIRECTORIES: Final = frozenset({".git", "node_modules", ".terraform", ".venv"})
"""Folders that hold tool state or third-party code, never the user's policies."""

CANDIDATE_SUFFIXES: Final = (".json", ".yaml", ".yml", ".template", ".tf")
"""What a folder search reads: policy JSON, CloudFormation (JSON/YAML), Terraform and plans."""

_AUTO = "auto"
_NOTHING_UNKNOWN: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PolicySource:
    """One policy document read from a file, with everything needed to point back into it."""

    file: str
    """The path as the user should see it (relative to the cwd when inside it)."""
    pointer: str
    """JSON pointer of the document inside the file ("" = the whole file)."""
    name: str | None
    """The policy's name when the file holds several named policies (or the CLI output names it)."""
    document: object
    positions: Mapping[str, Position]
    """Positions keyed by JSON pointer within the file (use `pointer` as `base_pointer`)."""
    duplicates: tuple[tuple[str, str], ...]
    all_values: Mapping[str, tuple[object, ...]]
    policy_type: PolicyType
    text: str
    """The document's own JSON text, as written, for size limits."""
    resource: str | None = None
    """The CloudFormation logical id / Terraform address that holds the policy (IaC only)."""
    owner: str | None = None
    """The account the policy's resource lives in, when the input says so (IaC: the deploying
    account, `--account` or `iac.SYMBOLIC_OWNER`); None for bare policy JSON."""
    unknowns: Mapping[str, str] = field(default_factory=lambda: _NOTHING_UNKNOWN)
    """Unknown markers in `document` and why each value is unknown (see `sources.iac`)."""
    origin: str = "json"
    """Which reader produced it: "json", "cloudformation" or "terraform" (fix picks its writer)."""
    service: str | None = None
    """The service prefix of the resource holding the policy (`ecr`, `s3`...), when the input
    names it: some services' policies differ (ECR repository policies have no Resource)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Sources read in worker processes travel back pickled: mappings go as plain dicts
        (a read-only view cannot be pickled)."""
        return (
            PolicySource,
            (
                self.file,
                self.pointer,
                self.name,
                self.document,
                dict(self.positions),
                self.duplicates,
                dict(self.all_values),
                self.policy_type,
                self.text,
                self.resource,
                self.owner,
                dict(self.unknowns),
                self.origin,
                self.service,
            ),
        )

    def parse(self, *, legacy_duplicates: bool = False) -> ParseResult:
        """Parse the document so issues carry this file's lines and pointers."""
        return parse_policy(
            self.document,
            name=self.name,
            positions=self.positions,
            duplicates=self.duplicates,
            all_values=self.all_values,
            legacy_duplicates=legacy_duplicates,
            base_pointer=self.pointer,
        )


# -- policy types ---------------------------------------------------------------------------------


def parse_policy_type(value: str | PolicyType | None) -> PolicyType | None:
    """A `--policy-type` value as a type, None for `auto`; ValueError lists the choices."""
    if value is None or isinstance(value, PolicyType):
        return value
    if value == _AUTO:
        return None
    try:
        return PolicyType(value)
    except ValueError:
        choices = ", ".join([_AUTO, *(t.value for t in PolicyType)])
        raise ValueError(f"unknown --policy-type '{value}'; expected one of {choices}") from None


def auto_policy_type(document: object) -> PolicyType:
    """cli.md `auto`: Principal/NotPrincipal means resource (trust if every action is sts:*)."""
    statements: Any = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return PolicyType.IDENTITY
    blocks = [s for s in statements if isinstance(s, dict)]
    if not any("Principal" in s or "NotPrincipal" in s for s in blocks):
        return PolicyType.IDENTITY
    actions: list[object] = []
    for block in blocks:
        if "NotAction" in block:
            return PolicyType.RESOURCE  # grants everything but a list: not only sts:*
        action = block.get("Action")
        actions.extend(action if isinstance(action, list) else [action] if action else [])
    if actions and all(isinstance(a, str) and a.lower().startswith("sts:") for a in actions):
        return PolicyType.TRUST
    return PolicyType.RESOURCE


# -- path globs -----------------------------------------------------------------------------------


class PathPatterns:
    """Path globs for `exclude` and per-path ignores, matched component by component.

    A pattern without `/` matches any file or folder name (`*.tf.json`, `fixtures`); one with `/`
    is anchored: absolute patterns to the file system, relative ones to the search root and to the
    cwd. `*` and `?` stay within a component, `**` spans any number of them, and a pattern that
    matches a folder matches everything inside it. Matching is linear per component (no regex).
    """

    __slots__ = ("_absolute", "_names", "_relative")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._names: list[str] = []
        self._relative: list[list[str]] = []
        self._absolute: list[list[str]] = []
        for pattern in patterns:
            parts = [p for p in pattern.replace("\\", "/").split("/") if p and p != "."]
            if not parts:
                continue
            if pattern.startswith("/"):
                self._absolute.append(parts)
            elif len(parts) == 1 and parts[0] != "**":
                self._names.append(parts[0])
            else:
                self._relative.append(parts)

    def __bool__(self) -> bool:
        return bool(self._names or self._relative or self._absolute)

    def matches(self, path: str | os.PathLike[str], *, root: str | Path | None = None) -> bool:
        """Whether `path` (or a folder containing it, below `root` or the cwd) is selected."""
        absolute = os.path.abspath(path)
        anchors = [_parts_below(absolute, os.path.abspath(root))] if root is not None else []
        anchors.append(_parts_below(absolute, _cwd()))
        relative = [parts for parts in anchors if parts is not None]
        if self._names:
            names = relative[0] if relative else _split(os.fspath(path))
            if any(glob_match(n, part) for n in self._names for part in names):
                return True
        if any(_prefix_match(p, parts) for p in self._relative for parts in relative):
            return True
        full = _split(absolute)
        return any(_prefix_match(p, full) for p in self._absolute)


def _split(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p]


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the cwd was deleted under us
        return os.sep


def _parts_below(path: str, base: str) -> list[str] | None:
    """`path`'s components relative to `base`, or None when it lies outside."""
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return [] if relative == os.curdir else _split(relative)


def _prefix_match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether `pattern` matches `parts` or one of its leading sub-paths (its folders)."""
    reach = {0}  # numbers of path components the pattern read so far can have consumed
    for token in pattern:
        if token == "**":
            reach = set(range(min(reach), len(parts) + 1))
        else:
            reach = {j + 1 for j in reach if j < len(parts) and glob_match(token, parts[j])}
        if not reach:
            return False
    return any(j > 0 for j in reach) or not parts


# -- discovery ------------------------------------------------------------------------------------


def display_path(path: str | os.PathLike[str]) -> str:
    """The path relative to the cwd when it lies inside it, else as given."""
    parts = _parts_below(os.path.abspath(path), _cwd())
    if parts is None:
        return os.fspath(path)
    return os.path.join(*parts) if parts else os.curdir


def _os_error(path: str | os.PathLike[str], exc: OSError, doing: str) -> InputError:
    if exc.errno == errno.ELOOP:
        reason = "symbolic link loop"
    elif exc.errno == errno.ENOENT and os.path.islink(path):
        reason = "broken symbolic link"
    else:
        reason = exc.strerror or str(exc)
    return InputError(display_path(path), f"cannot {doing}: {reason}")


def discover(
    paths: Sequence[str | os.PathLike[str]], *, exclude: Sequence[str] = ()
) -> tuple[list[Path], list[InputError]]:
    """Expand PATH arguments into input files: named files as given, folders searched for the
    `CANDIDATE_SUFFIXES` (which reader applies is decided by content, `sources.inputs`).

    `exclude` globs apply to what a folder search finds; a file named on the command line is
    always read. Each file appears once even when reached twice (a repeated argument, a link).
    """
    patterns = PathPatterns(exclude)
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(raw)
        try:
            info = path.stat()
        except OSError as exc:
            if exc.errno == errno.ENOENT and not path.is_symlink():
                errors.append(InputError(display_path(path), "no such file or directory"))
            else:
                errors.append(_os_error(path, exc, "read it"))
            continue
        if stat.S_ISDIR(info.st_mode):
            found, problems = _walk(path, patterns, seen)
            files.extend(found)
            errors.extend(problems)
        elif not stat.S_ISREG(info.st_mode):
            errors.append(InputError(display_path(path), "not a regular file or directory"))
        elif (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            files.append(path)
    return files, errors


def _walk(
    root: Path, patterns: PathPatterns, seen: set[tuple[int, int]]
) -> tuple[list[Path], list[InputError]]:
    """Search one folder without recursion, in sorted depth-first order so output is stable.

    A folder met again below itself is a link loop; one met again elsewhere (a link to a
    sibling) was searched already and is skipped.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    root_info = root.stat()
    visited = {(root_info.st_dev, root_info.st_ino)}
    # Each entry: a folder to list and the identities of the folders that contain it.
    stack: list[tuple[Path, frozenset[tuple[int, int]]]] = [(root, frozenset(visited))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            errors.append(_os_error(folder, exc, "read directory"))
            continue
        subfolders: list[tuple[Path, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            path = folder / entry.name
            try:
                is_dir = entry.is_dir()
                wanted = is_dir or entry.name.lower().endswith(CANDIDATE_SUFFIXES)
                info = entry.stat() if wanted else None
            except OSError as exc:
                errors.append(_os_error(path, exc, "read it"))
                continue
            if info is None:
                continue
            if is_dir and entry.name in SKIPPED_DIRECTORIES:
                continue
            if patterns and patterns.matches(path, root=root):
                continue
            ident = (info.st_dev, info.st_ino)
            if is_dir:
                if ident in ancestors:
                    errors.append(
                        InputError(
                            display_path(path), "symbolic link loop: leads back to a parent folder"
                        )
                    )
                elif ident not in visited:
                    visited.add(ident)
                    subfolders.append((path, ancestors | {ident}))
            elif stat.S_ISREG(info.st_mode) and ident not in seen:
                seen.add(ident)
                files.append(path)
        stack.extend(reversed(subfolders))
    files.sort(key=lambda p: p.relative_to(root).parts)
    return files, errors


# -- reading --------------------------------------------------------------------------------------


def read_policy_file(
    path: str | os.PathLike[str], *, policy_type: PolicyType | None, strict: bool = True
) -> tuple[list[PolicySource], list[InputError]]:
    """Read one file's policies.

    With `strict=False` (files found by a folder search), text that is plainly not a policy is
    skipped rather than reported: no `Statement` or policy `Version` anywhere in it (a JSONC
    `tsconfig.json`), or valid JSON in which nothing looks like a policy (`package.json`).
    Oversized and binary files are reported either way.
    """
    shown = display_path(path)
    text_or_error = read_text(path, shown)
    if isinstance(text_or_error, InputError):
        return [], [text_or_error]
    return read_policy_text(shown, text_or_error, policy_type=policy_type, strict=strict)


def read_policy_text(
    shown: str, text: str, *, policy_type: PolicyType | None, strict: bool = True
) -> tuple[list[PolicySource], list[InputError]]:
    """`read_policy_file` on text already read (format detection reads files once)."""
    if not strict and not any(marker in text for marker in _POLICY_MARKERS):
        return [], []
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        return [], [InputError(shown, f"invalid JSON: {exc.message}", exc.line, exc.column)]
    reader = _FileReader(shown, text, parsed, policy_type)
    found = reader.read()
    if reader.not_a_policy and not strict and not _looks_like_policy(parsed.value):
        return [], []
    return found, reader.errors


_VERSIONS: Final = ("2012-10-17", "2008-10-17")
_POLICY_MARKERS: Final = ("Statement", *_VERSIONS)


def _looks_like_policy(value: object) -> bool:
    """A policy with a misspelt Statement: an object (or one member) with a policy Version."""
    candidates = value if isinstance(value, list) else [value]
    if isinstance(value, dict):
        candidates = [value, *value.values()]
    return any(isinstance(c, dict) and c.get("Version") in _VERSIONS for c in candidates)


def read_text(path: str | os.PathLike[str], shown: str) -> str | InputError:
    """The file as UTF-8 text, or why it cannot be policy JSON (never blocks on FIFOs)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return InputError(shown, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            return _too_large(shown, info.st_size)
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _os_error(path, exc, "read it")
    if len(data) > MAX_FILE_BYTES:  # grew since stat
        return _too_large(shown, len(data))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(shown, "UTF-16 encoded; save it as UTF-8 to check it", 1, 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _byte_position(data, nul)
        return InputError(shown, "binary file (contains NUL bytes), not JSON text", line, column)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        byte = data[exc.start]
        return InputError(shown, f"not UTF-8 text (invalid byte 0x{byte:02x})", line, column)


def _too_large(shown: str, size: int) -> InputError:
    megabytes = size / (1024 * 1024)
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return InputError(shown, f"file is {megabytes:.1f} MB, over the {limit} MB limit for policies")


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


# -- what a JSON value is -------------------------------------------------------------------------

_PLURALS: Final = {
    "object": "objects",
    "list": "lists",
    "string": "strings",
    "number": "numbers",
    "Boolean": "Booleans",
    "null": "nulls",
}


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"


def describe_json(value: object) -> str:
    """Say what a JSON value is, so "not a policy" errors tell users what they passed instead."""
    if isinstance(value, dict):
        if not value:
            return "an empty JSON object"
        if "AWSTemplateFormatVersion" in value or isinstance(value.get("Resources"), dict):
            return "a CloudFormation template"
        if "planned_values" in value or "terraform" in value or "resource" in value:
            return "a Terraform JSON file"
        keys = [_short(str(k)) for k in list(value)[:5]]
        more = ", …" if len(value) > 5 else ""
        return f"an object without Statement (its keys: {', '.join(keys)}{more})"
    if isinstance(value, list):
        if not value:
            return "an empty JSON list"
        kinds = {_kind(item) for item in value}
        if kinds == {"object"}:
            return "a JSON list of objects without Statement"
        if len(kinds) == 1:
            return f"a JSON list of {_PLURALS[kinds.pop()]}"
        return "a JSON list of mixed values"
    kind = _kind(value)
    return "null" if kind == "null" else f"a JSON {kind}"


def _short(text: str, limit: int = 60) -> str:
    """A key as it can safely appear in a message: bounded, control characters escaped."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def _is_policy(value: object) -> bool:
    return isinstance(value, dict) and "Statement" in value


# AWS CLI output shapes that wrap one policy (path of the member holding it); first match wins.
_WRAPPERS: Final[tuple[tuple[str, ...], ...]] = (
    ("Policy",),  # s3api get-bucket-policy, lambda get-policy, kms get-key-policy
    ("PolicyDocument",),  # iam get-role-policy / get-user-policy / get-group-policy
    ("AssumeRolePolicyDocument",),
    ("ResourcePolicy",),  # secretsmanager get-resource-policy
    ("policyText",),  # ecr get-repository-policy
    ("PolicyVersion", "Document"),  # iam get-policy-version
    ("Role", "AssumeRolePolicyDocument"),  # iam get-role
    ("Attributes", "Policy"),  # sqs get-queue-attributes, sns get-topic-attributes
)
_NAME_MEMBERS: Final = ("PolicyName", "RoleName")


def _pointer(base: str, token: str | int) -> str:
    return f"{base}/{pointer_token(token)}"


# -- one file -------------------------------------------------------------------------------------


class _FileReader:
    """Find the policies in one parsed file and build their sources, collecting problems."""

    def __init__(
        self, file: str, text: str, parsed: JsonDocument, policy_type: PolicyType | None
    ) -> None:
        self.file = file
        self.text = text
        self.parsed = parsed
        self.policy_type = policy_type
        self._lines: _Lines | None = None
        self.duplicates = tuple((d.pointer, d.key) for d in parsed.duplicates)
        self.errors: list[InputError] = []
        self.not_a_policy = False

    @property
    def lines(self) -> _Lines:
        """Built on first use: a file holding one plain policy never needs it."""
        if self._lines is None:
            self._lines = _Lines(self.text)
        return self._lines

    def fail(self, message: str, pointer: str | None) -> None:
        pos = self.parsed.positions.get(pointer) if pointer is not None else None
        line, column = (pos.line, pos.column) if pos else (None, None)
        self.errors.append(InputError(self.file, message, line, column))

    def read(self) -> list[PolicySource]:
        value = self.parsed.value
        if _is_policy(value):
            return [self.source("", None, value)]
        if isinstance(value, list) and any(_is_policy(item) for item in value):
            return self.from_list(value)
        if isinstance(value, dict):
            wrapped = self.from_wrapper(value)
            if wrapped is not None:
                return wrapped
            if any(_is_policy(member) for member in value.values()):
                return self.from_named(value)
        self.not_a_policy = True
        self.fail(f"not a policy document: the file holds {describe_json(value)}", "")
        return []

    def from_list(self, items: list[Any]) -> list[PolicySource]:
        found = []
        for index, item in enumerate(items):
            pointer = _pointer("", index)
            if _is_policy(item):
                found.append(self.source(pointer, None, item))
            else:
                self.fail(f"item {index} is not a policy: it is {describe_json(item)}", pointer)
        return found

    def from_named(self, members: dict[str, Any]) -> list[PolicySource]:
        found = []
        for name, member in members.items():
            pointer = _pointer("", name)
            if _is_policy(member):
                found.append(self.source(pointer, name, member))
            else:
                self.fail(
                    f"'{_short(name)}' is not a policy: it is {describe_json(member)}", pointer
                )
        return found

    def from_wrapper(self, value: dict[str, Any]) -> list[PolicySource] | None:
        """CLI output holding one policy, or None when `value` is not such a shape.

        An object whose members are all policies is read as named policies instead, so a file
        `{"Policy": {...}, "Other": {...}}` keeps both.
        """
        if len(value) > 1 and all(_is_policy(m) for m in value.values()):
            return None
        for path in _WRAPPERS:
            container: Any = value
            pointer = ""
            for token in path[:-1]:
                container = container.get(token)
                pointer = _pointer(pointer, token)
                if not isinstance(container, dict):
                    break
            else:
                member = container.get(path[-1])
                if _is_policy(member) or isinstance(member, str):
                    name = _name_of(container) or _name_of(value)
                    return self.wrapped(_pointer(pointer, path[-1]), path[-1], name, member)
        return None

    def wrapped(self, pointer: str, key: str, name: str | None, member: Any) -> list[PolicySource]:
        if not isinstance(member, str):
            return [self.source(pointer, name, member)]
        return self.embedded(pointer, key, name, member)

    def embedded(self, pointer: str, key: str, name: str | None, raw: str) -> list[PolicySource]:
        """A policy stored as a JSON string: decode it and map its positions onto the string."""
        url_encoded = raw.lstrip()[:3].upper() == "%7B"  # IAM's API URL-encodes documents
        # Unchanged otherwise, so offsets into `decoded` stay offsets into the string.
        decoded = unquote(raw.strip()) if url_encoded else raw
        if not decoded.strip():
            self.fail(f"'{key}' is an empty string, not a policy document", pointer)
            return []
        try:
            inner, positions = parse_embedded(
                self.text,
                self.lines,
                self.parsed.positions,
                pointer,
                decoded,
                exact=not url_encoded,
            )
        except EmbeddedJsonError as exc:
            message = f"invalid JSON in the '{key}' string: {exc.message}"
            self.errors.append(InputError(self.file, message, exc.at.line, exc.at.column))
            return []
        if not _is_policy(inner.value):
            what = describe_json(inner.value)
            self.fail(f"the '{key}' string holds {what}, not a policy document", pointer)
            return []
        duplicates = self.duplicates + tuple((pointer + d.pointer, d.key) for d in inner.duplicates)
        merged = {**self.parsed.all_values}
        merged.update((pointer + k, v) for k, v in inner.all_values.items())
        all_values = MappingProxyType(merged)
        return [
            self.make(
                pointer, name, inner.value, positions, duplicates, all_values, decoded.strip()
            )
        ]

    def source(self, pointer: str, name: str | None, document: Any) -> PolicySource:
        if pointer:
            start = self.lines.offset(self.parsed.positions[pointer])
            text = self.text[start : _value_end(self.text, start)]
        else:
            text = self.text.lstrip("\ufeff").strip()
        return self.make(
            pointer,
            name,
            document,
            self.parsed.positions,
            self.duplicates,
            self.parsed.all_values,
            text,
        )

    def make(
        self,
        pointer: str,
        name: str | None,
        document: Any,
        positions: Mapping[str, Position],
        duplicates: tuple[tuple[str, str], ...],
        all_values: Mapping[str, tuple[Any, ...]],
        text: str,
    ) -> PolicySource:
        return PolicySource(
            file=self.file,
            pointer=pointer,
            name=name,
            document=document,
            positions=positions,
            duplicates=duplicates,
            all_values=all_values,
            policy_type=self.policy_type or auto_policy_type(document),
            text=text,
        )


class EmbeddedJsonError(ValueError):
    """A JSON document stored as a string does not parse; `at` is where, in the file."""

    def __init__(self, message: str, at: Position) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


def parse_embedded(
    text: str,
    lines: _Lines,
    outer: Mapping[str, Position],
    pointer: str,
    decoded: str,
    *,
    exact: bool = True,
) -> tuple[JsonDocument, Mapping[str, Position]]:
    """Parse the JSON document held by the string at `pointer` of a JSON file (a policy stored
    as a string: AWS CLI output, a Terraform plan), with the file's positions and the decoded
    document's own pointers grafted under the string. `exact=False` when `decoded` is not the
    string's text character for character (URL-encoded): positions then fall on the string."""
    locate = _StringLocator(text, lines.offset(outer[pointer]), lines, exact=exact)
    try:
        inner = parse_json(decoded)
    except JsonSyntaxError as exc:
        at = locate.position(_Lines(decoded).offset(Position(exc.line, exc.column)))
        raise EmbeddedJsonError(exc.message, at) from None
    return inner, _EmbeddedPositions(outer, pointer, inner.positions, decoded, locate)


def _name_of(container: dict[str, Any]) -> str | None:
    for key in _NAME_MEMBERS:
        value = container.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class _Lines:
    """Converts between jsontext positions and character offsets of the same text."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        # As jsontext counts: a leading BOM takes no column on line 1.
        self._starts = [1 if text.startswith("\ufeff") else 0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def offset(self, position: Position) -> int:
        return self._starts[position.line - 1] + position.column - 1

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)


_STRING_BODY: Final = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STRUCTURE: Final = re.compile(r'["\[\]{}]')
_PLAIN_RUN: Final = re.compile(r'[^"\\]+')


def _value_end(text: str, start: int) -> int:
    """Offset just after the (valid) JSON container or string that starts at `start`."""
    depth = 0
    i = start
    while True:
        m = _STRUCTURE.search(text, i)
        if m is None:  # cannot happen for text jsontext accepted
            return len(text)
        c = m.group()
        i = m.end()
        if c == '"':
            body = _STRING_BODY.match(text, i)
            i = body.end() if body else len(text)
            if depth == 0:
                return i
        elif c in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return i


def json_string_offsets(text: str, quote: int) -> tuple[list[int], int]:
    """The file offset of each decoded character of the JSON string whose opening quote is at
    `quote` (an escape is one decoded character, a surrogate-pair escape too), and the offset of
    its closing quote: how a position inside a policy stored as a string is found in the file."""
    offsets: list[int] = []
    i = quote + 1
    n = len(text)
    while i < n and text[i] != '"':
        run = _PLAIN_RUN.match(text, i)
        if run is not None:
            offsets.extend(range(i, run.end()))
            i = run.end()
            continue
        offsets.append(i)  # a backslash escape: one decoded character
        if text[i + 1 : i + 2] != "u":
            i += 2
        elif 0xD800 <= int(text[i + 2 : i + 6], 16) <= 0xDBFF:
            i += 12  # a surrogate pair decodes to one character
        else:
            i += 6
    return offsets, i


class _StringLocator:
    """Maps offsets in a decoded JSON string value back to positions in the file.

    JSON strings cannot span lines, so everything lands on the string's own line; escapes make
    a decoded character wider in the file, which the per-character offset table accounts for.
    """

    __slots__ = ("_exact", "_file_lines", "_offsets", "_quote", "_text")

    def __init__(self, text: str, quote: int, file_lines: _Lines, *, exact: bool) -> None:
        self._text = text
        self._quote = quote
        self._file_lines = file_lines
        self._exact = exact
        self._offsets: list[int] | None = None

    def _table(self) -> list[int]:
        if self._offsets is None:
            offsets, closing = json_string_offsets(self._text, self._quote)
            offsets.append(closing)  # the closing quote, for end-of-string errors
            self._offsets = offsets
        return self._offsets

    def position(self, decoded_offset: int) -> Position:
        if not self._exact:
            return self._file_lines.position(self._quote)
        table = self._table()
        return self._file_lines.position(table[min(decoded_offset, len(table) - 1)])


class _EmbeddedPositions(Mapping[str, Position]):
    """The file's positions, with the decoded policy's own pointers grafted under its string."""

    __slots__ = ("_base", "_decoded", "_inner", "_inner_lines", "_locate", "_outer")

    def __init__(
        self,
        outer: Mapping[str, Position],
        base: str,
        inner: Mapping[str, Position],
        decoded: str,
        locate: _StringLocator,
    ) -> None:
        self._outer = outer
        self._base = base
        self._inner = inner
        self._decoded = decoded
        self._inner_lines: _Lines | None = None
        self._locate = locate

    def _inner_pointer(self, pointer: str) -> str | None:
        if not pointer.startswith(self._base):
            return None
        rest = pointer[len(self._base) :]
        return rest if not rest or rest.startswith("/") else None

    def __getitem__(self, pointer: str) -> Position:
        rest = self._inner_pointer(pointer)
        if rest is None:
            return self._outer[pointer]
        if self._inner_lines is None:
            self._inner_lines = _Lines(self._decoded)
        return self._locate.position(self._inner_lines.offset(self._inner[rest]))

    def __contains__(self, pointer: object) -> bool:
        if not isinstance(pointer, str):
            return False
        rest = self._inner_pointer(pointer)
        return pointer in self._outer if rest is None else rest in self._inner

    def __iter__(self) -> Iterator[str]:
        for pointer in self._outer:
            if self._inner_pointer(pointer) is None:
                yield pointer
        for pointer in self._inner:
            yield self._base + pointer

    def __len__(self) -> int:
        # The string at `base` is a leaf of the file, so only its own entry is replaced.
        return len(self._outer) + len(self._inner) - 1
