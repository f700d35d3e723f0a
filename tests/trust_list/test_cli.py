"""vaxcert-trust end to end: a PKI ceremony with the DSC key in SoftHSM, then a signed list."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HSM_PIN
from trust_list.cli import main
from vaxcert import DocumentSignerCertificate, TrustStore, issue, trustlist, verify
from vaxcert.hsm import HsmConfig, Pkcs11Signer


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


@pytest.fixture
def hsm_env(softhsm_token: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("VAXCERT_HSM_TOKEN", softhsm_token)
    monkeypatch.setenv("VAXCERT_HSM_PIN", HSM_PIN)
    return softhsm_token


def test_hsm_ceremony_then_issue(tmp_path: Path, hsm_env: str, vaccination_payload: dict[str, Any]) -> None:
    assert run("pki", "create-csca", "--out-dir", str(tmp_path / "csca"))[0] == 0
    assert os.stat(tmp_path / "csca" / "csca-key.pem").st_mode & 0o077 == 0
    assert run("pki", "hsm-keygen", "--label", "cli-dsc")[0] == 0
    assert run("pki", "csr", "--label", "cli-dsc", "--cn", "VN DSC Ha Noi", "--out", str(tmp_path / "dsc.csr"))[0] == 0
    status, _ = run(
        "pki",
        "sign-csr",
        "--csca-dir",
        str(tmp_path / "csca"),
        "--csr",
        str(tmp_path / "dsc.csr"),
        "--types",
        "v",
        "--out",
        str(tmp_path / "dsc.pem"),
    )
    assert status == 0
    assert run("pki", "import-dsc", "--label", "cli-dsc", "--cert", str(tmp_path / "dsc.pem"))[0] == 0
    dsc = DocumentSignerCertificate.load(tmp_path / "dsc.pem")
    assert dsc.allowed_types == frozenset("v") and dsc.subject.startswith("CN=VN DSC Ha Noi")
    with Pkcs11Signer(HsmConfig.from_env(), "cli-dsc") as signer:
        assert signer.certificate.der == dsc.der  # read back from the token
        assert verify(issue(vaccination_payload, signer).text, TrustStore.of([dsc])).valid


def test_import_of_a_foreign_certificate_is_refused(tmp_path: Path, hsm_env: str) -> None:
    run("pki", "create-csca", "--out-dir", str(tmp_path / "csca"))
    run("pki", "create-dsc", "--csca-dir", str(tmp_path / "csca"), "--out-dir", str(tmp_path / "pem"))
    assert run("pki", "hsm-keygen", "--label", "lonely")[0] == 0
    assert run("pki", "import-dsc", "--label", "lonely", "--cert", str(tmp_path / "pem" / "dsc.pem"))[0] == 1


def test_check_dsc_warnings(tmp_path: Path) -> None:
    run("pki", "create-csca", "--out-dir", str(tmp_path / "csca"))
    run("pki", "create-dsc", "--csca-dir", str(tmp_path / "csca"), "--out-dir", str(tmp_path / "d"), "--days", "380")
    status, out = run("pki", "check-dsc", str(tmp_path / "d" / "dsc.pem"))
    assert status == 0 and "can sign: yes" in out and "prepare its successor" in out
    later = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    status, out = run("pki", "check-dsc", str(tmp_path / "d" / "dsc.pem"), "--at", later)
    assert status == 1 and "would outlive the DSC" in out and "key-usage period" in out


def test_build_check_publish(tmp_path: Path, signer: Any, vaccination_signer: Any, pki_dir: Path) -> None:
    run("pki", "create-anchor", "--out-dir", str(tmp_path / "tl"))
    folder = tmp_path / "dscs"
    folder.mkdir()
    (folder / "a.pem").write_text(signer.certificate.pem(), encoding="ascii")
    (folder / "b.der").write_bytes(vaccination_signer.certificate.der)
    (folder / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    gateway = tmp_path / "gateway.json"
    gateway.write_text(
        json.dumps(
            [
                {
                    "kid": "AAAAAAAAAAA=",
                    "country": "VN",
                    "certificateType": "DSC",
                    "rawData": __import__("base64").b64encode(signer.certificate.der).decode(),
                }
            ]
        )
    )
    status, out = run(
        "build",
        "--out",
        str(tmp_path / "list.cose"),
        "--sequence",
        "5",
        "--dsc-dir",
        str(folder),
        "--gateway-json",
        str(gateway),
        "--signer-key",
        str(tmp_path / "tl" / "anchor-key.pem"),
        "--signer-cert",
        str(tmp_path / "tl" / "anchor.pem"),
    )
    assert status == 0, out
    assert "rejected" in out and "2 DSCs" in out
    anchor = str(tmp_path / "tl" / "anchor.pem")
    status, out = run("check", str(tmp_path / "list.cose"), "--anchor", anchor)
    assert status == 0 and "trust list #5" in out and "fresh" in out
    assert "STALE" in run("check", str(tmp_path / "list.cose"), "--anchor", anchor, "--at", "2099-01-01T00:00:00Z")[1]
    assert run("publish", str(tmp_path / "list.cose"), "--anchor", anchor, "--dir", str(tmp_path / "www"))[0] == 0
    assert (tmp_path / "www" / "trust-list.cose").read_bytes() == (tmp_path / "list.cose").read_bytes()
    # a list signed by another key is not published
    run("pki", "create-anchor", "--out-dir", str(tmp_path / "other"))
    assert run("check", str(tmp_path / "list.cose"), "--anchor", str(tmp_path / "other" / "anchor.pem"))[0] == 1
    checked = trustlist.verify((tmp_path / "list.cose").read_bytes(), [DocumentSignerCertificate.load(anchor)])
    assert {e.kid for e in checked.content.entries} == {signer.certificate.kid, vaccination_signer.certificate.kid}


def test_trust_list_signed_in_the_hsm(tmp_path: Path, hsm_env: str, signer: Any) -> None:
    run("pki", "create-csca", "--out-dir", str(tmp_path / "csca"))
    assert run("pki", "hsm-keygen", "--label", "tl-signer")[0] == 0
    run("pki", "csr", "--label", "tl-signer", "--cn", "VN trust list", "--out", str(tmp_path / "tl.csr"))
    run(
        "pki",
        "sign-csr",
        "--csca-dir",
        str(tmp_path / "csca"),
        "--csr",
        str(tmp_path / "tl.csr"),
        "--out",
        str(tmp_path / "tl.pem"),
    )
    (tmp_path / "a.pem").write_text(signer.certificate.pem(), encoding="ascii")
    status, out = run(
        "build",
        "--out",
        str(tmp_path / "list.cose"),
        "--sequence",
        "1",
        "--dsc",
        str(tmp_path / "a.pem"),
        "--signer-cert",
        str(tmp_path / "tl.pem"),
        "--signer-hsm-label",
        "tl-signer",
    )
    assert status == 0, out
    assert run("check", str(tmp_path / "list.cose"), "--anchor", str(tmp_path / "tl.pem"))[0] == 0


def test_version_is_the_installed_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.split() == ["vaxcert-trust", importlib.metadata.version("vaxcert")]


def test_a_rejected_list_exits_1_with_a_plain_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("tl", "other"):
        run("pki", "create-anchor", "--out-dir", str(tmp_path / name))
    status, _ = run(
        "build",
        "--out",
        str(tmp_path / "list.cose"),
        "--sequence",
        "1",
        "--signer-key",
        str(tmp_path / "tl" / "anchor-key.pem"),
        "--signer-cert",
        str(tmp_path / "tl" / "anchor.pem"),
    )
    assert status == 0
    capsys.readouterr()
    foreign = ("--anchor", str(tmp_path / "other" / "anchor.pem"))
    for command in ("check", "publish"):
        extra = ("--dir", str(tmp_path / "www")) if command == "publish" else ()
        status, _ = run(command, str(tmp_path / "list.cose"), *foreign, *extra)
        assert status == 1, command
        line = capsys.readouterr().err
        assert "vaxcert-trust: danh sách tin cậy bị từ chối / trust list rejected: trustlist." in line
    assert not (tmp_path / "www" / "trust-list.cose").exists()
    # a list file that is not there is how the command was called: usage (2)
    assert run("check", str(tmp_path / "absent.cose"), "--anchor", str(tmp_path / "tl" / "anchor.pem"))[0] == 2


def test_help_says_who_it_is_for(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "trust operators and key custodians" in text and "vaxcert-verify trust" in text


def test_build_imports_every_framework(tmp_path: Path, csca: Any) -> None:
    """Registry, JWK Sets (with and without their own iss), ICAO CSCAs and CRLs go into one list."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from tests.conftest import VECTORS, load_vector_file

    expected = load_vector_file("trust-imports.json")
    run("pki", "create-anchor", "--out-dir", str(tmp_path / "tl"))
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.certificate.subject)
        .last_update(datetime(2026, 5, 1, tzinfo=UTC))
        .next_update(datetime(2026, 6, 1, tzinfo=UTC))
        .sign(csca.private_key, hashes.SHA256())
    )
    (tmp_path / "csca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    signer = (
        "--signer-key",
        str(tmp_path / "tl" / "anchor-key.pem"),
        "--signer-cert",
        str(tmp_path / "tl" / "anchor.pem"),
    )
    status, out = run(
        "build",
        "--out",
        str(tmp_path / "list.cose"),
        "--sequence",
        "6",
        "--registry",
        str(VECTORS / "trust-registry.json"),
        "--jwks",
        str(VECTORS / "trust-jwks.json"),
        "--issuer-jwks",
        "https://other.example",
        str(VECTORS / "trust-jwks-no-iss.json"),
        "--icao-csca",
        str(VECTORS / "keys" / "csca.pem"),
        "--crl",
        str(tmp_path / "csca.crl"),
        "--crl",
        str(VECTORS / "trust-shc-crl.json"),
        *signer,
    )
    assert status == 0, out
    for description in [*expected["registry"]["rejected"], *expected["jwks"]["rejected"]]:
        assert f"rejected {description}:" in out
    # registry: 1 DCC, 2 SHC, 1 ICAO, 1 DIVOC; JWKS: 2 SHC; the CSCA: 1 ICAO
    counts = "keys: DCC 1, SHC 4, ICAO 2, DIVOC 1; 1 X.509 CRLs, 1 SHC revocation lists (format 2)"
    assert counts in out
    status, shown = run("check", str(tmp_path / "list.cose"), "--anchor", str(tmp_path / "tl" / "anchor.pem"))
    assert status == 0 and counts in shown
    # a JWK Set that names no issuer needs one on the command line
    status, out = run(
        "build",
        "--out",
        str(tmp_path / "bad.cose"),
        "--sequence",
        "7",
        "--jwks",
        str(VECTORS / "trust-jwks-no-iss.json"),
        *signer,
    )
    assert status == 1 and not (tmp_path / "bad.cose").exists()
