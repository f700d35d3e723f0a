"""The development and tooling PKI: CSCA and DSC profiles, CSR signing, and advice on a DSC's remaining life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vaxcert import DocumentSignerCertificate, PemSigner, TrustStore, issue, verify
from vaxcert.pki import KEY_USAGE_PERIOD, IssuedKeyPair, advise_dsc, create_csca, create_dsc, new_key, sign_csr
from vaxcert.trust import EKU_TEST, EKU_VACCINATION

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def csca() -> IssuedKeyPair:
    return create_csca(common_name="pki test CSCA", valid_from=START, validity=timedelta(days=4 * 365))


def test_a_csca_is_a_self_signed_ca_for_dscs_only(csca: IssuedKeyPair) -> None:
    certificate = csca.certificate
    assert certificate.issuer == certificate.subject
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    certificate.verify_directly_issued_by(certificate)


def test_a_dsc_carries_the_hcert_eku_of_its_types_and_chains_to_its_csca(csca: IssuedKeyPair) -> None:
    dsc = create_dsc(csca, certificate_types=("v", "t", "v"), valid_from=START)
    assert isinstance(dsc, IssuedKeyPair)
    dsc.certificate.verify_directly_issued_by(csca.certificate)
    eku = dsc.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {oid.dotted_string for oid in eku} == {EKU_VACCINATION[0], EKU_TEST[0]}
    assert ExtendedKeyUsageOID.SERVER_AUTH not in eku
    signer = dsc.document_signer()
    assert signer.allowed_types == frozenset({"v", "t"}) and signer.country == "VN"
    assert signer.kid == DocumentSignerCertificate.from_pem(dsc.certificate_pem()).kid


def test_a_dsc_never_outlives_its_csca(csca: IssuedKeyPair) -> None:
    dsc = create_dsc(csca, valid_from=START, validity=timedelta(days=100 * 365))
    assert isinstance(dsc, IssuedKeyPair)
    assert dsc.certificate.not_valid_after_utc == csca.certificate.not_valid_after_utc


@pytest.mark.parametrize("types", [(), ("v", "x")])
def test_a_dsc_needs_known_certificate_types(csca: IssuedKeyPair, types: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="certificate types"):
        create_dsc(csca, certificate_types=types)


def test_keys_are_p256_or_rsa_3072() -> None:
    ec_key = new_key("ES256")
    rsa_key = new_key("PS256")
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey) and ec_key.curve.name == "secp256r1"
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and rsa_key.key_size == 3072
    with pytest.raises(ValueError, match="ES256 or PS256"):
        new_key("ES512")


def test_a_dsc_key_pair_signs_codes_that_verify(
    csca: IssuedKeyPair, tmp_path: Path, vaccination_payload: dict[str, Any]
) -> None:
    dsc = create_dsc(csca, valid_from=START)
    assert isinstance(dsc, IssuedKeyPair)
    (tmp_path / "key.pem").write_bytes(dsc.private_key_pem())
    (tmp_path / "dsc.pem").write_bytes(dsc.certificate_pem())
    signer = PemSigner.from_files(tmp_path / "key.pem", tmp_path / "dsc.pem")
    text = issue(vaccination_payload, signer, issued_at=START + timedelta(days=1)).text
    assert verify(text, TrustStore.of([dsc.document_signer()]), at=START + timedelta(days=2)).valid


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _csr(key: ec.EllipticCurvePrivateKey, signing_key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    """A DER request for ``key``; signed by ``signing_key`` instead when given (no proof of possession)."""
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "HSM DSC")]))
        .sign(signing_key or key, hashes.SHA256())
    )
    der = request.public_bytes(serialization.Encoding.DER)
    if signing_key is not None:  # swap the public key in, leaving the signer's signature
        der = der.replace(signing_key.public_key().public_bytes(*_SPKI), key.public_key().public_bytes(*_SPKI))
    return der


def test_sign_csr_issues_a_dsc_for_the_requests_key(csca: IssuedKeyPair) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    for encoding in ("der", "pem"):
        request = _csr(key)
        if encoding == "pem":
            request = x509.load_der_x509_csr(request).public_bytes(serialization.Encoding.PEM)
        certificate = sign_csr(csca, request, certificate_types=("r",), valid_from=START)
        assert certificate.public_key() == key.public_key()
        assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "HSM DSC"
        certificate.verify_directly_issued_by(csca.certificate)


def test_sign_csr_refuses_garbage_and_requests_without_proof_of_possession(csca: IssuedKeyPair) -> None:
    with pytest.raises(ValueError, match="not a certificate signing request"):
        sign_csr(csca, b"garbage", certificate_types=("v",))
    forged = _csr(ec.generate_private_key(ec.SECP256R1()), signing_key=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValueError, match="signature does not match"):
        sign_csr(csca, forged, certificate_types=("v",))


def test_advice_follows_the_dsc_through_its_life(csca: IssuedKeyPair) -> None:
    dsc = create_dsc(csca, valid_from=START, validity=timedelta(days=2 * 365))
    assert isinstance(dsc, IssuedKeyPair)
    signer = dsc.document_signer()
    assert signer.not_after is not None
    last_signing_day = signer.not_after - timedelta(days=365)

    early = advise_dsc(signer, START - timedelta(days=1))
    assert not early.can_sign and "valid only from" in early.warnings[0]
    fresh = advise_dsc(signer, START + timedelta(days=1))
    assert fresh.can_sign and fresh.warnings == ()
    rotate = advise_dsc(signer, START + KEY_USAGE_PERIOD + timedelta(days=1))
    assert rotate.can_sign and any("rotate to a new DSC" in warning for warning in rotate.warnings)
    closing = advise_dsc(signer, last_signing_day - timedelta(days=5))
    assert closing.can_sign and any("prepare its successor" in warning for warning in closing.warnings)
    too_late = advise_dsc(signer, last_signing_day + timedelta(days=1))
    assert not too_late.can_sign and any("would outlive the DSC" in warning for warning in too_late.warnings)
    short_lived = advise_dsc(signer, last_signing_day + timedelta(days=1), certificate_lifetime=timedelta(days=30))
    assert short_lived.can_sign
