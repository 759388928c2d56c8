"""Benchmark `deputyguard check` on 10,000 generated policies (not a test).

    python -m benchmarks.check [--policies N]

Policies are the analyzer corpus (tests/analysis/corpus) varied by resource names, Sids and
source accounts, written to build/bench/check-policies/. The whole `check` process is timed with
its peak memory. Target (issue 4): 10,000 policies in under 30 s on 2 cores, under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engine import timed_process

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "tests" / "analysis" / "corpus"
OUT = REPO_ROOT / "build" / "bench"
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 500.0


def _variants(n: int) -> list[tuple[str, str]]:
    """(file name, JSON text) of `n` resource-policy variants of the corpus."""
    expected = json.loads(json.dumps(_load_expected()))
    files = [c["file"] for c in expected["cases"] if c.get("policy_type", "resource") == "resource"]
    texts = [(CORPUS / f).read_text() for f in files]
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        variant = text.replace("example-bucket", f"bucket-{i:05d}").replace(
            "alerts-topic", f"topic-{i:05d}"
        )
        if i % 7 == 3:
            variant = variant.replace("999988887777", f"9999{i:08d}"[:12])
        out.append((f"{i // 1000:02d}/policy-{i:05d}.json", variant))
    return out


def _load_expected() -> dict[str, Any]:
    import yaml

    data = yaml.safe_load((CORPUS / "expected.yaml").read_text())
    assert isinstance(data, dict)
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    args = parser.parse_args(argv)
    target = OUT / "check-policies"
    shutil.rmtree(target, ignore_errors=True)
    for name, text in _variants(args.policies):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    report_path = OUT / "check-report.json"
    cmd = [
        sys.executable,
        "-m",
        "deputyguard",
        "check",
        str(target),
        "--org",
        str(CORPUS / "org.yaml"),
        "--account",
        "111122223333",
        "--format",
        "json",
        "--output",
        str(report_path),
    ]
    timed = timed_process(cmd, REPO_ROOT)
    code, wall, peak_kb, tree_kb = timed.code, timed.wall, timed.peak_kb, timed.tree_kb
    report = json.loads(report_path.read_text())
    verdicts = Counter(v["verdict"] for v in report["verdicts"])
    n = len(report["verdicts"])
    print(
        f"deputyguard check: {n:,} policies in {wall:.2f} s = {n / wall:,.0f} policies/s "
        f"(exit {code})"
    )
    print(
        f"peak RSS {peak_kb / 1024:.1f} MB (largest process), {tree_kb / 1024:.1f} MB summed "
        "over the process tree"
    )
    print(f"verdicts: {dict(verdicts)}; errors: {len(report['errors'])}")
    ok_time = wall < TARGET_SECONDS
    ok_mem = tree_kb / 1024 < TARGET_RSS_MB
    print(
        f"target < {TARGET_SECONDS:.0f} s: {'ok' if ok_time else 'MISSED'}; "
        f"memory < {TARGET_RSS_MB:.0f} MB: {'ok' if ok_mem else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
