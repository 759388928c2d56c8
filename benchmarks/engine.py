"""Throughput benchmark: deputyguard `simulate` against the iam-simulate oracle, same cases.

Why: users run deputyguard over whole organizations and in pre-commit hooks, so it has to be
much faster than the oracle (target ≥ 10x) and small (peak RSS < 200 MB). Whole processes are
timed, start-up included, because that is what a user waits for; each child's peak RSS comes
from GNU time (or /proc VmHWM), and a /proc sampler adds up the process tree for `--jobs`.
The run also reports how often the two agree on these cases, so a fast but wrong engine shows.

Usage: python -m benchmarks.engine [--cases N] [--jobs J] [--seed S]     (make bench)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
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
    max_rss_kb: int = 0  # peak RSS of the largest single process of the run
    tree_rss_kb: int = 0  # peak of the summed RSS over the live process tree (sampled)
    rss_source: str = ""
    returncode: int = 0
    stderr: str = ""
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def decided(self) -> int:
        return sum(1 for r in self.results.values() if r.get("decision") is not None)


class _TreeSampler(threading.Thread):
    """Polls /proc: summed VmRSS of the tree (workers of --jobs) and each process's VmHWM."""

    def __init__(self, pid: int, skip_root: bool, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.skip_root = skip_root  # the root is the /usr/bin/time wrapper, not the engine
        self.interval = interval
        self.peak_sum_kb = 0
        self.peak_hwm_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids = _tree(self.pid)[1 if self.skip_root else 0 :]
            stats = [_status_kb(p) for p in pids]
            self.peak_sum_kb = max(self.peak_sum_kb, sum(rss for rss, _ in stats))
            self.peak_hwm_kb = max([self.peak_hwm_kb, *(hwm for _, hwm in stats)])
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=1)


def _status_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB; zeros once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def _tree(pid: int) -> list[int]:
    """`pid` first, then its descendants (via /proc/PID/task/TID/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            pass
    return out


@dataclass
class Timed:
    code: int
    wall: float
    peak_kb: int
    """Peak RSS of the largest process (the engine, not a wrapper)."""
    rss_source: str
    tree_kb: int
    """Peak RSS summed over the process tree (workers of --jobs)."""


def timed_process(cmd: list[str], cwd: Path, stdout: Any = None, stderr: Any = None) -> Timed:
    """Run `cmd` to the end with its wall time and peak memory."""
    time_bin = _gnu_time()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        argv = [time_bin, "-f", "%M", "-o", rss_file.name, *cmd] if time_bin else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=cwd)
        sampler = _TreeSampler(proc.pid, skip_root=time_bin is not None)
        sampler.start()
        code = proc.wait()
        wall = time.perf_counter() - start
        sampler.stop()
        measured = rss_file.read().strip().splitlines()
    if time_bin and measured and measured[-1].isdigit():
        peak_kb, source = int(measured[-1]), "GNU time"
    else:
        peak_kb, source = sampler.peak_hwm_kb, "/proc VmHWM"
    return Timed(code, wall, peak_kb, source, max(sampler.peak_sum_kb, peak_kb))


def _gnu_time() -> str | None:
    """/usr/bin/time if it is GNU time (-f/-o): it reports the child's own peak RSS.

    Why not wait4() here: a child forked from this (large) Python process carries the parent's
    RSS high-water mark across exec into ru_maxrss, which inflated small children by ~100 MB.
    """
    path = shutil.which("time", path="/usr/bin:/bin")
    if path is None:
        return None
    try:
        probe = subprocess.run(
            [path, "-f", "%M", "-o", os.devnull, "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if probe.returncode == 0 else None


def measure(label: str, cmd: list[str], out_path: Path) -> Run:
    """Run `cmd` with stdout to `out_path`; wall time and peak RSS of the whole process."""
    run = Run(label, cmd)
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        timed = timed_process(cmd, generate_cases.REPO_ROOT, stdout=out, stderr=err)
        err.seek(0)
        run.stderr = err.read().decode("utf-8", "replace")
    run.returncode, run.wall = timed.code, timed.wall
    run.max_rss_kb, run.rss_source, run.tree_rss_kb = timed.peak_kb, timed.rss_source, timed.tree_kb
    casegen = generate_cases.load_casegen()
    run.results = casegen.parse_results(out_path.read_text(encoding="utf-8", errors="replace"))
    return run


def _build_kind() -> str:
    """Whether this interpreter runs the mypyc-compiled engine (`make compiled`) or sources."""
    from deputyguard.policy import parse

    return "compiled (mypyc)" if Path(parse.__file__).suffix == ".so" else "interpreted"


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
    sources = sorted({r.rss_source for r in runs})
    print(
        f"peak RSS: largest single process ({', '.join(sources)}); tree MB: sampled sum over the "
        "process and its workers; wall time includes start-up"
    )
    print()
    for r in runs:
        if r.returncode not in (0, 1, 3) or not r.results:
            tail = r.stderr.strip().splitlines()[-5:]
            print(f"!! {r.label} exited {r.returncode}: " + " | ".join(tail))

    print(f"deputyguard build: {_build_kind()} ({sys.executable})")
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
