"""Our own published vectors (spec/vectors/vectors.json) verify exactly as documented."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import VECTORS, load_vector_file
from vaxcert import TrustStore, verify

CASES: list[dict[str, Any]] = load_vector_file("vectors.json")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_vector(case: dict[str, Any]) -> None:
    trust = TrustStore.from_files(VECTORS / "keys" / name for name in case["trust"])
    report = verify(case["hc1"], trust, at=datetime.fromisoformat(case["at"]))
    assert report.valid == case["expected"]["valid"], report.failures
    for check, expected in case["expected"]["checks"].items():
        assert report.checks[check] == expected, (check, report.outcome(check))
    assert json.loads(json.dumps(report.to_json()))["valid"] == case["expected"]["valid"]  # printable as JSON


def test_vector_set_covers_every_type_and_both_algorithms() -> None:
    ids = {case["id"] for case in CASES}
    assert {"es256-v-valid", "es256-t-valid", "es256-r-valid", "ps256-t-valid"} <= ids
    assert sum(1 for case in CASES if case["id"].startswith("forged-")) >= 4


def test_stage_error_vectors_are_what_their_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("stage_errors", VECTORS / "stage_errors.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert load_vector_file("stage-errors.json") == generator.vectors()
