"""`deputyguard org show` and `deputyguard org match` (cli.md).

`show` prints the organization with the entity path of every OU and the `aws:SourceOrgPaths`
patterns that select it; `match` answers "which accounts does this guard admit?" by evaluating the
guard with the engine for a source resource in every account of the model, and for accounts outside
the organization (one in no organization, one in another organization that reuses our root and OU
ids, which AWS only makes unlikely, never impossible).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from rich.console import Console
from rich.tree import Tree

from deputyguard.awsdata.arn import split_arn
from deputyguard.commands.arguments import MATCH_KEYS
from deputyguard.commands.common import EXIT_OK, EXIT_USAGE, UsageError
from deputyguard.engine.compiled import compile_policy
from deputyguard.engine.context import Context, RequestError
from deputyguard.engine.evaluate import PolicySet, Request, evaluate
from deputyguard.org import OrgModel, OrgModelError, OrgUnit, SourceRef, load_org, source_context
from deputyguard.policy.operators import OperatorError, parse_operator
from deputyguard.policy.parse import parse_policy
from deputyguard.wildcard import glob_match

DEFAULT_OPERATORS = {
    "aws:sourceorgpaths": "ForAnyValue:StringLike",
    "aws:sourceorgid": "StringEquals",
    "aws:sourceaccount": "StringEquals",
    "aws:sourcearn": "ArnLike",
}
KEY_NAMES = {key.lower(): key for key in MATCH_KEYS}
PROBE_SERVICE = "example-service.amazonaws.com"
OUTSIDE_NO_ORG = "999988887777"
OUTSIDE_OTHER_ORG = "888877776666"
OTHER_ORG = "o-zzzzzzzzzz"


def run_org(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        model = load_org(args.org)
    except OrgModelError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    if model.organization is None:
        raise UsageError(f"{args.org}: the file describes no organization")
    if args.org_command == "show":
        return _show(model, args, out)
    return _match(model, args, out, err)


PATH_SHAPES = (
    # (JSON name, label, suffix appended to the OU's entity path) — spec §8, S7
    ("direct", "direct members (ForAnyValue:StringEquals)", ""),
    ("with_descendants", "OU and descendants (ForAnyValue:StringLike)", "*"),
    ("descendants_only", "descendants only (ForAnyValue:StringLike)", "ou-*"),
)


def _show(model: OrgModel, args: argparse.Namespace, out: TextIO) -> int:
    organization = model.organization
    assert organization is not None
    if args.account:
        if not model.contains_account(args.account):
            raise UsageError(f"account {args.account} is not in {args.org}")
        arn = f"arn:aws:sns:us-east-1:{args.account}:example"
        keys = source_context(model, SourceRef(arn, args.account), PROBE_SERVICE)
        keys = {k: v for k, v in keys.items() if k.startswith("aws:Source")}
        if args.format == "json":
            out.write(json.dumps({"account": args.account, "source_keys": keys}, indent=2) + "\n")
        else:
            console = Console(file=out, highlight=False, soft_wrap=True)
            console.print(f"[bold]{args.account}[/bold]: a resource of this account sends")
            for key, value in keys.items():
                console.print(f"  {key} = {value}")
        return EXIT_OK
    if args.format == "json":
        out.write(json.dumps(_tree_json(model), indent=2) + "\n")
        return EXIT_OK
    root_path = f"{organization.id}/{organization.root}/"
    tree = Tree(f"[bold]{organization.id}[/bold] root {organization.root}  path {root_path}")
    for account in organization.accounts:
        tree.add(_account_label(model, account))
    for unit in organization.units:
        _add_unit(tree, model, unit)
    # Paths are long and must not be cut: render wide enough for the deepest one.
    width = max(100, max((len(u.path) for u in model.units()), default=0) * 2 + 60)
    Console(file=out, highlight=False, width=width).print(tree)
    return EXIT_OK


def _account_label(model: OrgModel, account: str) -> str:
    label = f"account {account}"
    if model.is_management_account(account):
        label += " (management: RCPs and SCPs do not apply)"
    return label


def _add_unit(parent: Tree, model: OrgModel, unit: OrgUnit) -> None:
    name = f" {unit.name}" if unit.name else ""
    branch = parent.add(f"[bold]{unit.id}[/bold]{name}  path {unit.path}")
    for _, label, suffix in PATH_SHAPES:
        branch.add(f"[dim]{label}: {unit.path}{suffix}[/dim]")
    for account in unit.accounts:
        branch.add(_account_label(model, account))
    for child in unit.units:
        _add_unit(branch, model, child)


def _tree_json(model: OrgModel) -> dict[str, Any]:
    organization = model.organization
    assert organization is not None

    def unit_json(unit: OrgUnit) -> dict[str, Any]:
        return {
            "id": unit.id,
            "name": unit.name,
            "path": unit.path,
            "patterns": {name: unit.path + suffix for name, _, suffix in PATH_SHAPES},
            "accounts": list(unit.accounts),
            "units": [unit_json(u) for u in unit.units],
        }

    return {
        "id": organization.id,
        "root": organization.root,
        "path": f"{organization.id}/{organization.root}/",
        "management_account": organization.management_account,
        "accounts": list(organization.accounts),
        "units": [unit_json(u) for u in organization.units],
        "trusted_accounts": sorted(model.trusted_accounts),
    }


def _suspicious_values(model: OrgModel, key: str, values: list[str]) -> list[str]:
    """Values that select nothing of the model: most often a typo in an OU or account id."""
    organization = model.organization
    assert organization is not None
    out = []
    if key == "aws:sourceorgpaths":
        paths = [f"{organization.id}/{organization.root}/", *(u.path for u in model.units())]
        for value in values:
            if not any(glob_match(value, p) for p in paths):
                out.append(f"{value!r} matches no entity path of the organization model")
    if key == "aws:sourceaccount":
        outside = model.trusted_accounts
        for value in values:
            if not model.contains_account(value) and value not in outside:
                out.append(f"account {value} is neither in the organization nor trusted")
    return out


def _match(model: OrgModel, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    key = args.key.lower()
    operator = args.operator or DEFAULT_OPERATORS[key]
    try:
        parse_operator(operator)
    except OperatorError as exc:
        raise UsageError(f"--operator {operator}: {exc.message}") from None
    values: Any = args.values if len(args.values) > 1 else args.values[0]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": PROBE_SERVICE},
                "Action": "sns:Publish",
                "Resource": "*",
                "Condition": {operator: {KEY_NAMES[key]: values}},
            }
        ],
    }
    parsed = parse_policy(document).policy
    assert parsed is not None
    policies = PolicySet(resource=compile_policy(parsed, "resource"))
    for warning in _suspicious_values(model, key, args.values):
        err.write(f"warning: {warning}\n")
    admitted = [a for a in model.accounts() if _admits(model, policies, key, args.values, a)]
    outside = any(
        _admits(model, policies, key, args.values, account, org_paths)
        for account, org_paths in _outside_sources(model)
    )
    if args.format == "json":
        result = {
            "key": KEY_NAMES[key],
            "operator": operator,
            "values": list(args.values),
            "accounts": sorted(admitted),
            "outside_org": outside,
        }
        out.write(json.dumps(result, indent=2) + "\n")
        return EXIT_OK
    console = Console(file=out, highlight=False, soft_wrap=True)
    console.print(
        f"{operator} {KEY_NAMES[key]} {' | '.join(args.values)} admits "
        f"{len(admitted)} of {len(model.accounts())} accounts:"
    )
    for account in admitted:
        console.print(f"  {account}  {model.entity_path_of(account)}")
    console.print(
        "[bold red]and accounts outside the organization[/bold red]"
        if outside
        else "[green]and no account outside the organization[/green]"
    )
    return EXIT_OK


def _outside_sources(model: OrgModel) -> list[tuple[str, tuple[str, ...] | None]]:
    """An account in no organization, and one in another organization whose root and OU ids
    happen to equal ours (ids are unique only within one organization, S7, S22)."""
    organization = model.organization
    assert organization is not None
    lookalike = [f"{OTHER_ORG}/{organization.root}/"] + [
        OTHER_ORG + u.path[u.path.index("/") :] for u in model.units()
    ]
    return [(OUTSIDE_NO_ORG, None)] + [(OUTSIDE_OTHER_ORG, (p,)) for p in lookalike]


def _admits(
    model: OrgModel,
    policies: PolicySet,
    key: str,
    values: list[str],
    account: str,
    foreign_paths: tuple[str, ...] | None = None,
) -> bool:
    arn = _source_arn(key, values, account)
    org_id = OTHER_ORG if foreign_paths else None
    ref = SourceRef(arn, account, org_id, foreign_paths)
    context = Context.from_json(source_context(model, ref, PROBE_SERVICE))
    request = Request(PROBE_SERVICE, "sns:Publish", f"arn:aws:sns:us-east-1:{account}:t", context)
    try:
        return evaluate(request, policies).allowed
    except RequestError:
        return False


def _source_arn(key: str, values: list[str], account: str) -> str:
    """A source resource of `account`, with the service and resource parts of the ARN the guard
    names (cli.md: 'modelled with the ARN's own service and resource parts')."""
    if key == "aws:sourcearn":
        for value in values:
            parts = split_arn(value)
            if parts is not None:
                resource = parts[5].replace("*", "x").replace("?", "x")
                if not parts[3] and not parts[4]:  # S3: global names, no Region or account
                    return ":".join((*parts[:5], resource))
                region = "us-east-1" if "*" in parts[3] or "?" in parts[3] else parts[3]
                return ":".join((parts[0], parts[1], parts[2], region, account, resource))
    return f"arn:aws:sns:us-east-1:{account}:source"
