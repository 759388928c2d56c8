"""What the Terraform reader tests share: the fixture folder, the owner they read with, and how
they name files and find positions (each test module imports these instead of its own copy)."""

from __future__ import annotations

from pathlib import Path

from deputyguard.sources.policy_files import PolicySource

ROOT = Path(__file__).parents[1] / "data" / "terraform"
OWNER = "111122223333"


def shown(path: Path) -> str:
    """A fixture path as the reader shows it: relative to the fixture folder."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def module(tmp_path: Path, **files: str) -> Path:
    """A module folder with `files` (`sub__x.tf` is `sub/x.tf`)."""
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def at(source: PolicySource, relative: str) -> tuple[int, int]:
    """Line and column the reader gives for a pointer below the policy."""
    position = source.positions[source.pointer + relative]
    return position.line, position.column


def where(path: Path, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """Line and column of the `occurrence`-th `needle` in a file."""
    text = path.read_text(encoding="utf-8")
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def statement_lines(source: PolicySource) -> list[int]:
    """The line of each statement of the policy."""
    statements = source.document["Statement"]  # type: ignore[index]
    return [at(source, f"/Statement/{i}")[0] for i in range(len(statements))]
