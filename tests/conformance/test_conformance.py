"""Score the verifier CLI on the shared public conformance corpus with the shared harness."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("VAXCERT_SHARED", ROOT.parent / "shared"))
HARNESS = SHARED / "conformance" / "dcc_conformance.py"
CORPUS = SHARED / "conformance" / "dgc-testdata" / "public.jsonl"

pytestmark = pytest.mark.skipif(
    not HARNESS.exists() and not os.environ.get("CI"), reason="shared/ is not beside the checkout"
)


def expected_failures() -> dict[str, str]:
    entries = {}
    for line in (Path(__file__).parent / "expected_failures.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            case_id, _, reason = line.partition("  ")
            assert reason.strip(), f"expected failure {case_id} needs a reason"
            entries[case_id.strip()] = reason.strip()
    return entries


def test_public_corpus(tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    verifier = f"{shlex.quote(sys.executable)} -m verifier_cli"
    result = subprocess.run(
        [sys.executable, str(HARNESS), str(CORPUS), "--verifier", verifier, "--jobs", "3",
         "--min-pass", "0", "--report", str(report), "--show-failures", "50"],
        capture_output=True, text=True, timeout=1800, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cases = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 400
    failing = {case["id"] for case in cases if not case["passed"]}
    expected = set(expected_failures())
    assert failing - expected == set(), "unexpected failures:\n" + result.stdout[-4000:]
    assert expected - failing == set(), "listed as expected failures but now pass; remove them"
