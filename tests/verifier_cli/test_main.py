from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert import PemSigner, issue
from verifier_cli.main import main

CLOCK = "2026-06-01T00:00:00Z"
ISSUED_AT = "2026-05-01T00:00:00+00:00"


@pytest.fixture
def code(signer: PemSigner, vaccination_payload: dict[str, Any]) -> str:
    from datetime import datetime

    return issue(vaccination_payload, signer, issued_at=datetime.fromisoformat(ISSUED_AT)).text


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(args), stdout=out, stdin=io.StringIO(stdin))
    return status, out.getvalue()


def test_json_contract_for_a_valid_code(code: str, pki_dir: Path) -> None:
    status, out = run("verify", "--json", "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"), "--", code)
    document = json.loads(out)
    assert status == 0 and document["valid"] is True and document["stage"] == "ok"
    assert set(document["checks"]) == {
        "picture",
        "unprefix",
        "base45",
        "decompress",
        "cose",
        "signature",
        "cwt",
        "schema",
        "expiry",
        "key_usage",
        "revocation",
        "rules",
    }
    assert document["checks"]["revocation"] is None and document["checks"]["rules"] is None  # no policy given
    assert document["checks"]["picture"] is None
    assert document["payload"]["iss"] == "VN" and document["payload"]["hcert"]["nam"]["fnt"] == "NGUYEN"


def test_without_trust_cert_signature_fails_with_kid_not_found(code: str) -> None:
    status, out = run("verify", "--json", "--at", CLOCK, "--", code)
    document = json.loads(out)
    assert status == 1 and document["stage"] == "signature"
    assert "kid not found" in document["errors"]["signature"]["message"]
    assert document["checks"]["schema"] is True


def test_image_mode(code: str, pki_dir: Path, tmp_path: Path) -> None:
    from vaxcert import qr

    image = tmp_path / "code.png"
    image.write_bytes(qr.encode_png(code))
    trust = str(pki_dir / "dsc-all.pem")
    status, out = run("verify", "--json", "--at", CLOCK, "--trust-cert", trust, "--image", str(image))
    document = json.loads(out)
    assert status == 0 and document["checks"]["picture"] is True and document["qr_text"] == code


def test_image_mode_with_no_qr(tmp_path: Path) -> None:
    image = tmp_path / "blank.png"
    image.write_bytes(b"not an image")
    status, out = run("verify", "--json", "--image", str(image))
    assert status == 1 and json.loads(out)["stage"] == "picture"


def test_batch_mode(code: str, pki_dir: Path) -> None:
    trust = str(pki_dir / "dsc-all.pem")
    status, out = run("verify", "--at", CLOCK, "--trust-cert", trust, "--batch", "-", stdin=f"{code}\n\nHC1:XX\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 1 and [line["valid"] for line in lines] == [True, False, False]
    # the blank line is answered too, so output line N is always input line N's verdict
    assert lines[1]["checks"]["unprefix"] is False and lines[2]["checks"]["unprefix"] is True


def test_human_output_names_the_holder_and_the_reason(code: str, pki_dir: Path) -> None:
    status, out = run(
        "verify", "--lang", "en", "--at", "2030-01-01", "--trust-cert", str(pki_dir / "dsc-all.pem"), code
    )
    assert status == 1
    assert "INVALID" in out and "expiry" in out and "Nguyễn Thị Phương" in out and "Comirnaty" in out
    assert "\033[" not in out  # no colour when not a terminal


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["verify", "--at", "yesterday", "HC1:X"],
        ["verify", "--trust-cert", "/nonexistent.pem", "HC1:X"],
        ["verify", "HC1:X", "--image", "x.png"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args)[0] == 2


def test_installed_command_runs(code: str, pki_dir: Path) -> None:
    """The console script, as integrators call it, in a separate process."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "verifier_cli",
            "verify",
            "--json",
            "--at",
            CLOCK,
            "--trust-cert",
            str(pki_dir / "dsc-all.pem"),
            "--",
            code,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


@given(st.text(max_size=200).filter(lambda text: not text.startswith("-")))
@settings(max_examples=100, deadline=None)
def test_fuzz_cli_never_tracebacks(text: str) -> None:
    status, out = run("verify", "--json", "--", text)
    assert status in (0, 1)
    document = json.loads(out)
    assert document["valid"] is False and document["stage"] in document["checks"]


def test_updated_value_sets_know_a_new_product(
    signer: PemSigner, vaccination_payload: dict[str, Any], pki_dir: Path, tmp_path: Path
) -> None:
    from datetime import datetime

    from tests.conftest import VECTORS
    from vaxcert.hcert.valuesets import ValueSets

    update = VECTORS / "valuesets" / "vaccine-medicinal-product-2026-10.json"
    vaccination_payload["v"][0]["mp"] = "EU/1/26/1999"  # listed only in the update
    text = issue(
        vaccination_payload,
        signer,
        issued_at=datetime.fromisoformat(ISSUED_AT),
        value_sets=ValueSets.bundled().with_file(update),
    ).text
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"))
    _, before = run("verify", "--json", "--at", CLOCK, *trust, "--", text)
    assert json.loads(before)["value_set_findings"] == [
        "v.0.mp='EU/1/26/1999' is unknown in value set vaccines-covid-19-names"
    ]
    folder = tmp_path / "valuesets"
    folder.mkdir()
    (folder / update.name).write_bytes(update.read_bytes())
    for source in (update, folder):
        status, after = run("verify", "--json", "--at", CLOCK, *trust, "--value-sets", str(source), "--", text)
        assert status == 0 and json.loads(after)["value_set_findings"] == []
    (folder / "broken.json").write_text("[1, 2]", encoding="utf-8")
    status, _ = run("verify", "--json", "--at", CLOCK, *trust, "--value-sets", str(folder), "--", text)
    assert status == 2


def test_version_is_the_installed_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.split() == ["vaxcert-verify", importlib.metadata.version("vaxcert")]


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_the_services_own_svg_and_pdf_are_refused_in_plain_words(
    code: str, pki_dir: Path, tmp_path: Path, suffix: str
) -> None:
    # fpdf2 comes with the [issuer] extra; the floors check installs the library alone.
    FPDF = pytest.importorskip("fpdf").FPDF

    from vaxcert import qr

    path = tmp_path / f"certificate{suffix}"
    if suffix == ".svg":
        path.write_text(qr.encode_svg(code), encoding="utf-8")
    else:
        pdf = FPDF()
        pdf.add_page()
        pdf.image(io.BytesIO(qr.encode_png(code)), x=10, y=10, w=80)
        path.write_bytes(bytes(pdf.output()))
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"))
    status, out = run("verify", *trust, "--image", str(path))
    assert status == 1 and "KHÔNG HỢP LỆ" in out and "[picture.unsupported_format]" in out
    assert suffix[1:].upper() in out and "PNG/JPEG" in out
    assert "object at 0x" not in out and "BytesIO" not in out
    status, out = run("verify", "--json", *trust, "--image", str(path))
    assert status == 1 and json.loads(out)["errors"]["picture"]["code"] == "picture.unsupported_format"


def test_a_text_file_given_as_image_names_no_python_object(tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_text("HC1:not a picture", encoding="utf-8")
    status, out = run("verify", "--image", str(path))
    assert status == 1 and "[picture.not_an_image]" in out and "object at" not in out


@pytest.mark.parametrize(("keep", "expected"), [(0, "decompress.truncated"), (1, "base45.bad_length")])
def test_a_truncated_scan_asks_for_a_new_scan(code: str, pki_dir: Path, keep: int, expected: str) -> None:
    body = code[len("HC1:") :]
    cut = "HC1:" + body[: (len(body) // 2) // 3 * 3 + keep]  # half the code, ending on or just after a group
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"))
    status, out = run("verify", "--at", CLOCK, *trust, cut)
    assert status == 1 and f"[{expected}]" in out
    assert "Mã quét chưa đủ, hãy quét lại" in out
    assert "Incomplete scan, scan again" in run("verify", "--lang", "en", "--at", CLOCK, *trust, cut)[1]
    # the machine-readable report keeps the stage's code
    document = json.loads(run("verify", "--json", "--at", CLOCK, *trust, cut)[1])
    assert expected in [error["code"] for error in document["errors"].values()]


def test_other_failures_do_not_ask_for_a_new_scan(code: str, pki_dir: Path) -> None:
    status, out = run(
        "verify", "--lang", "en", "--at", "2030-01-01", "--trust-cert", str(pki_dir / "dsc-all.pem"), code
    )
    assert status == 1 and "scan again" not in out and "NOT trustworthy" in out


def test_failing_only_the_entry_rules_says_the_certificate_is_genuine(
    signer: PemSigner, vaccination_payload: dict[str, Any], pki_dir: Path
) -> None:
    from datetime import datetime

    rules = Path(__file__).resolve().parents[2] / "spec" / "rules-vn.json"
    vaccination_payload["v"][0]["dt"] = "2026-04-28"  # the VN rules want 14 days since the last dose
    text = issue(vaccination_payload, signer, issued_at=datetime.fromisoformat(ISSUED_AT)).text
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"))
    status, out = run("verify", "--at", "2026-05-02T00:00:00Z", *trust, "--rules", str(rules), text)
    assert status == 1 and "KHÔNG HỢP LỆ" in out
    assert "Chứng nhận là thật nhưng không đáp ứng quy định nhập cảnh" in out
    assert "KHÔNG đáng tin" not in out and "Nguyễn Thị Phương" in out
    status, out = run("verify", "--lang", "en", "--at", "2026-05-02T00:00:00Z", *trust, "--rules", str(rules), text)
    assert status == 1 and "The certificate is genuine but does not meet the entry rules" in out
    assert "NOT trustworthy" not in out


def test_human_output_says_revocation_was_not_checked(code: str, pki_dir: Path, tmp_path: Path) -> None:
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"), "--cache-dir", str(tmp_path / "empty"))
    status, out = run("verify", "--at", CLOCK, *trust, code)
    assert status == 0 and out.startswith("HỢP LỆ")
    assert "Chưa kiểm tra thu hồi" in out
    assert "Revocation not checked" in run("verify", "--lang", "en", "--at", CLOCK, *trust, code)[1]
    # a code that never got as far as its signature has nothing to say about revocation
    status, out = run("verify", "--at", CLOCK, *trust, "HC1:XX")
    assert status == 1 and "Chưa kiểm tra thu hồi" not in out


@pytest.mark.parametrize(
    ("command", "own", "other"),
    [(["--help"], "checkpoint", "vaxcert-trust"), (["trust", "--help"], "checkpoint staff", "vaxcert-trust")],
)
def test_help_says_who_it_is_for(capsys: pytest.CaptureFixture[str], command: list[str], own: str, other: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(command)
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert own in text and other in text


def test_vaxcert_lang_chooses_the_language_and_lang_wins(
    code: str, pki_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust = ("--trust-cert", str(pki_dir / "dsc-all.pem"))
    vietnamese = run("verify", "--at", CLOCK, *trust, code)[1]
    assert vietnamese.startswith("HỢP LỆ: Chứng nhận tiêm chủng") and "Ngày sinh:" in vietnamese
    assert "15/04/1990" in vietnamese and "Việt Nam (VN)" in vietnamese  # dd/mm/yyyy, the country's name
    monkeypatch.setenv("VAXCERT_LANG", "en")
    english = run("verify", "--at", CLOCK, *trust, code)[1]
    assert english.startswith("VALID: Vaccination certificate") and "Date of birth:" in english
    assert "15 Apr 1990" in english and "Vietnam (VN)" in english and "Ngày sinh" not in english
    assert run("verify", "--lang", "vi", "--at", CLOCK, *trust, code)[1] == vietnamese
    monkeypatch.setenv("VAXCERT_LANG", "vi_VN.UTF-8")
    assert run("verify", "--lang", "en", "--at", CLOCK, *trust, code)[1] == english
    with pytest.raises(SystemExit) as refused:
        run("verify", "--lang", "fr", code)
    assert refused.value.code == 2
