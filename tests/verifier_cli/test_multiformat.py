"""`vaxcert-verify verify` on every format: trust from the command line and from a signed format-2 trust list."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.support.multiformat_corpus import CORPUS_DIR, CorpusCase, corpus_cases
from trust_list.cli import main as trust_main
from verifier_cli.main import BATCH_CHUNK_LINES, EXIT_USAGE, main

pytestmark = pytest.mark.skipif(not CORPUS_DIR.exists(), reason="shared/ is not beside the checkout")
REGISTRY = CORPUS_DIR / "trust" / "synthetic-registry.json"
JWKS = CORPUS_DIR / "trust" / "synthetic-shc-jwks.json"
LISTED = ("synthetic/shc/valid", "synthetic/divoc/valid-rsa", "synthetic/icao/valid-registry")


def run(*args: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    status = main(["verify", "--json", *args], stdout=out)
    return status, json.loads(out.getvalue())


def scanned(case: CorpusCase, tmp_path: Path) -> list[str]:
    if case.qr_file is not None:
        return ["--qr-file", str(case.qr_file)]
    return ["--", *case.qr]


@pytest.fixture(scope="module")
def signed_list(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("list")
    assert trust_main(["pki", "create-anchor", "--out-dir", str(folder)], stdout=io.StringIO()) == 0
    status = trust_main(
        [
            "build",
            "--out",
            str(folder / "list.cose"),
            "--sequence",
            "1",
            "--registry",
            str(REGISTRY),
            "--jwks",
            str(JWKS),
            "--signer-key",
            str(folder / "anchor-key.pem"),
            "--signer-cert",
            str(folder / "anchor.pem"),
        ],
        stdout=io.StringIO(),
    )
    assert status == 0
    return folder / "list.cose", folder / "anchor.pem"


@pytest.mark.parametrize("case", [c for c in corpus_cases() if c.id in LISTED], ids=lambda c: c.id)
def test_other_formats_verify_through_the_signed_list_alone(
    case: CorpusCase, signed_list: tuple[Path, Path], tmp_path: Path
) -> None:
    trust_list, anchor = signed_list
    at = case.at.isoformat()
    status, document = run(
        "--at", at, "--trust-list", str(trust_list), "--anchor", str(anchor), *scanned(case, tmp_path)
    )
    assert status == 0 and document["status"] == "verified" and document["format"] == case.format, document
    status, document = run("--at", at, *scanned(case, tmp_path))
    assert status == 1 and document["status"] == "issuer_not_trusted"


def test_a_stale_list_trusts_no_other_framework(
    signed_list: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trust_list, anchor = signed_list
    case = next(c for c in corpus_cases("shc") if c.id == "synthetic/shc/valid")
    status, document = run(
        "--at", "2099-01-01T00:00:00Z", "--trust-list", str(trust_list), "--anchor", str(anchor), "--", *case.qr
    )
    assert status == 1 and document["status"] == "issuer_not_trusted"
    assert "stale" in capsys.readouterr().err


def test_batch_mixes_formats_one_line_each(tmp_path: Path) -> None:
    cases = [c for c in corpus_cases() if c.qr_file is None and len(c.qr) == 1 and "\n" not in c.qr[0]][:20]
    batch = tmp_path / "batch.txt"
    batch.write_text("".join(case.qr[0] + "\n" for case in cases), encoding="utf-8")
    out = io.StringIO()
    main(["verify", "--batch", str(batch), "--trust-registry", str(REGISTRY), "--trust-jwks", str(JWKS)], stdout=out)
    documents = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [document["format"] for document in documents] == [case.format for case in cases]


def test_chunks_in_any_order_and_a_missing_chunk(tmp_path: Path) -> None:
    case = next(c for c in corpus_cases("shc") if c.id == "synthetic/shc/valid-3-chunks-scan-order")
    args = ("--at", case.at.isoformat(), "--trust-jwks", str(JWKS))
    status, document = run(*args, "--", *reversed(case.qr))
    assert status == 0 and document["status"] == "verified"
    status, document = run(*args, "--", *case.qr[:-1])
    assert status == 1 and document["status"] == "invalid_encoding"


def test_human_verdict_is_vietnamese_first_and_names_the_format() -> None:
    case = next(c for c in corpus_cases("shc") if c.id == "synthetic/shc/valid")
    out = io.StringIO()
    status = main(["verify", "--at", case.at.isoformat(), "--trust-jwks", str(JWKS), "--", *case.qr], stdout=out)
    text = out.getvalue()
    assert status == 0 and text.startswith("HỢP LỆ") and "SMART Health Card" in text and "Định dạng" in text
    out = io.StringIO()
    args = ["verify", "--lang", "en", "--at", case.at.isoformat(), "--trust-jwks", str(JWKS), "--", *case.qr]
    assert main(args, stdout=out) == 0 and out.getvalue().startswith("VALID") and "Format:" in out.getvalue()


def test_a_photo_of_any_format_is_read_and_verified(tmp_path: Path) -> None:
    from vaxcert import qr

    case = next(c for c in corpus_cases("shc") if c.id == "synthetic/shc/valid")
    photo = tmp_path / "card.png"
    photo.write_bytes(qr.encode_png(case.qr[0]))
    status, document = run("--at", case.at.isoformat(), "--trust-jwks", str(JWKS), "--image", str(photo))
    assert status == 0 and document["format"] == "shc" and document["status"] == "verified"
    divoc = next(c for c in corpus_cases("divoc") if c.id == "synthetic/divoc/valid-rsa")
    photo.write_bytes(qr.encode_png(divoc.payload))
    status, document = run("--at", divoc.at.isoformat(), "--trust-registry", str(REGISTRY), "--image", str(photo))
    assert status == 0 and document["format"] == "divoc" and document["status"] == "verified", document


def test_batch_in_processes_prints_what_one_process_prints_in_input_order(tmp_path: Path) -> None:
    cases = [c for c in corpus_cases() if c.qr_file is None and len(c.qr) == 1 and "\n" not in c.qr[0]]
    # More lines than one chunk holds, so several workers answer and their chunks must be put back in order.
    lines = [cases[n % len(cases)].qr[0] for n in range(BATCH_CHUNK_LINES * 3 + 7)]
    lines[BATCH_CHUNK_LINES + 1] = ""  # a blank line is answered too
    batch = tmp_path / "batch.txt"
    batch.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    args = ["verify", "--at", "2025-01-01T00:00:00Z", "--batch", str(batch), "--trust-registry", str(REGISTRY)]
    outputs = {}
    for jobs in ("1", "2", "3"):
        out = io.StringIO()
        outputs[jobs] = (main([*args, "--trust-jwks", str(JWKS), "--jobs", jobs], stdout=out), out.getvalue())
    assert outputs["2"] == outputs["1"] and outputs["3"] == outputs["1"]
    documents = [json.loads(line) for line in outputs["1"][1].splitlines()]
    assert len(documents) == len(lines)
    assert [d["format"] for d in documents[:20]] == [cases[n % len(cases)].format for n in range(20)]


@pytest.mark.parametrize("jobs", ["-1", "x", "257"])
def test_jobs_must_be_a_process_count(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["verify", "--batch", "-", "--jobs", jobs], stdout=io.StringIO())
    assert "--jobs" in capsys.readouterr().err


def test_jobs_apply_to_a_batch_only() -> None:
    out = io.StringIO()
    assert main(["verify", "--jobs", "2", "--", "HC1:XX"], stdout=out) == EXIT_USAGE
