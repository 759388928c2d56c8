"""Read an organization model (cli.md "Organization model file") from YAML or JSON, with positions.

Every problem is collected with its file, line and column and reported in one `OrgModelError`, so
a user fixes a file in one pass. RCP documents are kept as raw JSON values: the policy layer parses
them later, using the positions recorded here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from deputyguard.org.model import (
    DocumentMap,
    HasPosition,
    Organization,
    OrgModel,
    OrgModelError,
    OrgProblem,
    OrgUnit,
    Position,
    RcpAttachment,
    SourceLocation,
    pointer_join,
)

__all__ = ["load_org", "org_from_data", "parse_document"]

# -- reading JSON / YAML text with positions ----------------------------------------------------

_STD_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _STD_TAG + "merge"
_STR_TAG = _STD_TAG + "str"
# Plain scalars follow JSON, not YAML 1.1: `2012-10-17` stays a string (not a date), `yes` stays a
# string (not True) and `012345678901` keeps its leading zero (not an octal or truncated int).
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
# Aliases can make a tiny file expand to billions of values ("billion laughs"); stop well before.
_MAX_VALUES = 1_000_000


class _TooLarge(Exception):
    """The document expands to more values than we are willing to build."""


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


class _Walker:
    """Turn a composed YAML node tree into JSON-like values, recording where each was written."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.values: dict[str, HasPosition] = {}
        self.keys: dict[str, HasPosition] = {}
        self.duplicates: list[tuple[str, str]] = []
        self.all_values: dict[str, tuple[object, ...]] = {}
        self.problems: list[OrgProblem] = []
        self.budget = _MAX_VALUES
        self.active: set[int] = set()
        self.resolver = yaml.resolver.Resolver()

    def fail(self, mark: yaml.Mark, message: str) -> None:
        pos = _position(mark)
        self.problems.append(OrgProblem(message, self.file, pos.line, pos.column))

    def walk(self, node: yaml.Node, pointer: str) -> object:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge
        self.values[pointer] = _position(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            self.fail(node.start_mark, "a YAML alias refers to a collection that contains it")
            return None
        self.active.add(id(node))
        try:
            if not node.tag.startswith(_STD_TAG):
                self.fail(node.start_mark, f"unsupported YAML tag {node.tag!r}")
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.walk(item, pointer_join(pointer, i)) for i, item in enumerate(node.value)
                ]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, pointer)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, pointer: str) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.fail(key_node.start_mark, "YAML merge keys ('<<') are not supported")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node.start_mark, "mapping keys must be strings")
                continue
            key = key_node.value
            child = pointer_join(pointer, key)
            value = self.walk(value_node, child)
            self.keys[child] = _position(key_node.start_mark)
            if key in result:
                self.duplicates.append((pointer, key))
                self.all_values[child] = (*self.all_values.get(child, (result[key],)), value)
            result[key] = value
        return result

    def scalar(self, node: yaml.ScalarNode) -> object:
        text: str = node.value
        if not node.tag.startswith(_STD_TAG):
            self.fail(node.start_mark, f"unsupported YAML tag {node.tag!r}")
            return text
        if node.style is not None:  # quoted, literal or folded: always a string
            return text
        # types-PyYAML leaves Resolver.resolve untyped; it returns the implicit tag (a str).
        implicit = self.resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]  # PyYAML resolver is untyped
        if node.tag == _STR_TAG and implicit != _STR_TAG:  # explicit !!str
            return text
        return _plain_scalar(text)

    def document_map(self, file: str | None) -> DocumentMap:
        return DocumentMap(
            file,
            MappingProxyType(self.values),
            MappingProxyType(self.keys),
            tuple(self.duplicates),
            MappingProxyType(self.all_values),
        )


def _plain_scalar(text: str) -> object:
    """JSON's reading of an unquoted scalar; anything else stays the text the user wrote."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    try:
        if _INT_RE.fullmatch(text):
            return int(text)
        if _FLOAT_RE.fullmatch(text):
            return float(text)
    except ValueError:  # more digits than Python converts (sys.int_info.str_digits_check_threshold)
        pass
    return text


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _compose(text: str, file: str | None) -> yaml.Node | None:
    """Compose one YAML document, turning YAML's exceptions into a positioned OrgModelError."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p) or "syntax error"
        if mark is None:
            raise OrgModelError(f"invalid YAML: {detail}", file) from None
        raise OrgModelError(
            f"invalid YAML: {detail}", file, mark.line + 1, mark.column + 1
        ) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise OrgModelError(
            f"invalid character #x{ord(str(exc.character)[:1] or ' '):04x}: {exc.reason}",
            file,
            line,
            col,
        ) from None
    except yaml.YAMLError as exc:
        raise OrgModelError(f"invalid YAML: {exc}", file) from None


def parse_document(
    text: str, *, file: str | None = None, json_only: bool = False
) -> tuple[object, DocumentMap]:
    """Decode JSON or YAML text (chosen by content) into JSON-like values and their positions.

    JSON text gets exact JSON semantics; YAML plain scalars are read as JSON would read them (see
    `_plain_scalar`). Duplicate keys are recorded, not rejected: whether they are an error depends
    on where they are. With `json_only` (policy files: AWS takes JSON), text that is not strict
    JSON is an error even when YAML would accept it. Raises `OrgModelError` for bad text.
    """
    data: object = None
    json_error: ValueError | None = None
    try:
        data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        json_error = exc
    except RecursionError:
        raise OrgModelError("the document is nested too deeply", file) from None
    # YAML is (for our purposes) a superset of JSON, so the composer gives JSON text positions too;
    # JSON may use tabs as whitespace, which YAML forbids: a tab is one column either way.
    if json_only and json_error is not None:
        raise _json_error(json_error, file)
    is_json = json_error is None
    source = text.replace("\t", " ") if is_json else text
    walker = _Walker(file)
    try:
        node = _compose(source, file)
        walked = None if node is None else walker.walk(node, "")
    except OrgModelError:
        if is_json:  # positions are a convenience; never refuse valid JSON
            return data, DocumentMap(file)
        if json_error is not None and text.lstrip().startswith(("{", "[")):
            raise _json_error(json_error, file) from None
        raise
    except _TooLarge:
        raise OrgModelError(
            f"the document expands to more than {_MAX_VALUES} values (YAML aliases?)", file
        ) from None
    except RecursionError:
        raise OrgModelError("the document is nested too deeply", file) from None
    if walker.problems:
        raise OrgModelError.from_problems(tuple(walker.problems))
    return (data if is_json else walked), walker.document_map(file)


def _json_error(error: ValueError, file: str | None) -> OrgModelError:
    if isinstance(error, json.JSONDecodeError):
        return OrgModelError(f"invalid JSON: {error.msg}", file, error.lineno, error.colno)
    return OrgModelError(f"invalid JSON: {error}", file)


def _read_text(path: Path) -> str:
    """The file's text; OSError and UnicodeDecodeError are left to the caller to position."""
    return path.read_bytes().decode("utf-8-sig")


def load_org(path: str | Path) -> OrgModel:
    """Load and validate an organization model file (YAML or JSON, told apart by content)."""
    file = str(path)
    try:
        text = _read_text(Path(path))
    except OSError as exc:
        raise OrgModelError(
            f"cannot read organization model: {exc.strerror or exc}", file
        ) from None
    except UnicodeDecodeError as exc:
        raise OrgModelError(f"not UTF-8 text (byte offset {exc.start})", file) from None
    # A .json file is held to JSON: YAML would quietly accept its trailing commas.
    json_only = Path(path).suffix.lower() == ".json"
    data, positions = parse_document(text, file=file, json_only=json_only)
    if data is None:
        raise OrgModelError(
            "the file is empty; expected a mapping with 'organization', 'trusted_accounts' or "
            "'trusted_organizations'",
            file,
        )
    return org_from_data(data, file=file, positions=positions, base_dir=Path(path).parent)


def org_from_data(
    data: object,
    *,
    file: str | None = None,
    positions: DocumentMap | Mapping[str, HasPosition] | None = None,
    pointer: str = "",
    base_dir: str | Path | None = None,
) -> OrgModel:
    """Validate an already decoded organization model (e.g. the inline `org` of a case file).

    `positions` maps JSON pointers of the enclosing document to line/column (a `DocumentMap` from
    `parse_document`, or any reader's pointer → position mapping); `pointer` is where `data` sits
    in that document. RCP `file:` references are relative to `base_dir`, by default the directory
    of `file` (the current directory without one).
    """
    if isinstance(positions, DocumentMap):
        dmap = positions if file is None or file == positions.file else _refile(positions, file)
    else:
        dmap = DocumentMap(file, positions or {})
    if base_dir is None:
        base_dir = Path(file).parent if file else Path()
    reader = _Reader(dmap, Path(base_dir))
    model = reader.read(data, pointer)
    if reader.problems or model is None:
        main = dmap.file
        problems = sorted(
            reader.problems,
            key=lambda p: (p.file != main, p.file or "", p.line or 0, p.column or 0),
        )
        raise OrgModelError.from_problems(tuple(problems))
    return model


def _refile(dmap: DocumentMap, file: str) -> DocumentMap:
    return DocumentMap(file, dmap.values, dmap.keys, dmap.duplicates, dmap.all_values)


# -- validating the model ------------------------------------------------------------------------

_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
_ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
_OU_ID = re.compile(r"ou-([0-9a-z]{4,32})-[a-z0-9]{8,32}")
_MAX_OU_DEPTH = 5  # spec §8 (S28): at most five levels of OUs under the root

_TOP_KEYS = ("organization", "trusted_accounts", "trusted_organizations")
_ORG_KEYS = ("id", "root", "management_account", "accounts", "units", "rcps")
_UNIT_KEYS = ("id", "name", "accounts", "units")
_RCP_KEYS = ("target", "name", "policy", "file")


def _kind(value: object) -> str:
    """How a JSON/YAML value reads to a user, for "expected X, got Y" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


# An RCP document as found: the value, where it starts, its pointer there, and that file's map.
_Found = tuple[dict[str, object], SourceLocation, str, DocumentMap]


@dataclass(frozen=True, slots=True)
class _Seen:
    """Where an account or OU was first placed, for "already in …" messages."""

    parent: str
    pointer: str


class _Reader:
    """Checks one organization model; every check records a problem and lets the others run."""

    def __init__(self, dmap: DocumentMap, base_dir: Path) -> None:
        self.dmap = dmap
        self.base_dir = base_dir
        self.problems: list[OrgProblem] = []
        self.dup_keys: dict[str, list[str]] = {}
        for obj, key in dmap.duplicates:
            self.dup_keys.setdefault(obj, []).append(key)
        self.account_home: dict[str, _Seen] = {}
        self.unit_home: dict[str, _Seen] = {}
        self.root_suffix: str | None = None
        self.rcp_files: dict[Path, _Found | None] = {}  # a file attached twice is read once

    # -- small helpers ---------------------------------------------------------------------------

    def fail(self, pointer: str, message: str, *, key: bool = False) -> None:
        loc = self.dmap.locate(pointer, key=key)
        self.problems.append(OrgProblem(message, loc.file, loc.line, loc.column))

    def line_of(self, pointer: str) -> str:
        line = self.dmap.locate(pointer).line
        return "" if line is None else f" (line {line})"

    def mapping(
        self,
        value: object,
        pointer: str,
        what: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
    ) -> dict[str, object] | None:
        """A mapping with only `allowed` keys, each written once, and all `required` ones."""
        if not isinstance(value, dict):
            self.fail(pointer, f"{what} must be a mapping, not {_kind(value)}")
            return None
        for key in self.dup_keys.get(pointer, ()):
            self.fail(pointer_join(pointer, key), f"key {key!r} is written twice", key=True)
        for key in value:
            if key not in allowed:
                expected = ", ".join(allowed)
                self.fail(
                    pointer_join(pointer, key),
                    f"unknown key {key!r} in {what} (expected one of: {expected})",
                    key=True,
                )
        for key in required:
            if value.get(key) is None:
                self.fail(pointer, f"{what} needs {key!r}")
        return value

    def items(self, value: object, pointer: str, what: str) -> list[object]:
        """A list; null or a missing key is the empty list."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(pointer, f"{what} must be a list, not {_kind(value)}")
            return []
        return value

    def text(self, value: object, pointer: str, what: str) -> str | None:
        if not isinstance(value, str):
            self.fail(pointer, f"{what} must be a string, not {_kind(value)}")
            return None
        return value

    def matching(
        self, value: object, pointer: str, what: str, pattern: re.Pattern[str], form: str
    ) -> str | None:
        text = self.text(value, pointer, what)
        if text is not None and not pattern.fullmatch(text):
            self.fail(pointer, f"invalid {what} {text!r}: expected {form}")
            return None
        return text

    def account(self, value: object, pointer: str, what: str = "account id") -> str | None:
        """A 12-digit account id; an unquoted YAML number is accepted if it has 12 digits."""
        if isinstance(value, int) and not isinstance(value, bool):
            if 10**11 <= value < 10**12:
                return str(value)
            self.fail(
                pointer,
                f"invalid {what} {value}: expected 12 digits (quote ids with leading zeros, "
                f'e.g. "012345678901")',
            )
            return None
        text = self.text(value, pointer, what)
        if text is not None and not _is_account_id(text):
            self.fail(pointer, f"invalid {what} {text!r}: expected 12 digits")
            return None
        return text

    # -- the document ----------------------------------------------------------------------------

    def read(self, data: object, pointer: str) -> OrgModel | None:
        top = self.mapping(data, pointer, "the organization model", _TOP_KEYS, ())
        if top is None:
            return None
        org = None
        if top.get("organization") is not None:
            org = self.organization(top["organization"], pointer_join(pointer, "organization"))
        trusted_accounts = self.account_list(
            top.get("trusted_accounts"),
            pointer_join(pointer, "trusted_accounts"),
            "trusted_accounts",
        )
        orgs_at = pointer_join(pointer, "trusted_organizations")
        trusted_orgs: list[str] = []
        for i, item in enumerate(
            self.items(top.get("trusted_organizations"), orgs_at, "trusted_organizations")
        ):
            org_id = self.matching(
                item, pointer_join(orgs_at, i), "organization id", _ORG_ID, _ORG_FORM
            )
            if org_id is not None:
                trusted_orgs.append(org_id)
        if self.problems:
            return None
        return OrgModel(org, frozenset(trusted_accounts), frozenset(trusted_orgs))

    def account_list(self, value: object, pointer: str, what: str) -> list[str]:
        accounts = []
        for i, item in enumerate(self.items(value, pointer, what)):
            account = self.account(item, pointer_join(pointer, i))
            if account is not None:
                accounts.append(account)
        return accounts

    def organization(self, value: object, pointer: str) -> Organization | None:
        org = self.mapping(value, pointer, "organization", _ORG_KEYS, ("id", "root"))
        if org is None:
            return None
        at = {key: pointer_join(pointer, key) for key in _ORG_KEYS}
        org_id = None
        if org.get("id") is not None:
            org_id = self.matching(org["id"], at["id"], "organization id", _ORG_ID, _ORG_FORM)
        root = None
        if org.get("root") is not None:
            root = self.matching(org["root"], at["root"], "root id", _ROOT_ID, _ROOT_FORM)
        self.root_suffix = None if root is None else root[2:]
        root_name = root or "the root"
        root_path = f"{org_id}/{root}/"
        accounts = self.placed_accounts(org.get("accounts"), at["accounts"], root_name)
        units = self.unit_list(org.get("units"), at["units"], 1, root_path)
        management = None
        if org.get("management_account") is not None:
            management = self.account(
                org["management_account"], at["management_account"], "management_account"
            )
            if management is not None and management not in self.account_home:
                self.fail(
                    at["management_account"],
                    f"management account {management} is not an account of the organization "
                    "(list it under 'accounts' of the root or of an OU)",
                )
        rcps = self.rcp_list(org.get("rcps"), at["rcps"], root)
        if org_id is None or root is None:
            return None
        return Organization(org_id, root, management, tuple(accounts), tuple(units), tuple(rcps))

    def placed_accounts(self, value: object, pointer: str, parent: str) -> list[str]:
        """Accounts directly under `parent`; an account may sit in one place only."""
        accounts = []
        for i, item in enumerate(self.items(value, pointer, "accounts")):
            at = pointer_join(pointer, i)
            account = self.account(item, at)
            if account is None:
                continue
            first = self.account_home.get(account)
            if first is not None:
                self.fail(
                    at,
                    f"account {account} is already in {first.parent}{self.line_of(first.pointer)}; "
                    "an account belongs to exactly one parent",
                )
                continue
            self.account_home[account] = _Seen(parent, at)
            accounts.append(account)
        return accounts

    def unit_list(self, value: object, pointer: str, depth: int, parent_path: str) -> list[OrgUnit]:
        units = []
        for i, item in enumerate(self.items(value, pointer, "units")):
            unit = self.unit(item, pointer_join(pointer, i), depth, parent_path)
            if unit is not None:
                units.append(unit)
        return units

    def unit(self, value: object, pointer: str, depth: int, parent_path: str) -> OrgUnit | None:
        raw = self.mapping(value, pointer, "an OU", _UNIT_KEYS, ("id",))
        if raw is None:
            return None
        id_at = pointer_join(pointer, "id")
        unit_id = None if raw.get("id") is None else self.unit_id(raw["id"], id_at)
        if unit_id is not None and depth == _MAX_OU_DEPTH + 1:
            self.fail(
                id_at,
                f"OU {unit_id} is {depth} levels deep under the root; AWS allows at most "
                f"{_MAX_OU_DEPTH}",
            )
        name = None
        if raw.get("name") is not None:
            name = self.text(raw["name"], pointer_join(pointer, "name"), "OU name")
        path = f"{parent_path}{unit_id}/"
        accounts = self.placed_accounts(
            raw.get("accounts"), pointer_join(pointer, "accounts"), f"OU {unit_id or '?'}"
        )
        units = self.unit_list(raw.get("units"), pointer_join(pointer, "units"), depth + 1, path)
        if unit_id is None:
            return None
        return OrgUnit(unit_id, name, tuple(accounts), tuple(units), path)

    def unit_id(self, value: object, pointer: str) -> str | None:
        """An OU id of this root (`ou-<root suffix>-…`), used once in the organization."""
        unit_id = self.matching(value, pointer, "OU id", _OU_ID, _OU_FORM)
        if unit_id is None:
            return None
        suffix = unit_id.split("-")[1]
        if self.root_suffix is not None and suffix != self.root_suffix:
            self.fail(
                pointer,
                f"OU id {unit_id!r} does not carry its root's suffix: under root "
                f"r-{self.root_suffix} OU ids start with 'ou-{self.root_suffix}-'",
            )
        first = self.unit_home.get(unit_id)
        if first is not None:
            self.fail(pointer, f"OU {unit_id} is already defined{self.line_of(first.pointer)}")
            return None
        self.unit_home[unit_id] = _Seen("", pointer)
        return unit_id

    # -- RCPs ------------------------------------------------------------------------------------

    def rcp_list(self, value: object, pointer: str, root: str | None) -> list[RcpAttachment]:
        rcps: list[RcpAttachment] = []
        names: dict[tuple[str, str], str] = {}
        for i, item in enumerate(self.items(value, pointer, "rcps")):
            at = pointer_join(pointer, i)
            rcp = self.rcp(item, at, i, root)
            if rcp is None:
                continue
            first = names.get((rcp.target, rcp.name))
            if first is not None:
                self.fail(
                    at,
                    f"an RCP named {rcp.name!r} is already attached to {rcp.target}"
                    f"{self.line_of(first)}",
                )
                continue
            names[(rcp.target, rcp.name)] = at
            rcps.append(rcp)
        return rcps

    def rcp(
        self, value: object, pointer: str, index: int, root: str | None
    ) -> RcpAttachment | None:
        raw = self.mapping(value, pointer, "an RCP entry", _RCP_KEYS, ("target",))
        if raw is None:
            return None
        target_at = pointer_join(pointer, "target")
        target = (
            None if raw.get("target") is None else self.rcp_target(raw["target"], target_at, root)
        )
        name = None
        if raw.get("name") is not None:
            name = self.text(raw["name"], pointer_join(pointer, "name"), "RCP name")
        has_policy, has_file = raw.get("policy") is not None, raw.get("file") is not None
        if has_policy == has_file:
            which = "both 'policy' and 'file'" if has_policy else "neither 'policy' nor 'file'"
            self.fail(
                pointer,
                f"an RCP entry needs either 'policy' (the document) or 'file' (a JSON file); "
                f"this one has {which}",
            )
            return None
        if has_policy:
            found = self.inline_policy(raw["policy"], pointer_join(pointer, "policy"))
            default_name = f"rcps[{index}]"
        else:
            file_at = pointer_join(pointer, "file")
            found = self.policy_file(raw["file"], file_at)
            default_name = str(raw["file"])
        if target is None or found is None:
            return None
        document, location, doc_pointer, source_map = found
        return RcpAttachment(
            target, name or default_name, document, location, doc_pointer, source_map
        )

    def rcp_target(self, value: object, pointer: str, root: str | None) -> str | None:
        """The root, an OU or an account of this organization (checked after the tree is read)."""
        if isinstance(value, int) and not isinstance(value, bool):  # an unquoted account id
            target = self.account(value, pointer, "RCP target")
        else:
            target = self.text(value, pointer, "RCP target")
        if target is None:
            return None
        if target != root and target not in self.unit_home and target not in self.account_home:
            self.fail(
                pointer,
                f"RCP target {target!r} is not the root, an OU or an account of the organization",
            )
            return None
        return target

    def inline_policy(self, value: object, pointer: str) -> _Found | None:
        if not isinstance(value, dict):
            self.fail(
                pointer, f"policy must be a mapping (the policy document), not {_kind(value)}"
            )
            return None
        return value, self.dmap.locate(pointer), pointer, self.dmap

    def policy_file(self, value: object, pointer: str) -> _Found | None:
        """Read an RCP document from a JSON file, relative to the model's directory."""
        name = self.text(value, pointer, "RCP file")
        if name is None:
            return None
        path = self.base_dir / name
        if path not in self.rcp_files:
            self.rcp_files[path] = self.read_policy_file(path, pointer)
        return self.rcp_files[path]

    def read_policy_file(self, path: Path, pointer: str) -> _Found | None:
        try:
            text = _read_text(path)
        except OSError as exc:
            self.fail(pointer, f"cannot read RCP file {str(path)!r}: {exc.strerror or exc}")
            return None
        except UnicodeDecodeError as exc:
            self.fail(pointer, f"RCP file {str(path)!r} is not UTF-8 (byte offset {exc.start})")
            return None
        try:
            document, dmap = parse_document(text, file=str(path), json_only=True)
        except OrgModelError as exc:
            self.problems.extend(exc.problems)
            return None
        location = dmap.locate("")
        if not isinstance(document, dict):
            self.problems.append(
                OrgProblem(
                    f"an RCP file must hold one JSON object (the policy document), not "
                    f"{_kind(document)}",
                    location.file,
                    location.line,
                    location.column,
                )
            )
            return None
        return document, location, "", dmap


_ORG_FORM = "'o-' then 10 to 32 lowercase letters or digits, e.g. 'o-a1b2c3d4e5'"
_ROOT_FORM = "'r-' then 4 to 32 lowercase letters or digits, e.g. 'r-ab12'"
_OU_FORM = (
    "'ou-', the root's 4 to 32 character suffix, '-', then 8 to 32 lowercase letters or "
    "digits, e.g. 'ou-ab12-11111111'"
)
