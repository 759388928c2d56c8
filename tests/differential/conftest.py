"""Fixtures for the differential tests against the iam-simulate oracle.

Why: the oracle is an optional, test-only npm install (AGPL, never vendored). Where Node or
build/oracle is missing, the oracle tests skip with a reason a developer can act on instead of
failing; the tests that only read the recorded oracle results still run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# casegen sits beside this file; make it importable under any pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import casegen


@pytest.fixture(scope="session")
def oracle_ready() -> None:
    """Skip (visibly) when node or build/oracle/node_modules is missing."""
    problem = casegen.oracle_problem()
    if problem is not None:
        pytest.skip(problem)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared directory (sibling of the repo) with the oracle's sample cases."""
    cases = casegen.SHARED_DIR / "oracle" / "cases" / "confused_deputy.jsonl"
    if not cases.is_file():
        pytest.skip(f"shared oracle cases not found at {cases} (set DEPUTYGUARD_SHARED)")
    return casegen.SHARED_DIR
