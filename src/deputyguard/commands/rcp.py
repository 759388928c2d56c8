"""`deputyguard rcp --org ORG [PATH...]`: the organization-wide confused-deputy RCP(s), verified.

The services covered are `--services`, or those that the given policies grant to service
principals (and RCPs support), or AWS's sample set (s3, sqs, kms, secretsmanager, sts).
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from deputyguard.awsdata.catalog import rcp_supported_service
from deputyguard.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from deputyguard.fix.rcp import RcpError, synthesize
from deputyguard.org import OrgModelError, load_org
from deputyguard.sources.inputs import read_paths


def _services_in_use(paths: list[str]) -> list[str]:
    sources, _, _ = read_paths(paths)
    found: set[str] = set()
    for source in sources:
        policy = source.parse().policy
        if policy is None:
            continue
        for statement in policy.statements:
            principal = statement.principal
            if principal is None or not (principal.service or principal.wildcard):
                continue
            for action in statement.actions or ():
                prefix = action.split(":", 1)[0].lower()
                if prefix != "*" and rcp_supported_service(prefix):
                    found.add(prefix)
    return sorted(found)


def run_rcp(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        org = load_org(args.org)
    except OrgModelError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    services: list[str] | None = None
    if args.services:
        services = [s.strip() for s in args.services.split(",") if s.strip()]
    elif args.paths:
        services = _services_in_use(args.paths) or None
    try:
        result = synthesize(org, services)
    except RcpError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    if args.format == "json":
        document = {
            "policies": result.policies,
            "verified": result.verified,
            "checks": result.checks,
            "problems": result.problems,
        }
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        for index, policy in enumerate(result.policies, 1):
            out.write(f"# RCP {index} of {len(result.policies)}\n")
            out.write(json.dumps(policy, indent=2) + "\n")
        state = "verified" if result.verified else "NOT verified: " + "; ".join(result.problems)
        err.write(f"{len(result.policies)} RCP(s), {state} against {args.org}\n")
    return EXIT_OK if result.verified else EXIT_FINDINGS
