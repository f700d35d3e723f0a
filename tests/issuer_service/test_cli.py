from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from issuer_service.cli import main
from vaxcert import PemSigner, TrustStore, qr, verify


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out, stdin=io.StringIO(stdin)), out.getvalue()


def test_issue_one_payload_with_qr(
    signer: PemSigner, pki_dir: Path, tmp_path: Path, vaccination_payload: dict[str, Any]
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(vaccination_payload), encoding="utf-8")
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    status, out = run("issue", "--payload", str(payload), "--key", key, "--cert", cert, "--qr", str(tmp_path / "q.png"))
    assert status == 0
    text = out.strip()
    assert verify(text, TrustStore.of([signer.certificate])).valid
    assert qr.decode(tmp_path / "q.png") == text


def test_batch_keeps_lines_aligned_and_reports_bad_rows(
    signer: PemSigner, pki_dir: Path, vaccination_payload: dict[str, Any], recovery_payload: dict[str, Any]
) -> None:
    bad = {**vaccination_payload, "dob": "yesterday"}
    lines = "\n".join(json.dumps(p) for p in (vaccination_payload, bad, recovery_payload)) + "\n{oops\n"
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    status, out = run("issue", "--batch", "-", "--key", key, "--cert", cert, stdin=lines)
    results = out.split("\n")[:4]
    assert status == 1
    assert results[0].startswith("HC1:") and results[1] == "" and results[2].startswith("HC1:") and results[3] == ""


def test_svg_output_and_bad_extension(
    pki_dir: Path, tmp_path: Path, vaccination_payload: dict[str, Any], signer: PemSigner
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(vaccination_payload), encoding="utf-8")
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    assert (
        run("issue", "--payload", str(payload), "--key", key, "--cert", cert, "--qr", str(tmp_path / "q.svg"))[0] == 0
    )
    assert "</svg>" in (tmp_path / "q.svg").read_text(encoding="utf-8")
    assert (
        run("issue", "--payload", str(payload), "--key", key, "--cert", cert, "--qr", str(tmp_path / "q.gif"))[0] == 2
    )


def test_demo_creates_pki_once_and_verifies(tmp_path: Path) -> None:
    status, out = run("demo", "--dir", str(tmp_path))
    assert status == 0 and "HỢP LỆ: Chứng nhận tiêm chủng" in out
    assert "VALID: Vaccination certificate" in run("demo", "--lang", "en", "--dir", str(tmp_path))[1]
    first_cert = (tmp_path / "dsc.pem").read_bytes()
    assert run("demo", "--dir", str(tmp_path))[0] == 0
    assert (tmp_path / "dsc.pem").read_bytes() == first_cert
    assert (tmp_path / "dsc-key.pem").stat().st_mode & 0o077 == 0
    assert qr.decode(tmp_path / "sample.png") == (tmp_path / "sample.txt").read_text(encoding="utf-8").strip()


def test_version_is_the_installed_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.split() == ["vaxcert", importlib.metadata.version("vaxcert")]


def test_issue_refuses_implausible_payloads_naming_the_field(
    pki_dir: Path, tmp_path: Path, vaccination_payload: dict[str, Any], capsys: Any
) -> None:
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    future = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "dt": "2099-01-01"}]}
    emoji = {**vaccination_payload, "nam": {"fn": "Nguyễn", "gn": "Thị Phương 😷"}}
    path = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "ci": "../x/../../etc/passwd"}]}
    lines = "\n".join(json.dumps(p) for p in (future, emoji, path, vaccination_payload)) + "\n"
    status, out = run("issue", "--batch", "-", "--key", key, "--cert", cert, stdin=lines)
    errors = capsys.readouterr().err.splitlines()
    results = out.split("\n")[:4]
    assert status == 1 and results[:3] == ["", "", ""] and results[3].startswith("HC1:")
    assert errors[0].startswith("vaxcert: line 1: issue.implausible: v.0.dt: ")
    assert errors[1].startswith("vaxcert: line 2: issue.bad_name_character: nam.gn: ")
    assert errors[2].startswith("vaxcert: line 3: issue.bad_uvci: v.0.ci: ")


# ------------------------------------------------------------ --format shc (SMART Health Cards)

SHC_ISSUER = "https://cards.moh.example/vn"


def _shc_registry(signer: PemSigner, issuer: str = SHC_ISSUER) -> Any:
    from vaxcert.registry import TrustRegistry
    from vaxcert.shc import CoseSignerAdapter, jwks_for

    return TrustRegistry.from_jwks(jwks_for([CoseSignerAdapter(signer)]), issuer=issuer)


def _verify_shc(text: str, signer: PemSigner) -> Any:
    from datetime import UTC, datetime

    from vaxcert.shc import verify_shc

    return verify_shc(text, _shc_registry(signer), at=datetime.now(UTC))


def test_shc_from_the_same_payload_with_a_qr(
    signer: PemSigner, pki_dir: Path, tmp_path: Path, vaccination_payload: dict[str, Any]
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(vaccination_payload), encoding="utf-8")
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    argv = ["issue", "--format", "shc", "--issuer", SHC_ISSUER, "--payload", str(payload), "--key", key, "--cert", cert]
    status, out = run(*argv, "--qr", str(tmp_path / "card.png"))
    assert status == 0
    text = out.strip()
    assert text.startswith("shc:/") and len(text) - len("shc:/") <= 2 * 1195
    report = _verify_shc(text, signer)
    assert report.valid, (report.status, report.code)
    assert report.holder.name == "Thị Phương Nguyễn" and [e.date for e in report.events] == ["2021-09-20"]
    assert qr.decode(tmp_path / "card.png") == text


def test_shc_of_two_doses_from_a_json_array_and_the_issuer_from_the_environment(
    signer: PemSigner, pki_dir: Path, vaccination_payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "dn": 1, "dt": "2021-08-23"}]}
    monkeypatch.setenv("VAXCERT_SHC_ISSUER", SHC_ISSUER)
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    doses = json.dumps([vaccination_payload, first])
    status, out = run("issue", "--format", "shc", "--payload", "-", "--key", key, "--cert", cert, stdin=doses)
    assert status == 0
    report = _verify_shc(out.strip(), signer)
    assert report.valid and [e.date for e in report.events] == ["2021-08-23", "2021-09-20"]


def test_shc_batch_keeps_lines_aligned_and_refuses_tests_with_a_code(
    signer: PemSigner,
    pki_dir: Path,
    vaccination_payload: dict[str, Any],
    test_payload: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    lines = "\n".join(json.dumps(p) for p in (vaccination_payload, test_payload, vaccination_payload)) + "\n"
    argv = ["issue", "--format", "shc", "--issuer", SHC_ISSUER, "--batch", "-", "--key", key, "--cert", cert]
    status, out = run(*argv, stdin=lines)
    results = out.split("\n")[:3]
    assert status == 1 and results[1] == ""
    assert all(_verify_shc(results[i], signer).valid for i in (0, 2))
    assert capsys.readouterr().err.startswith("vaxcert: line 2: issue.shc_not_vaccination: ")


@pytest.mark.parametrize(
    "issuer", [None, "cards.moh.example", "http://cards.moh.example", "https://cards.moh.example/"]
)
def test_shc_needs_an_issuer_url(
    signer: PemSigner,
    pki_dir: Path,
    vaccination_payload: dict[str, Any],
    issuer: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VAXCERT_SHC_ISSUER", raising=False)
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    argv = ["issue", "--format", "shc", "--payload", "-", "--key", key, "--cert", cert]
    if issuer is not None:
        argv += ["--issuer", issuer]
    assert run(*argv, stdin=json.dumps(vaccination_payload))[0] == 2


def test_shc_refuses_an_rsa_dsc(rsa_signer: PemSigner, pki_dir: Path, vaccination_payload: dict[str, Any]) -> None:
    key, cert = str(pki_dir / "dsc-rsa-key.pem"), str(pki_dir / "dsc-rsa.pem")
    argv = ["issue", "--format", "shc", "--issuer", SHC_ISSUER, "--payload", "-", "--key", key, "--cert", cert]
    status, out = run(*argv, stdin=json.dumps(vaccination_payload))
    assert status == 1 and out == ""


def test_shc_refuses_what_the_dcc_model_refuses_with_the_same_codes(
    signer: PemSigner, pki_dir: Path, vaccination_payload: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    key, cert = str(pki_dir / "dsc-all-key.pem"), str(pki_dir / "dsc-all.pem")
    future = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "dt": "2099-01-01"}]}
    broken = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "dn": 0}]}
    lines = "\n".join(json.dumps(p) for p in (future, broken, [vaccination_payload])) + "\n"
    argv = ["issue", "--format", "shc", "--issuer", SHC_ISSUER, "--batch", "-", "--key", key, "--cert", cert]
    status, out = run(*argv, stdin=lines)
    errors = capsys.readouterr().err.splitlines()
    assert status == 1 and out.split("\n")[:2] == ["", ""] and out.split("\n")[2].startswith("shc:/")
    assert errors[0].startswith("vaxcert: line 1: issue.implausible: v.0.dt: ")
    assert errors[1].startswith("vaxcert: line 2: schema.invalid: ")
