"""Every package directory has an `__init__.py`: setuptools' package discovery skips directories
without one, so a built wheel would silently lack them (editable installs hide the problem)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "deputyguard"


def test_every_package_directory_is_a_regular_package() -> None:
    missing = [
        str(d.relative_to(PACKAGE))
        for d in PACKAGE.rglob("*")
        if d.is_dir()
        and d.name != "__pycache__"
        and any(d.glob("*.py"))
        and not (d / "__init__.py").is_file()
    ]
    assert missing == []


def test_data_files_are_declared_as_package_data() -> None:
    pyproject = (PACKAGE.parents[1] / "pyproject.toml").read_text()
    assert '"awsdata/data/*.json"' in pyproject
    assert list((PACKAGE / "awsdata" / "data").glob("*.json"))
