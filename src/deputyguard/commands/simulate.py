"""`deputyguard simulate`: evaluate requests exactly as AWS does (cli.md).

JSONL input is evaluated on every core in order-preserving batches; YAML, JSON arrays and the
text report run in one process. Exit codes: 0 done, 1 an `expect` differs, 2 nothing readable,
3 some cases invalid.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from dataclasses import fields, replace
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

import orjson
from rich.console import Console

from deputyguard.commands.arguments import POLICY_MEMBERS
from deputyguard.commands.common import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from deputyguard.engine.options import DEFAULT_OPTIONS, EngineOptions
from deputyguard.org import OrgModel, OrgModelError, load_org
from deputyguard.policy.jsontext import JsonSyntaxError, parse_json
from deputyguard.simulate.cases import (
    RawCase,
    case_from_line,
    is_jsonl,
    open_case_lines,
    open_cases,
)
from deputyguard.simulate.render import render_result, render_summary
from deputyguard.simulate.runner import CaseResult, Runner


def _parse_options(items: list[str]) -> EngineOptions:
    options = DEFAULT_OPTIONS
    by_name = {f.name.replace("_", "-"): f for f in fields(EngineOptions)}
    for item in items:
        if item == "help":
            lines = [
                f"  {name} (default {getattr(DEFAULT_OPTIONS, f.name)!s})"
                for name, f in by_name.items()
            ]
            raise UsageError("options for --assume:\n" + "\n".join(lines))
        name, sep, value = item.partition("=")
        field_ = by_name.get(name)
        if not sep or field_ is None:
            raise UsageError(f"--assume {item}: expected OPTION=VALUE; try `--assume help`")
        current = getattr(DEFAULT_OPTIONS, field_.name)
        parsed: Any
        if isinstance(current, bool):
            if value not in ("true", "false"):
                raise UsageError(f"--assume {name} takes true or false")
            parsed = value == "true"
        else:
            enum_type = type(current)
            assert issubclass(enum_type, Enum)
            try:
                parsed = enum_type(value)
            except ValueError:
                choices = ", ".join(str(m.value) for m in enum_type)
                raise UsageError(f"--assume {name} takes one of: {choices}") from None
        options = replace(options, **{field_.name: parsed})
    return options


def _context_value(raw: str) -> Any:
    if raw.startswith("["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--context value {raw!r} is not a JSON list: {exc.msg}") from None
    return raw


def _single_case(args: argparse.Namespace) -> RawCase:
    missing = [f"--{n}" for n in ("principal", "action", "resource") if not getattr(args, n)]
    if missing:
        raise UsageError("a single request needs " + ", ".join(missing))
    context: dict[str, Any] = {}
    for item in args.context:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--context {item!r}: expected KEY=VALUE")
        context[key] = _context_value(value)
    request: dict[str, Any] = {
        "principal": args.principal,
        "action": args.action,
        "resource": args.resource,
        "context": context,
    }
    if args.resource_account:
        request["resourceAccount"] = args.resource_account
    if args.source_arn or args.source_account:
        source = {"arn": args.source_arn, "account": args.source_account}
        request["source"] = {k: v for k, v in source.items() if v}
    policies: dict[str, Any] = {}
    member = POLICY_MEMBERS[args.policy_type]
    for path in args.policy:
        document = _read_policy_file(path)
        if member in ("identity", "permissionBoundary"):
            policies.setdefault(member, []).append(document)
        elif member in ("scps", "rcps"):
            policies.setdefault(member, [[]])[0].append(document)
        else:
            policies[member] = document
    case: dict[str, Any] = {"id": "request", "request": request, "policies": policies}
    if args.expect:
        case["expect"] = args.expect
    return RawCase(1, None, case)


def _read_policy_file(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read policy: {exc}") from None
    try:
        return parse_json(text).value
    except JsonSyntaxError as exc:
        raise UsageError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None


_worker_runner: Runner | None = None
PARALLEL_THRESHOLD = 2000
"""Below this many cases a worker pool costs more than it saves."""
BATCH_LINES = 256
IN_FLIGHT_PER_WORKER = 8


def _init_worker(runner: Runner) -> None:
    global _worker_runner
    _worker_runner = runner


def _work_batch(batch: list[tuple[int, int, str]]) -> list[tuple[str, bool, bool, str | None]]:
    """Evaluate a batch of raw case lines in a worker: decode, run, encode."""
    assert _worker_runner is not None
    out = []
    for number, line_no, text in batch:
        result = _worker_runner.run(case_from_line(number, line_no, text))
        message = _mismatch_message(result) if result.mismatch else None
        out.append(
            (
                _json_line(result, _worker_runner.explain),
                result.mismatch,
                result.decision is None,
                message,
            )
        )
    return out


def _json_line(result: CaseResult, explain: bool) -> str:
    return orjson.dumps(result.to_json(explain)).decode()


def _mismatch_message(result: CaseResult) -> str:
    got = result.decision.decision.value if result.decision else f"error ({result.error})"
    return f"mismatch: case {result.id!r}: expected {result.expect}, got {got}\n"


def run_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    options = _parse_options(args.assume)
    org: OrgModel | None = None
    if args.org:
        try:
            org = load_org(args.org)
        except OrgModelError as exc:
            err.write(f"error: {exc}\n")
            return EXIT_USAGE
    runner = Runner(org=org, options=options, explain=args.explain, lint=args.lint)
    closer: TextIO | None = None
    if args.cases and (args.policy or args.principal):
        raise UsageError("give either a case file or a single request, not both")
    if args.cases and args.format == "jsonl" and args.jobs != 1 and is_jsonl(args.cases):
        lines, closer = open_case_lines(args.cases)
        try:
            return _run_lines(args, runner, lines, out, err)
        finally:
            if closer is not None:
                closer.close()
    if args.cases:
        cases, closer = open_cases(args.cases)
    else:
        cases = iter([_single_case(args)])
    try:
        return _run_cases(args, runner, cases, out, err)
    finally:
        if closer is not None:
            closer.close()


def _run_cases(
    args: argparse.Namespace, runner: Runner, cases: Iterator[RawCase], out: TextIO, err: TextIO
) -> int:
    total = invalid = mismatches = 0
    if args.format == "text":
        console = Console(file=out, highlight=False, soft_wrap=True)
        for raw in cases:
            result = runner.run(raw)
            total += 1
            invalid += result.decision is None
            mismatches += result.mismatch
            note = raw.data.get("note") if raw.data else None
            render_result(console, result, note if isinstance(note, str) else None)
            if result.mismatch:
                err.write(_mismatch_message(result))
        render_summary(console, total, invalid, mismatches)
    else:
        for raw in cases:
            result = runner.run(raw)
            total += 1
            invalid += result.decision is None
            out.write(_json_line(result, runner.explain) + "\n")
            if result.mismatch:
                mismatches += 1
                err.write(_mismatch_message(result))
    return _exit_code(total, invalid, mismatches, err)


def _run_lines(
    args: argparse.Namespace,
    runner: Runner,
    lines: Iterator[tuple[int, int, str]],
    out: TextIO,
    err: TextIO,
) -> int:
    """JSONL in, JSONL out, on every core: workers decode, evaluate and encode whole batches of
    lines, the main process only moves text. Order is kept; memory stays bounded because at
    most a window of batches is in flight."""
    jobs = args.jobs if args.jobs > 1 else (os.cpu_count() or 1)
    first = list(itertools.islice(lines, PARALLEL_THRESHOLD))
    counts = [0, 0, 0]  # total, invalid, mismatches

    def emit(results: list[tuple[str, bool, bool, str | None]]) -> None:
        for line, mismatch, invalid, message in results:
            out.write(line + "\n")
            counts[0] += 1
            counts[1] += invalid
            counts[2] += mismatch
            if message:
                err.write(message)

    batches = _batches(itertools.chain(first, lines))
    _init_worker(runner)
    if jobs <= 1 or len(first) < PARALLEL_THRESHOLD:
        for batch in batches:
            emit(_work_batch(batch))
    else:
        # The first batch runs here, before forking, so that the lazily loaded AWS data and the
        # caches it warms are shared by every worker instead of being loaded once per worker.
        emit(_work_batch(next(batches)))
        context = multiprocessing.get_context("fork")
        # The pool's feeder thread would read the whole input ahead; the semaphore keeps at most
        # IN_FLIGHT batches between reading and writing, so memory stays flat while the workers
        # never wait for a window to drain.
        in_flight = threading.BoundedSemaphore(jobs * IN_FLIGHT_PER_WORKER)

        def feed() -> Iterator[list[tuple[int, int, str]]]:
            for batch in batches:
                in_flight.acquire()
                yield batch

        with context.Pool(jobs, initializer=_init_worker, initargs=(runner,)) as pool:
            for results in pool.imap(_work_batch, feed()):
                in_flight.release()
                emit(results)
    return _exit_code(counts[0], counts[1], counts[2], err)


def _batches(lines: Iterator[tuple[int, int, str]]) -> Iterator[list[tuple[int, int, str]]]:
    while batch := list(itertools.islice(lines, BATCH_LINES)):
        yield batch


def _exit_code(total: int, invalid: int, mismatches: int, err: TextIO) -> int:
    if total == 0:
        err.write("error: no cases found\n")
        return EXIT_USAGE
    if mismatches:
        err.write(f"{mismatches} of {total} cases differ from their expected decision\n")
        return EXIT_FINDINGS
    return EXIT_INCOMPLETE if invalid else EXIT_OK
