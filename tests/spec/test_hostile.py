"""The hostile vectors (spec/vectors/hostile.json) fail fast, small and typed, in the library and the CLI."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS, load_vector_file
from vaxcert import TrustStore, verify

CASES: list[dict[str, Any]] = load_vector_file("hostile.json")["hostile"]
# Generous for a noisy shared CI machine; measured: at most 10-20 ms and 4.4 MB (v-60000-maps), the rest < 1 ms.
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 50 * 1024 * 1024


def test_hostile_vectors_are_what_their_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("hostile", VECTORS / "hostile.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert load_vector_file("hostile.json") == generator.vectors()


def test_hostile_vectors_cover_the_reported_shapes() -> None:
    ids = {case["id"] for case in CASES}
    assert {"shared-refs-22", "self-reference", "v-60000-maps", "deep-payload", "zlib-bomb", "stringrefs"} <= ids
    assert any(case["id"].startswith("declared-") for case in CASES)
    assert any(case["id"].startswith("unknown-tag") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_hostile_vector_fails_typed_fast_and_small(case: dict[str, Any]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = verify(case["hc1"], TrustStore())
        printed = json.dumps(report.to_json())
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not report.valid
    outcome = report.outcome(case["stage"])
    assert outcome.passed is False and outcome.code == case["code"], outcome
    assert report.stage == case["stage"] or report.outcome(report.stage).passed is False
    assert json.loads(printed)["errors"][case["stage"]]["code"] == case["code"]
    assert elapsed < MAX_SECONDS, f"{case['id']} took {elapsed:.3f} s"
    assert peak < MAX_PEAK_BYTES, f"{case['id']} peaked at {peak / 1e6:.1f} MB"


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verifier_cli", "verify", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_batch_reports_every_hostile_line_and_goes_on(tmp_path: Path) -> None:
    batch = tmp_path / "hostile.txt"
    batch.write_text("\n".join(case["hc1"] for case in CASES) + "\n", encoding="utf-8")
    result = _cli("--batch", str(batch))
    assert result.returncode == 1, result.stderr  # every code invalid; no signal, no crash
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(CASES)
    for case, line in zip(CASES, lines, strict=True):
        assert json.loads(line)["errors"][case["stage"]]["code"] == case["code"], case["id"]


@pytest.mark.parametrize("case_id", ["shared-refs-26", "self-reference", "v-60000-maps"])
@pytest.mark.parametrize("as_json", [True, False])
def test_cli_single_hostile_code(case_id: str, as_json: bool) -> None:
    case = next(case for case in CASES if case["id"] == case_id)
    result = _cli(*(["--json"] if as_json else []), "--no-color", "--", case["hc1"])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    if as_json:
        assert json.loads(result.stdout)["errors"][case["stage"]]["code"] == case["code"]
    else:
        assert f"[{case['code']}]" in result.stdout
