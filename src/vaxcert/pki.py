"""Creating CSCA and DSC certificates (development PKI and the trust tooling).

Profiles follow the EU certificate governance guide: a two-level hierarchy,
CSCA with keyCertSign and pathLen 0, DSC with digitalSignature, AKI = CSCA
SKI, and the HCERT EKU OIDs restricting which certificate types it signs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .keys import PrivateKey
from .trust import EKU_RECOVERY, EKU_TEST, EKU_VACCINATION, DocumentSignerCertificate

_EKU_BY_TYPE = {"t": EKU_TEST[0], "v": EKU_VACCINATION[0], "r": EKU_RECOVERY[0]}


@dataclass(frozen=True, slots=True)
class IssuedKeyPair:
    """A private key and the certificate issued for it."""

    private_key: PrivateKey
    certificate: x509.Certificate

    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def document_signer(self) -> DocumentSignerCertificate:
        return DocumentSignerCertificate.from_der(self.certificate.public_bytes(serialization.Encoding.DER))


def new_key(algorithm: str = "ES256") -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "PS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(f"unsupported algorithm {algorithm!r} (ES256 or PS256)")


def _name(common_name: str, country: str, organisation: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def create_csca(
    common_name: str = "VN DCC CSCA",
    country: str = "VN",
    organisation: str | None = "Ministry of Health",
    *,
    key: PrivateKey | None = None,
    valid_from: datetime | None = None,
    validity: timedelta = timedelta(days=4 * 365),
) -> IssuedKeyPair:
    """A self-signed Country Signing CA."""
    key = key or new_key()
    start = valid_from or datetime.now(UTC)
    name = _name(common_name, country, organisation)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return IssuedKeyPair(key, certificate)


def create_dsc(
    csca: IssuedKeyPair,
    common_name: str = "VN DCC DSC",
    country: str = "VN",
    organisation: str | None = "Ministry of Health",
    *,
    certificate_types: Iterable[str] = ("v", "t", "r"),
    key: PrivateKey | None = None,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None,
    valid_from: datetime | None = None,
    validity: timedelta = timedelta(days=2 * 365),
) -> IssuedKeyPair | x509.Certificate:
    """A Document Signer Certificate signed by ``csca``.

    Pass ``public_key`` (e.g. from an HSM) instead of ``key`` to get just the
    certificate back; otherwise a key is generated and returned with it.
    """
    if public_key is None:
        key = key or new_key()
        public_key = key.public_key()
    start = valid_from or datetime.now(UTC)
    types = sorted(set(certificate_types))
    unknown = [t for t in types if t not in _EKU_BY_TYPE]
    if unknown or not types:
        raise ValueError(f"certificate types must be among v, t, r (got {types})")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, country, organisation))
        .issuer_name(csca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(min(start + validity, csca.certificate.not_valid_after_utc))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(_EKU_BY_TYPE[t]) for t in types]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    certificate = builder.sign(csca.private_key, hashes.SHA256())
    return IssuedKeyPair(key, certificate) if key is not None else certificate
