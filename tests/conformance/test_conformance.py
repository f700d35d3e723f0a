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
MULTIFORMAT_HARNESS = SHARED / "conformance" / "multiformat_conformance.py"
MULTIFORMAT_CORPUS = SHARED / "conformance" / "multiformat" / "public.jsonl"

pytestmark = pytest.mark.skipif(
    not HARNESS.exists() and not os.environ.get("CI"), reason="shared/ is not beside the checkout"
)


def expected_failures(name: str = "expected_failures.txt") -> dict[str, str]:
    entries = {}
    for line in (Path(__file__).parent / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            case_id, _, reason = line.partition("  ")
            assert reason.strip(), f"expected failure {case_id} needs a reason"
            entries[case_id.strip()] = reason.strip()
    return entries


def _score(
    verifier: str, report: Path, *options: str, harness: Path = HARNESS, corpus: Path = CORPUS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(harness),
            str(corpus),
            "--verifier",
            verifier,
            "--jobs",
            "3",
            "--min-pass",
            "0",
            "--report",
            str(report),
            "--show-failures",
            "50",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=ROOT,
    )


def test_public_corpus(tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    result = _score(f"{shlex.quote(sys.executable)} -m verifier_cli", report)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cases = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 400
    failing = {case["id"] for case in cases if not case["passed"]}
    expected = set(expected_failures())
    assert failing - expected == set(), "unexpected failures:\n" + result.stdout[-4000:]
    assert expected - failing == set(), "listed as expected failures but now pass; remove them"


def test_multiformat_public_corpus(tmp_path: Path) -> None:
    """HCERT, SMART Health Cards, ICAO VDS-NC and DIVOC through one command, scored by the corpus's harness."""
    report = tmp_path / "report.jsonl"
    result = _score(
        f"{shlex.quote(sys.executable)} -m verifier_cli",
        report,
        harness=MULTIFORMAT_HARNESS,
        corpus=MULTIFORMAT_CORPUS,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cases = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 120
    failing = {case["id"] for case in cases if not case["passed"]}
    expected = set(expected_failures("multiformat_expected_failures.txt"))
    assert failing - expected == set(), "unexpected failures:\n" + result.stdout[-4000:]
    assert expected - failing == set(), "listed as expected failures but now pass; remove them"


def test_public_corpus_through_a_signed_trust_list_only(tmp_path: Path) -> None:
    """The same cases, trusting nothing but a signed list built from the corpus DSCs."""
    import base64
    from datetime import UTC, datetime

    from vaxcert import PemSigner, trustlist
    from vaxcert.pki import create_csca
    from vaxcert.trust import DocumentSignerCertificate

    entries = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        der = base64.b64decode(case["dsc"])
        dsc = DocumentSignerCertificate.from_der(der)
        entries.setdefault(
            der, trustlist.TrustListEntry.for_certificate(case.get("country") or dsc.country or "XX", dsc)
        )
    anchor = create_csca(common_name="conformance trust list signer")
    (tmp_path / "anchor.pem").write_bytes(anchor.certificate_pem())
    (tmp_path / "anchor-key.pem").write_bytes(anchor.private_key_pem())
    signer = PemSigner.from_files(tmp_path / "anchor-key.pem", tmp_path / "anchor.pem")
    content = trustlist.build(
        entries.values(),
        sequence=1,
        issued_at=datetime(2020, 1, 1, tzinfo=UTC),
        next_update=datetime(2099, 1, 1, tzinfo=UTC),
    )
    (tmp_path / "list.cose").write_bytes(trustlist.sign(content, signer))
    wrapper = Path(__file__).with_name("trust_list_verifier.py")
    verifier = " ".join(
        shlex.quote(part)
        for part in (
            sys.executable,
            str(wrapper),
            str(tmp_path / "list.cose"),
            str(tmp_path / "anchor.pem"),
            "--",
        )
    )
    report = tmp_path / "report.jsonl"
    result = _score(verifier, report, "--no-images")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cases = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    # With --no-images, a case whose only expectation is about the picture scores nothing.
    failing = {case["id"] for case in cases if not case["passed"] and case["keys"]}
    assert failing == set(expected_failures()), "unexpected result:\n" + result.stdout[-4000:]
