"""The organization model: accounts, OUs, the root, entity paths, RCP attachments, trusted sets.

Values are immutable and validated by `deputyguard.org.load`; `OrgModel` precomputes an index so
the engine can ask "where is account A?" in constant time for every simulated request.
Positions (`SourceLocation`, `DocumentMap`) record what the user wrote and never take part in
equality, so two models that differ only in layout compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

__all__ = [
    "DocumentMap",
    "HasPosition",
    "OrgModel",
    "OrgModelError",
    "OrgProblem",
    "OrgUnit",
    "Organization",
    "Position",
    "RcpAttachment",
    "SourceLocation",
    "pointer_join",
]


# -- positions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something was written; any part may be unknown (inline data, live scans)."""

    file: str | None
    line: int | None
    column: int | None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class HasPosition(Protocol):
    """Anything with a 1-based line and column (ours, or another reader's position objects)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column of a value in a text file."""

    line: int
    column: int


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_join(base: str, *tokens: str | int) -> str:
    """Extend a JSON pointer (RFC 6901) by keys/indices, escaping `~` and `/` in them."""
    return base + "".join("/" + _escape(t) for t in tokens)


def _ancestors(pointer: str) -> Iterator[str]:
    """The pointer itself, then each enclosing pointer up to the document ("")."""
    while True:
        yield pointer
        if not pointer:
            return
        pointer = pointer[: pointer.rindex("/")]


@dataclass(frozen=True, slots=True, eq=False)
class DocumentMap:
    """Where each value of a decoded JSON/YAML document was written, keyed by JSON pointer.

    `values` gives the start of each value, `keys` the start of each mapping member's key (so an
    unknown key can be pointed at even when its value starts on the next line). `duplicates` and
    `all_values` describe keys written twice, in the form `deputyguard.policy.parse_policy` takes:
    (pointer of the object, key) pairs, and every value written for such a member, in order.
    """

    file: str | None
    values: Mapping[str, HasPosition] = field(default_factory=dict)
    keys: Mapping[str, HasPosition] = field(default_factory=dict)
    duplicates: tuple[tuple[str, str], ...] = ()
    all_values: Mapping[str, tuple[object, ...]] = field(default_factory=dict)

    def locate(self, pointer: str, *, key: bool = False) -> SourceLocation:
        """The position of `pointer` (its key if asked and known), else of its nearest ancestor."""
        if key and (pos := self.keys.get(pointer)) is not None:
            return SourceLocation(self.file, pos.line, pos.column)
        for candidate in _ancestors(pointer):
            pos = self.values.get(candidate)
            if pos is not None:
                return SourceLocation(self.file, pos.line, pos.column)
        return SourceLocation(self.file, None, None)


# -- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgProblem:
    """One thing wrong with an organization model, with where it was written."""

    message: str
    file: str | None
    line: int | None
    column: int | None

    def __str__(self) -> str:
        if self.file is None and self.line is None:
            return self.message
        return f"{SourceLocation(self.file, self.line, self.column)}: {self.message}"


class OrgModelError(ValueError):
    """An organization model could not be loaded; `problems` lists every problem found.

    The first problem also fills `message`/`file`/`line`/`column`, so callers that only report
    one error need not look at the list; `str()` gives one "FILE:LINE:COL: message" per line
    (just the message when nothing is known about where it was written).
    """

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        *,
        problems: tuple[OrgProblem, ...] = (),
    ) -> None:
        first = OrgProblem(message, file, line, column)
        self.problems: tuple[OrgProblem, ...] = problems or (first,)
        self.message = self.problems[0].message
        self.file = self.problems[0].file
        self.line = self.problems[0].line
        self.column = self.problems[0].column
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def from_problems(cls, problems: tuple[OrgProblem, ...]) -> OrgModelError:
        """One error that carries every collected problem (at least one)."""
        first = problems[0]
        return cls(first.message, first.file, first.line, first.column, problems=problems)


# -- the model --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """An organizational unit; `path` is its entity path, e.g. "o-…/r-ab12/ou-ab12-11111111/"."""

    id: str
    name: str | None
    accounts: tuple[str, ...]
    units: tuple[OrgUnit, ...]
    path: str


@dataclass(frozen=True, slots=True)
class RcpAttachment:
    """A resource control policy attached to the root, an OU or an account, still undecoded.

    `document` is the raw JSON value (a dict) exactly as written: this layer does not know the
    policy language, `deputyguard.policy` parses it. To report positions inside the document,
    pass `source_map.values`, `source_map.duplicates`, `source_map.all_values` and `pointer`
    (the document's JSON pointer in that map's file) to the policy parser.
    """

    target: str
    name: str
    document: object = field(hash=False)
    location: SourceLocation = field(compare=False)
    pointer: str = field(default="", compare=False)
    source_map: DocumentMap | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Organization:
    """One AWS organization; `accounts` are the accounts directly under the root."""

    id: str
    root: str
    management_account: str | None
    accounts: tuple[str, ...]
    units: tuple[OrgUnit, ...]
    rcps: tuple[RcpAttachment, ...]


@dataclass(frozen=True, slots=True)
class _Placement:
    """Where one account sits: the attachment targets above it and its parent's entity path."""

    chain: tuple[str, ...]
    path: str
    levels: tuple[tuple[RcpAttachment, ...], ...]


@dataclass(frozen=True, slots=True)
class _Index:
    placements: Mapping[str, _Placement]
    accounts: tuple[str, ...]
    units: tuple[OrgUnit, ...]


def _build_index(org: Organization | None) -> _Index:
    """Walk the tree once; fail on structures that would make a query ambiguous."""
    if org is None:
        return _Index({}, (), ())
    by_target: dict[str, list[RcpAttachment]] = {}
    for rcp in org.rcps:
        by_target.setdefault(rcp.target, []).append(rcp)

    def attached(target: str) -> tuple[RcpAttachment, ...]:
        return tuple(by_target.get(target, ()))

    placements: dict[str, _Placement] = {}
    units: list[OrgUnit] = []
    seen_units: set[str] = set()

    def place(accounts: tuple[str, ...], chain: tuple[str, ...], path: str) -> None:
        levels = tuple(attached(t) for t in chain)
        for account in accounts:
            if account in placements:
                raise ValueError(f"account {account} appears twice in organization {org.id}")
            placements[account] = _Placement((*chain, account), path, (*levels, attached(account)))

    def visit(unit: OrgUnit, chain: tuple[str, ...], parent_path: str) -> None:
        path = f"{parent_path}{unit.id}/"
        if unit.path != path:
            raise ValueError(f"OU {unit.id} has path {unit.path!r}, expected {path!r}")
        if unit.id in seen_units:
            raise ValueError(f"OU {unit.id} appears twice in organization {org.id}")
        seen_units.add(unit.id)
        units.append(unit)
        place(unit.accounts, (*chain, unit.id), path)
        for child in unit.units:
            visit(child, (*chain, unit.id), path)

    root_path = f"{org.id}/{org.root}/"
    place(org.accounts, (org.root,), root_path)
    for unit in org.units:
        visit(unit, (org.root,), root_path)
    return _Index(MappingProxyType(placements), tuple(sorted(placements)), tuple(units))


@dataclass(frozen=True)
class OrgModel:
    """The modelled organization (if any) plus accounts and organizations trusted from outside.

    Queries about accounts outside the organization answer None or an empty tuple: such an
    account has no org id and no path, so AWS sends no aws:*OrgID / aws:*OrgPaths for it.
    """

    organization: Organization | None
    trusted_accounts: frozenset[str] = frozenset()
    trusted_organizations: frozenset[str] = frozenset()
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _build_index(self.organization))

    def contains_account(self, account: str) -> bool:
        """Whether the account is a member (management account included) of the organization."""
        return account in self._index.placements

    def is_management_account(self, account: str) -> bool:
        """RCPs and SCPs do not apply to the management account (spec §5.3, §5.4, §8)."""
        org = self.organization
        return org is not None and org.management_account == account

    def org_id_of(self, account: str) -> str | None:
        """The organization id of a member account; None for an account in no modelled org."""
        if self.organization is None or account not in self._index.placements:
            return None
        return self.organization.id

    def entity_path_of(self, account: str) -> str | None:
        """Entity path of the account's parent (root or OU), ending in "/" (spec §6.1, §8).

        There is no account segment: that is the form aws:SourceOrgPaths, aws:PrincipalOrgPaths
        and aws:ResourceOrgPaths compare against.
        """
        placement = self._index.placements.get(account)
        return None if placement is None else placement.path

    def parent_chain(self, account: str) -> tuple[str, ...]:
        """Root id, OU ids down to the parent, then the account: the RCP targets that apply."""
        placement = self._index.placements.get(account)
        return () if placement is None else placement.chain

    def rcp_levels(self, account: str) -> tuple[tuple[RcpAttachment, ...], ...]:
        """The RCPs attached at each element of `parent_chain` (root first, account last).

        Structural only: the caller must skip RCPs for resources of the management account
        (spec §5.4) and for services RCPs do not cover.
        """
        placement = self._index.placements.get(account)
        return () if placement is None else placement.levels

    def accounts(self) -> tuple[str, ...]:
        """Every account of the organization, sorted."""
        return self._index.accounts

    def units(self) -> tuple[OrgUnit, ...]:
        """Every OU, depth-first in the order written."""
        return self._index.units
