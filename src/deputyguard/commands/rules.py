"""`deputyguard rules [RULE]`: list the rules, or explain one with a bad and a good example."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.table import Table

from deputyguard.analysis.catalog import RULES, rule
from deputyguard.commands.common import EXIT_OK, UsageError


def run_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    console = Console(file=out, highlight=False)
    if args.rule is None:
        if args.format == "json":
            out.write(json.dumps([_summary(r) for r in RULES], indent=2) + "\n")
            return EXIT_OK
        table = Table("id", "name", "severity", "fires when", show_lines=False)
        for info in RULES:
            table.add_row(info.id, info.slug, info.severity, info.summary)
        console.print(table)
        return EXIT_OK
    try:
        info = rule(args.rule)
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else f"unknown rule {args.rule}") from None
    if args.format == "json":
        data = _summary(info) | {
            "help": info.help,
            "bad_example": info.bad_example,
            "good_example": info.good_example,
        }
        out.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    console.print(f"[bold]{info.id} {info.slug}[/bold]  ({info.severity})  {info.title}")
    console.print(Markdown(info.help))
    console.print(f"[bold red]Bad[/bold red] ({info.example_type} policy):")
    console.print(Syntax(json.dumps(info.bad_example, indent=2), "json", theme="ansi_dark"))
    console.print(f"[bold green]Good[/bold green] ({info.example_type} policy):")
    console.print(Syntax(json.dumps(info.good_example, indent=2), "json", theme="ansi_dark"))
    return EXIT_OK


def _summary(info: object) -> dict[str, str]:
    return {
        k: str(getattr(info, k)) for k in ("id", "slug", "severity", "title", "summary", "spec")
    }
