"""Generate the benchmark's cases: the differential generator's, minus every known divergence.

Why: the benchmark times both simulators on the same input and reports their agreement; only
cases on which AWS, deputyguard and the oracle should all agree make that figure meaningful.

Usage: python -m benchmarks.generate_cases [--cases N] [--seed S] [--out PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CASEGEN_PATH = REPO_ROOT / "tests" / "differential" / "casegen.py"
DEFAULT_OUT = REPO_ROOT / "build" / "bench" / "cases.jsonl"
DEFAULT_CASES = 20_000
DEFAULT_SEED = 7


def load_casegen() -> ModuleType:
    """Import tests/differential/casegen.py by path (tests/ is not a package)."""
    module = sys.modules.get("casegen")
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location("casegen", CASEGEN_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {CASEGEN_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["casegen"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def generate(n: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """`n` cases, none of them inside a known oracle divergence."""
    cases: list[dict[str, Any]] = load_casegen().generate(seed, n, divergent_share=0.0)
    return cases


def write(n: int, out: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Generate `n` cases into `out` (JSON Lines) and return them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cases = generate(n, seed)
    load_casegen().write_jsonl(cases, out)
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the benchmark cases.")
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES, help="number of cases (≥ 1)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if args.cases < 1:
        ap.error("--cases must be ≥ 1")
    cases = write(args.cases, args.out, args.seed)
    print(f"wrote {len(cases)} cases to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
