"""Throughput benchmark: deputyguard `simulate` against the iam-simulate oracle, same cases.

Why: users run deputyguard over whole organizations and in pre-commit hooks, so it has to be
much faster than the oracle (target ≥ 10x) and small (peak RSS < 200 MB). Whole processes are
timed, start-up included, because that is what a user waits for; each child's peak RSS comes
from wait4(), and a /proc sampler adds up the process tree for `--jobs` runs. The run also
reports how often the two agree on these cases, so a fast but wrong engine is visible.

Usage: python -m benchmarks.engine [--cases N] [--jobs J] [--seed S]     (make bench)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import generate_cases

BENCH_DIR = generate_cases.REPO_ROOT / "build" / "bench"
TARGET_RATIO = 10.0
TARGET_RSS_MB = 200.0


@dataclass
class Run:
    """One timed child process and what it printed."""

    label: str
    cmd: list[str]
    wall: float = 0.0
    max_rss_kb: int = 0  # largest single process (wait4: the child and its reaped children)
    tree_rss_kb: int = 0  # largest sum over the live process tree (sampled)
    returncode: int = 0
    stderr: str = ""
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def decided(self) -> int:
        return sum(1 for r in self.results.values() if r.get("decision") is not None)


class _TreeSampler(threading.Thread):
    """Polls /proc for the summed RSS of a process and its descendants (workers of --jobs)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total = sum(_rss_kb(p) for p in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=1)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            pass
    return out


def measure(label: str, cmd: list[str], out_path: Path) -> Run:
    """Run `cmd` with stdout to `out_path`; wall time and peak RSS of the whole process."""
    run = Run(label, cmd)
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=generate_cases.REPO_ROOT)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        run.wall = time.perf_counter() - start
        sampler.stop()
        proc.returncode = run.returncode = os.waitstatus_to_exitcode(status)
        run.max_rss_kb = int(usage.ru_maxrss)  # kilobytes on Linux
        run.tree_rss_kb = max(sampler.peak_kb, run.max_rss_kb)
        err.seek(0)
        run.stderr = err.read().decode("utf-8", "replace")
    casegen = generate_cases.load_casegen()
    run.results = casegen.parse_results(out_path.read_text(encoding="utf-8", errors="replace"))
    return run


def supports_jobs() -> bool:
    """Whether this deputyguard's `simulate` has a --jobs option (per its --help)."""
    casegen = generate_cases.load_casegen()
    try:
        proc = subprocess.run(
            [*casegen.deputyguard_prefix(), "simulate", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--jobs" in proc.stdout


def _fmt_rate(run: Run, n: int) -> str:
    return f"{n / run.wall:,.0f}" if run.wall > 0 and run.results else "-"


def _table(runs: Sequence[Run], n: int) -> str:
    head = f"{'engine':<34} {'wall s':>8} {'decisions/s':>12} {'peak RSS MB':>12} {'tree MB':>8}"
    head += f" {'decided':>8} {'exit':>5}"
    lines = [head, "-" * len(head)]
    for r in runs:
        lines.append(
            f"{r.label:<34} {r.wall:>8.2f} {_fmt_rate(r, n):>12} {r.max_rss_kb / 1024:>12.1f} "
            f"{r.tree_rss_kb / 1024:>8.1f} {r.decided():>8} {r.returncode:>5}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark deputyguard simulate against the oracle.")
    ap.add_argument("--cases", type=int, default=generate_cases.DEFAULT_CASES)
    ap.add_argument("--jobs", type=int, default=2, help="also run with --jobs J if supported")
    ap.add_argument("--seed", type=int, default=generate_cases.DEFAULT_SEED)
    args = ap.parse_args(argv)
    if args.cases < 1:
        ap.error("--cases must be ≥ 1")
    casegen = generate_cases.load_casegen()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    cases_path = BENCH_DIR / "cases.jsonl"
    t0 = time.perf_counter()
    cases = generate_cases.write(args.cases, cases_path, args.seed)
    n = len(cases)
    print(
        f"{n:,} cases (seed {args.seed}, no known divergences) -> {cases_path} "
        f"[{time.perf_counter() - t0:.1f} s]"
    )

    runs: list[Run] = []
    oracle_run: Run | None = None
    problem = casegen.oracle_problem()
    if problem is None:
        oracle_run = measure(
            "oracle (node, iam-simulate)",
            casegen.oracle_command(cases_path),
            BENCH_DIR / "oracle.jsonl",
        )
        runs.append(oracle_run)
    else:
        print(f"skipping the oracle half: {problem}")

    dg_runs = [
        measure(
            "deputyguard simulate",
            casegen.deputyguard_command(cases_path),
            BENCH_DIR / "deputyguard.jsonl",
        )
    ]
    if args.jobs > 1 and supports_jobs():
        dg_runs.append(
            measure(
                f"deputyguard simulate --jobs {args.jobs}",
                casegen.deputyguard_command(cases_path, "--jobs", str(args.jobs)),
                BENCH_DIR / f"deputyguard-jobs{args.jobs}.jsonl",
            )
        )
    elif args.jobs > 1:
        print("deputyguard simulate has no --jobs option: single-process run only")
    runs += dg_runs

    print()
    print(_table(runs, n))
    print()
    for r in runs:
        if r.returncode not in (0, 1, 3) or not r.results:
            tail = r.stderr.strip().splitlines()[-5:]
            print(f"!! {r.label} exited {r.returncode}: " + " | ".join(tail))

    best = min((r for r in dg_runs if r.results), key=lambda r: r.wall, default=None)
    if oracle_run is not None and best is not None and best.wall > 0:
        ratio = oracle_run.wall / best.wall
        verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
        print(
            f"speed-up ({best.label} vs oracle): {ratio:.1f}x "
            f"(target ≥ {TARGET_RATIO:.0f}x) {verdict}"
        )
    for r in (r for r in dg_runs if r.results):
        mb = max(r.max_rss_kb, r.tree_rss_kb) / 1024
        verdict = "ok" if mb < TARGET_RSS_MB else "OVER TARGET"
        print(f"peak memory ({r.label}): {mb:.1f} MB (target < {TARGET_RSS_MB:.0f} MB) {verdict}")
    if oracle_run is not None and dg_runs[0].results:
        cmp = casegen.compare(cases, oracle_run.results, dg_runs[0].results)
        print(cmp.summary())
        if cmp.disagreements:
            print(cmp.report(limit=5))
    if len(dg_runs) > 1 and dg_runs[1].results:
        same = sum(
            1
            for k, v in dg_runs[0].results.items()
            if dg_runs[1].results.get(k, {}).get("decision") == v.get("decision")
        )
        print(f"--jobs {args.jobs} output matches the single-process run on {same:,}/{n:,} cases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
