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


def test_compiled_build_lists_existing_modules_only() -> None:
    """setup.py's mypyc list names real modules (a renamed file would silently stay
    interpreted, or break the compiled build)."""
    import ast

    tree = ast.parse((PACKAGE.parents[1] / "setup.py").read_text())
    listed = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "COMPILED_MODULES" for t in node.targets)
    )
    paths = [ast.literal_eval(element) for element in listed.elts]  # type: ignore[attr-defined]
    assert paths and all((PACKAGE.parents[1] / p).is_file() for p in paths)


def test_the_compiled_build_is_the_one_under_test() -> None:
    """`make test-compiled` runs every test against the mypyc build: make sure it is loaded."""
    import os

    import pytest

    if os.environ.get("DEPUTYGUARD_EXPECT_COMPILED") != "1":
        pytest.skip("interpreted run; `make test-compiled` checks the compiled build")
    from deputyguard.engine import evaluate
    from deputyguard.policy import parse

    assert Path(parse.__file__).suffix == ".so"
    assert Path(evaluate.__file__).suffix == ".so"
