"""Every subcommand's arguments, in one light module: building the parser imports nothing heavy,
so `simulate` (and a pre-commit `check` of one file) do not pay for the other commands."""

from __future__ import annotations

import argparse

from deputyguard import __version__
from deputyguard.analysis.model import Severity
from deputyguard.fix.scope import Scope
from deputyguard.policy.model import PolicyType

POLICY_TYPES = ("auto", *(t.value for t in PolicyType if t is not PolicyType.VPC_ENDPOINT))
MATCH_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths")
POLICY_MEMBERS = {
    "resource": "resource",
    "trust": "resource",
    "identity": "identity",
    "boundary": "permissionBoundary",
    "session": "session",
    "scp": "scps",
    "rcp": "rcps",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deputyguard",
        description="Find, prove and fix cross-service confused-deputy weaknesses in AWS policies.",
    )
    parser.add_argument("--version", action="version", version=f"deputyguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="evaluate requests against policies exactly as AWS does",
        description="Evaluate requests (a JSONL/YAML case file, or one request given by flags).",
    )
    sim.add_argument("cases", nargs="?", help="case file (.jsonl, .json, .yaml) or - for stdin")
    sim.add_argument("--org", help="organization model file (YAML or JSON)")
    sim.add_argument("--explain", action="store_true", help="trace every statement and condition")
    sim.add_argument("--format", choices=("jsonl", "text"), default="jsonl")
    sim.add_argument("--output", help="write results to FILE instead of stdout")
    sim.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="worker processes for large JSONL files (default 0: one per CPU; 1: no workers)",
    )
    sim.add_argument(
        "--lint",
        action="store_true",
        help="also report every validation finding on the policies (Access Analyzer checks)",
    )
    sim.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="choose behaviour the spec marks UNCONFIRMED (see `--assume help`)",
    )
    check = sub.add_parser(
        "check",
        help="find confused-deputy weaknesses in policies, each proven by a request",
        description="Analyze policy files and directories (see `deputyguard rules`).",
    )
    _check(check)
    rules = sub.add_parser("rules", help="list the rules, or explain one with examples")
    _rules(rules)
    fix = sub.add_parser(
        "fix", help="propose the smallest repair for each serious finding, verified by the engine"
    )
    _fix(fix)
    rcp = sub.add_parser("rcp", help="the organization-wide confused-deputy RCP, verified")
    _rcp(rcp)
    org = sub.add_parser("org", help="the organization model: tree, paths, what a guard admits")
    _org(org)
    one = sim.add_argument_group("a single request")
    one.add_argument("--policy", action="append", default=[], help="policy JSON file")
    one.add_argument("--policy-type", choices=sorted(POLICY_MEMBERS), default="resource")
    one.add_argument("--principal")
    one.add_argument("--action")
    one.add_argument("--resource")
    one.add_argument("--resource-account")
    one.add_argument("--source-arn", help="the resource the service acts on behalf of")
    one.add_argument("--source-account")
    one.add_argument("--context", action="append", default=[], metavar="KEY=VALUE")
    one.add_argument("--expect", choices=("Allowed", "ImplicitlyDenied", "ExplicitlyDenied"))
    return parser


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """What `check` and `fix` both read: the paths, the owner, the trust options, the type."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories")
    parser.add_argument("--org", help="organization model file (YAML or JSON)")
    parser.add_argument("--account", help="the account that owns the policies (12 digits)")
    parser.add_argument("--trusted-account", action="append", default=[], metavar="ID")
    parser.add_argument("--trusted-org", action="append", default=[], metavar="O")
    parser.add_argument("--policy-type", choices=POLICY_TYPES, default="auto")
    parser.add_argument(
        "--config",
        help="configuration file (default: .deputyguard.toml or "
        "[tool.deputyguard] in pyproject.toml, searched upwards)",
    )


def _check(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif", "html"), default="text")
    parser.add_argument("--output", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--fail-on", choices=[s.value for s in Severity], help="threshold for exit code 1"
    )
    parser.add_argument("--select", help="comma-separated rule ids to report (default: all)")
    parser.add_argument("--ignore", help="comma-separated rule ids not to report")
    parser.add_argument("--baseline", help="report only findings not in this baseline file")
    parser.add_argument(
        "--write-baseline", action="store_true", help="write the findings to --baseline and exit"
    )
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per CPU)")


def _fix(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--scope", choices=[s.value for s in Scope], default="account")
    parser.add_argument("--ou", help="with --scope ou: the OU whose accounts may be sources")
    parser.add_argument("--source-arn", help="with --scope source-arn: the one source resource")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--diff", action="store_true", help="print a unified diff")
    output.add_argument("--write", action="store_true", help="edit the files in place")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--require-no-loss",
        action="store_true",
        help="refuse a migration to organization keys in which any account loses access",
    )


def _rcp(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="policies whose service grants decide the services covered",
    )
    parser.add_argument("--org", required=True, help="organization model file")
    parser.add_argument("--services", help="comma-separated service prefixes (e.g. s3,sqs,kms)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", help="a rule id (DG002) or slug (forallvalues-vacuous)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _org(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="org_command", required=True)
    show = sub.add_parser("show", help="the organization tree, paths and path patterns")
    show.add_argument("org", metavar="ORG", help="organization model file")
    show.add_argument("--account", help="print the source keys this account's resources send")
    show.add_argument("--format", choices=("text", "json"), default="text")
    match = sub.add_parser("match", help="which accounts a source-key guard admits")
    match.add_argument("values", nargs="+", metavar="VALUE")
    match.add_argument("--org", required=True, help="organization model file")
    match.add_argument("--key", required=True, choices=MATCH_KEYS)
    match.add_argument("--operator", help="condition operator (default depends on the key)")
    match.add_argument("--format", choices=("text", "json"), default="text")
