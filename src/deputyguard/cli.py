"""The command line. Thin: parse arguments, then hand over to one module per subcommand.

Exit codes (cli.md): 0 done, 1 expectation mismatch / findings, 2 usage error or nothing
readable, 3 incomplete (some inputs could not be read or evaluated).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import TextIO

from deputyguard.commands.arguments import build_parser
from deputyguard.commands.common import EXIT_USAGE, UsageError
from deputyguard.simulate.cases import CaseFileError


def _tune_garbage_collector() -> None:
    """A run allocates many small, short-lived objects and few cycles: collecting the youngest
    generation less often, and never re-scanning what start-up loaded, saves about a tenth of
    the time of a large simulate run. Everything unreachable is still freed by reference
    counting or by the next collection."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    """Import only the command that runs: start-up stays short for simulate and pre-commit."""
    if args.command == "simulate":
        from deputyguard.commands.simulate import run_simulate

        return run_simulate(args, out, sys.stderr)
    if args.command == "check":
        from deputyguard.commands.check import run_check

        return run_check(args, out, sys.stderr)
    if args.command == "fix":
        from deputyguard.commands.fix import run_fix

        return run_fix(args, out, sys.stderr)
    if args.command == "rcp":
        from deputyguard.commands.rcp import run_rcp

        return run_rcp(args, out, sys.stderr)
    if args.command == "org":
        from deputyguard.commands.org import run_org

        return run_org(args, out, sys.stderr)
    from deputyguard.commands.rules import run_rules

    return run_rules(args, out, sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out: TextIO = sys.stdout
    try:
        if getattr(args, "output", None):
            out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115 (closed in finally)
        if args.command in ("simulate", "check"):
            _tune_garbage_collector()
        return _run(args, out)
    except (UsageError, CaseFileError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except OSError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
