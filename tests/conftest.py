"""Shared test helpers: where the sibling `shared/` reference material lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference material not found at {SHARED} (clone with shared/ beside it)")
    return SHARED


def _hypothesis_profiles() -> None:
    """CI runs the property tests with a fixed seed so a submission's result is reproducible;
    locally they explore new examples every run."""
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


_hypothesis_profiles()
