"""Every request vector of spec §9 (shared/spec/vectors.jsonl), run through the engine.

DOC and DERIVED vectors must give the documented decision; the two UNCONFIRMED ones (#47, #65)
are pinned to the engine option that decides them, in both settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deputyguard.engine.options import EngineOptions, ShortArn, UnqualifiedMultivalued
from deputyguard.simulate.cases import RawCase
from deputyguard.simulate.runner import Runner

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "vectors.jsonl"


def _load() -> list[dict[str, Any]]:
    if not VECTORS.is_file():
        return []
    return [json.loads(line) for line in VECTORS.read_text().splitlines() if line.strip()]


def _request_cases() -> list[Any]:
    cases = []
    for vector in _load():
        if vector.get("kind") == "validation" or vector.get("expect") is None:
            continue
        cases.append(pytest.param(vector, id=vector["id"]))
        for n, variant in enumerate(vector.get("variants", [])):
            merged = {**vector, **{k: v for k, v in variant.items() if k != "label"}}
            merged["id"] = f"{vector['id']}/variant{n}"
            cases.append(pytest.param(merged, id=merged["id"]))
    return cases


def _run(vector: dict[str, Any], options: EngineOptions | None = None) -> Any:
    runner = Runner(options=options or EngineOptions(), lint=True)
    return runner.run(RawCase(1, None, vector))


@pytest.mark.skipif(not VECTORS.is_file(), reason=f"spec vectors not found at {VECTORS}")
@pytest.mark.parametrize("vector", _request_cases())
def test_request_vector(vector: dict[str, Any]) -> None:
    result = _run(vector)
    assert result.error is None, result.error
    assert result.decision is not None
    assert result.decision.decision.value == vector["expect"], vector.get("note")
    for code in vector.get("expect_warnings", []):
        assert any(f": {code}: " in w for w in result.warnings), (code, result.warnings)


def _vector(prefix: str) -> dict[str, Any]:
    found = [v for v in _load() if v["id"].startswith(prefix)]
    if not found:
        pytest.skip(f"vector {prefix} not found")
    return found[0]


def test_unconfirmed_47_short_arn_is_an_option() -> None:
    vector = _vector("v47-")
    assert _run(vector).decision.decision.value == "ImplicitlyDenied"
    padded = EngineOptions(short_arn=ShortArn.PAD_EMPTY)
    assert _run(vector, padded).decision.decision.value == "Allowed"


def test_unconfirmed_65_unqualified_multivalued_is_an_option() -> None:
    vector = _vector("v65-")
    result = _run(vector)
    assert result.decision.decision.value == "ImplicitlyDenied"
    assert any(": MISSING_QUALIFIER: " in w for w in result.warnings)
    any_value = EngineOptions(unqualified_multivalued=UnqualifiedMultivalued.ANY_VALUE)
    assert _run(vector, any_value).decision.decision.value == "Allowed"


def test_vector_file_has_all_rows() -> None:
    vectors = _load()
    if not vectors:
        pytest.skip("spec vectors not found")
    assert len(vectors) == 120
