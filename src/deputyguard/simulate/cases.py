"""Reading simulate case files: JSON Lines (streamed) or YAML (a list, or a stream of documents).

A line or document that cannot be read becomes a `RawCase` carrying the error, so one bad case
never stops the others.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson
import yaml

MAX_LINE_BYTES = 8 * 1024 * 1024
"""A case line larger than this is refused (a bucket policy is at most 20 KB, S37)."""


@dataclass(frozen=True, slots=True)
class RawCase:
    number: int
    """1-based position of the case in the file."""
    line: int | None
    data: dict[str, Any] | None
    error: str | None = None

    @property
    def id(self) -> Any:
        if self.data is not None and "id" in self.data:
            return self.data["id"]
        return f"case-{self.number}"


class CaseFileError(ValueError):
    """The case file as a whole cannot be read (missing, unreadable, not YAML at all)."""


def _decode_line(text: str) -> tuple[Any, str | None]:
    try:
        return orjson.loads(text), None
    except orjson.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON: nesting too deep"


def _as_case(number: int, line: int | None, value: Any, error: str | None) -> RawCase:
    if error is not None:
        return RawCase(number, line, None, error)
    if not isinstance(value, dict):
        return RawCase(number, line, None, "a case is a JSON object")
    return RawCase(number, line, value)


def jsonl_lines(stream: TextIO) -> Iterator[tuple[int, int, str]]:
    """(case number, line number, text) of each case line; blank and '#' lines are skipped."""
    number = 0
    for line_no, line in enumerate(stream, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        number += 1
        yield number, line_no, text


def case_from_line(number: int, line_no: int, text: str) -> RawCase:
    if len(text) > MAX_LINE_BYTES:
        return RawCase(number, line_no, None, f"case line larger than {MAX_LINE_BYTES} bytes")
    value, error = _decode_line(text)
    return _as_case(number, line_no, value, error)


def read_jsonl(stream: TextIO) -> Iterator[RawCase]:
    for number, line_no, text in jsonl_lines(stream):
        yield case_from_line(number, line_no, text)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader; YAML 1.1 booleans like `yes` stay strings only if quoted, as usual."""


def read_yaml(stream: TextIO) -> Iterator[RawCase]:
    """A YAML list of cases, or one case per document (`---`), streamed document by document."""
    number = 0
    constructor = _LineLoader("")  # builds one case at a time from its node
    try:
        for node in yaml.compose_all(stream, Loader=_LineLoader):
            if node is None:
                continue
            items = node.value if isinstance(node, yaml.SequenceNode) else [node]
            for item in items:
                number += 1
                line = item.start_mark.line + 1
                try:
                    value = constructor.construct_document(item)
                except (yaml.YAMLError, RecursionError) as exc:
                    yield RawCase(number, line, None, f"invalid YAML: {exc}")
                    continue
                yield _as_case(number, line, value, None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        yield RawCase(number + 1, None, None, f"invalid YAML{where}: {problem}")
    except RecursionError:
        yield RawCase(number + 1, None, None, "invalid YAML: nesting too deep")


def is_jsonl(path: str) -> bool:
    """Whether the file holds one case per line (so lines can be handed to worker processes)."""
    if path == "-":
        return True
    file = Path(path)
    if file.suffix.lower() in (".yaml", ".yml") or not file.is_file():
        return False
    try:
        with file.open(encoding="utf-8", errors="replace") as stream:
            head = stream.read(4096).lstrip()
    except OSError:
        return False
    return not head.startswith("[")


def open_cases(path: str) -> tuple[Iterator[RawCase], TextIO | None]:
    """Open a case file (or '-' for stdin) and return its case iterator."""
    if path == "-":
        return read_jsonl(sys.stdin), None
    file = Path(path)
    if not file.is_file():
        raise CaseFileError(f"{path}: no such file")
    try:
        stream = file.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CaseFileError(f"{path}: {exc.strerror}") from exc
    if file.suffix.lower() in (".yaml", ".yml"):
        return read_yaml(stream), stream
    return _read_json_or_jsonl(stream), stream


def _read_json_or_jsonl(stream: TextIO) -> Iterator[RawCase]:
    first = stream.read(1)
    while first and first.isspace():
        first = stream.read(1)
    if first == "[":
        try:
            value = json.loads("[" + stream.read())
        except (json.JSONDecodeError, RecursionError) as exc:
            yield RawCase(1, None, None, f"invalid JSON array of cases: {exc}")
            return
        for number, item in enumerate(value, 1):
            yield _as_case(number, None, item, None)
        return
    stream.seek(0)
    yield from read_jsonl(stream)


def open_case_lines(path: str) -> tuple[Iterator[tuple[int, int, str]], TextIO | None]:
    """The raw case lines of a JSONL file (or stdin), for parallel evaluation."""
    if path == "-":
        return jsonl_lines(sys.stdin), None
    try:
        stream = Path(path).open(encoding="utf-8", errors="replace")  # noqa: SIM115 (caller closes)
    except OSError as exc:
        raise CaseFileError(f"{path}: {exc.strerror}") from exc
    return jsonl_lines(stream), stream
