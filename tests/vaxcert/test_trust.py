from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest

from vaxcert import DocumentSignerCertificate, PemSigner, TrustError, TrustStore
from vaxcert.trust import kid_for

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "dgc-testdata" / "public.jsonl"


def test_kid_is_sha256_prefix_of_der(signer: PemSigner) -> None:
    dsc = signer.certificate
    assert dsc.kid == kid_for(dsc.der) and len(dsc.kid) == 8
    assert base64.b64decode(dsc.kid_b64) == dsc.kid


def test_pem_and_der_files_load_alike(signer: PemSigner, tmp_path: Path) -> None:
    (tmp_path / "dsc.pem").write_text(signer.certificate.pem(), encoding="ascii")
    (tmp_path / "dsc.der").write_bytes(signer.certificate.der)
    from_pem = DocumentSignerCertificate.load(tmp_path / "dsc.pem")
    from_der = DocumentSignerCertificate.load(tmp_path / "dsc.der")
    assert from_pem.kid == from_der.kid == signer.certificate.kid


def test_eku_restricts_types(signer: PemSigner, vaccination_signer: PemSigner) -> None:
    assert signer.certificate.allowed_types == frozenset("vtr")
    assert vaccination_signer.certificate.allowed_types == frozenset("v")
    assert vaccination_signer.certificate.may_sign("v") and not vaccination_signer.certificate.may_sign("t")


@pytest.mark.parametrize("data", [b"", b"not a certificate", b"\x30\x03\x02\x01\x00"])
def test_garbage_is_a_trust_error(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.der"
    path.write_bytes(data)
    with pytest.raises(TrustError):
        DocumentSignerCertificate.load(path)


def test_missing_file_is_a_trust_error(tmp_path: Path) -> None:
    with pytest.raises(TrustError) as info:
        DocumentSignerCertificate.load(tmp_path / "absent.pem")
    assert info.value.code == "trust.unreadable"


def test_duplicate_certificates_are_stored_once(signer: PemSigner) -> None:
    store = TrustStore.of([signer.certificate, signer.certificate])
    assert len(store) == 1 and store.candidates(None) == ()


@pytest.mark.skipif(not CORPUS.exists(), reason="conformance corpus not beside the checkout")
def test_real_dscs_with_extensions_cryptography_refuses_still_load() -> None:
    """The FI test DSCs encode a BasicConstraints default, which cryptography rejects."""
    loaded = 0
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["id"].startswith("FI/"):
            dsc = DocumentSignerCertificate.from_der(base64.b64decode(case["dsc"]))
            assert dsc.allowed_types == frozenset("vtr")  # read through the asn1crypto fallback
            assert dsc.not_after is not None
            loaded += 1
    assert loaded >= 1


def _dsc_with_eku(oids: list[str], critical: bool) -> DocumentSignerCertificate:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IS"), x509.NameAttribute(NameOID.COMMON_NAME, "DSC")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in oids]), critical=critical)
        .sign(key, hashes.SHA256())
    )
    return DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))


ICAO_DOCUMENT_SIGNER = "2.23.136.1.1.14.2"
TLS_CLIENT = "1.3.6.1.5.5.7.3.2"


def test_a_critical_eku_without_hcert_purposes_allows_no_type() -> None:
    # RFC 5280 §4.2.1.12: a critical EKU limits the key to the purposes listed.
    restricted = _dsc_with_eku([ICAO_DOCUMENT_SIGNER], critical=True)
    assert restricted.allowed_types == frozenset() and not any(restricted.may_sign(kind) for kind in "vtr")
    # A non-critical one is a hint for other software: every type stays allowed (hcert-spec A.4).
    hint = _dsc_with_eku([ICAO_DOCUMENT_SIGNER, TLS_CLIENT], critical=False)
    assert hint.allowed_types is None and all(hint.may_sign(kind) for kind in "vtr")
    # HCERT purposes restrict to their types, critical or not.
    tests_only = _dsc_with_eku(["1.3.6.1.4.1.0.1847.2021.1.1", ICAO_DOCUMENT_SIGNER], critical=True)
    assert tests_only.allowed_types == frozenset("t")


def test_validity_window_with_and_without_skew(signer: PemSigner) -> None:
    dsc = signer.certificate
    assert dsc.not_before is not None and dsc.not_after is not None
    second = timedelta(seconds=1)
    assert dsc.is_valid_at(dsc.not_before) and dsc.is_valid_at(dsc.not_after)
    assert not dsc.is_valid_at(dsc.not_before - second) and not dsc.is_valid_at(dsc.not_after + second)
    assert dsc.is_valid_at(dsc.not_before - second, skew=second) and dsc.is_valid_at(dsc.not_after + second, second)
    assert not dsc.is_valid_at(dsc.not_after + 2 * second, skew=second)
