"""Barcode signer certificates read tolerantly: the fields a verifier needs, and what is no certificate."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.support.multiformat_corpus import CORPUS_DIR
from tests.vaxcert.vds.pki import NOT_AFTER, NOT_BEFORE, Issued, make_crl, make_csca, make_signer
from vaxcert.vds import CertificateError, decode_cer, parse_certificate, parse_crl

NULL_PARAMS_SIGNER = CORPUS_DIR / "trust" / "vds-sdk-uto-dsc.pem"


def _b64url(der: bytes) -> str:
    return base64.urlsafe_b64encode(der).rstrip(b"=").decode("ascii")


def test_fields(csca: Issued, signer: Issued) -> None:
    parsed = decode_cer(_b64url(signer.der))
    assert parsed.der == signer.der
    assert (parsed.issuer_country, parsed.serial) == ("UT", 4242)
    assert (parsed.not_before, parsed.not_after) == (NOT_BEFORE, NOT_AFTER)
    assert parsed.authority_key_id == csca.ski
    assert parsed.authority_key_id_b64 == base64.b64encode(csca.ski).decode("ascii")
    assert parsed.issuer_key == parse_certificate(csca.der).subject_key
    assert "Test CSCA" in parsed.issuer and "Signer" in parsed.subject
    assert isinstance(parsed.public_key, ec.EllipticCurvePublicKey)
    assert parsed.signed_by(parse_certificate(csca.der).spki)
    assert not parsed.signed_by(parsed.spki)


def test_padded_base64url_is_read(signer: Issued) -> None:
    text = base64.urlsafe_b64encode(signer.der).decode("ascii")
    assert decode_cer(text).der == signer.der


@pytest.mark.skipif(not NULL_PARAMS_SIGNER.exists(), reason="shared corpus not present")
def test_a_certificate_strict_parsers_refuse_is_read() -> None:
    pem = Path(NULL_PARAMS_SIGNER).read_text(encoding="ascii")
    der = base64.b64decode("".join(line for line in pem.splitlines() if "-----" not in line))
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(der).signature_algorithm_oid  # noqa: B018 - the point of this vector
    parsed = parse_certificate(der)
    assert parsed.scheme == ("ecdsa", "sha256", None)
    assert parsed.issuer_country == "UT"
    assert isinstance(parsed.public_key, ec.EllipticCurvePublicKey)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "certificate.missing"),
        ("", "certificate.missing"),
        (42, "certificate.missing"),
        ("***", "certificate.bad_base64"),
        ("MIIB+/==", "certificate.bad_base64"),  # standard base64, not base64url
        ("AAAA", "certificate.not_certificate"),
        (_b64url(b"\x30\x03\x02\x01\x01"), "certificate.not_certificate"),
        ("A" * 40_000, "certificate.too_large"),
    ],
)
def test_what_is_no_certificate(text: object, code: str) -> None:
    with pytest.raises(CertificateError) as raised:
        decode_cer(text)
    assert raised.value.code == code


def test_trailing_bytes_are_refused(signer: Issued) -> None:
    with pytest.raises(CertificateError) as raised:
        parse_certificate(signer.der + b"\x00")
    assert raised.value.code == "certificate.not_certificate"


def test_a_certificate_with_an_unusable_key(csca: Issued) -> None:
    from cryptography.hazmat.primitives import hashes

    # An X25519 key cannot sign: the certificate is refused as a signer certificate.
    from cryptography.hazmat.primitives.asymmetric import x25519

    builder = (
        x509.CertificateBuilder()
        .subject_name(csca.certificate.subject)
        .issuer_name(csca.certificate.subject)
        .public_key(x25519.X25519PrivateKey.generate().public_key())
        .serial_number(7)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
    )
    der = builder.sign(csca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]
    with pytest.raises(CertificateError) as raised:
        parse_certificate(der)
    assert raised.value.code == "certificate.bad_key"


def test_a_key_on_an_unknown_curve(signer: Issued) -> None:
    p256 = bytes.fromhex("06082a8648ce3d030107")
    assert signer.der.count(p256) == 1
    with pytest.raises(CertificateError) as raised:
        parse_certificate(signer.der.replace(p256, bytes.fromhex("06081a8648ce3d030107")))
    assert raised.value.code == "certificate.bad_key"


def test_ed25519_cscas_sign_too() -> None:
    csca = make_csca(key=ed25519.Ed25519PrivateKey.generate())
    signer = make_signer(csca)
    assert parse_certificate(signer.der).signed_by(parse_certificate(csca.der).spki)


def test_crls(csca: Issued) -> None:
    crl = parse_crl(make_crl(csca, [5, 6]))
    assert crl is not None
    assert crl.revoked_serials == frozenset({5, 6})
    assert crl.issuer_key == parse_certificate(csca.der).subject_key
    assert crl.next_update == NOT_AFTER
    assert crl.signed_by(parse_certificate(csca.der).spki)
    assert not crl.signed_by(parse_certificate(make_csca().der).spki)
    assert parse_crl(b"not a crl") is None
