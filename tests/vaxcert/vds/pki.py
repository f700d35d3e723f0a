"""Throw-away ICAO PKI for the VDS-NC tests: CSCAs, barcode signers, CRLs and seals, made with ``cryptography``."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from vaxcert.registry import TrustRegistry
from vaxcert.vds import encode, sign_seal

VECTORS = Path(__file__).resolve().parents[3] / "spec" / "vectors" / "vds"
NOT_BEFORE = datetime(2029, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2033, 1, 1, tzinfo=UTC)
AT = datetime(2030, 6, 1, 12, tzinfo=UTC)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Issued:
    key: PrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def spki_b64(self) -> str:
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(spki).decode("ascii")

    @property
    def ski(self) -> bytes:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def _name(country: str, common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _sign_with(key: PrivateKey, builder: Any, pss: bool = False) -> Any:
    if isinstance(key, rsa.RSAPrivateKey) and pss:
        return builder.sign(
            key, hashes.SHA256(), rsa_padding=padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    return builder.sign(key, hashes.SHA256())


def make_csca(
    country: str = "UT",
    common_name: str = "Test CSCA",
    key: PrivateKey | None = None,
    *,
    ski: bytes | None = None,
    not_before: datetime = NOT_BEFORE,
    not_after: datetime = NOT_AFTER,
    pss: bool = False,
) -> Issued:
    """A self-signed CSCA (P-384 unless ``key`` says otherwise).  ``ski`` forces a key identifier (forgeries)."""
    key = key or ec.generate_private_key(ec.SECP384R1())
    identifier = ski or x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(country, common_name))
        .issuer_name(_name(country, common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(identifier), critical=False)
    )
    return Issued(key, _sign_with(key, builder, pss))


def make_signer(
    csca: Issued,
    *,
    curve: ec.EllipticCurve | None = None,
    key: PrivateKey | None = None,
    serial: int = 4242,
    not_before: datetime = NOT_BEFORE,
    not_after: datetime = NOT_AFTER,
    with_aki: bool = True,
    pss: bool = False,
) -> Issued:
    """A barcode signer issued by ``csca`` (P-256 unless ``curve``/``key`` say otherwise)."""
    key = key or ec.generate_private_key(curve or ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(csca.certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value, "Signer"))
        .issuer_name(csca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if with_aki:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(csca.ski, None, None), critical=False)
    return Issued(key, _sign_with(csca.key, builder, pss))


def make_crl(csca: Issued, serials: list[int], *, signing_key: PrivateKey | None = None) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.certificate.subject)
        .last_update(NOT_BEFORE)
        .next_update(NOT_AFTER)
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOT_BEFORE).build()
        )
    crl = builder.sign(signing_key or csca.key, hashes.SHA256())  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.DER)


def seal_text(data: dict[str, Any], signer: Issued, *, indent: int | None = None) -> str:
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    return encode(sign_seal(data, signer.key, signer.der), indent=indent)


def registry_entry(csca: Issued, *, status: str = "current", valid_until: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": status, "validFromDT": "2029-01-01T00:00:00Z", "publicKey": csca.spki_b64}
    if valid_until:
        entry["validUntilDT"] = valid_until
    return entry


def icao_registry(csca: Issued, country: str = "UT", **entry: Any) -> TrustRegistry:
    """The CSCA as a Path-Check registry entry ``ICAO`` ``<country>#<base64 SKI>``."""
    key_id = f"{country}#{base64.b64encode(csca.ski).decode('ascii')}"
    return TrustRegistry.from_registry({"ICAO": {key_id: registry_entry(csca, **entry)}})


def anchors(*issued: Issued) -> TrustRegistry:
    return TrustRegistry.from_certificates(item.der for item in issued)
