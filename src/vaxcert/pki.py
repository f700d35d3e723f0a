"""Creating CSCA and DSC certificates (development PKI and the trust tooling).

Profiles follow the EU certificate governance guide: a two-level hierarchy,
CSCA with keyCertSign and pathLen 0, DSC with digitalSignature, AKI = CSCA
SKI, and the HCERT EKU OIDs restricting which certificate types it signs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from .cose import CoseAlgorithm
from .keys import PrivateKey
from .trust import EKU_RECOVERY, EKU_TEST, EKU_VACCINATION, DocumentSignerCertificate

if TYPE_CHECKING:
    from .hsm import HsmSession

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
    subject: x509.Name | None = None,
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
        .subject_name(subject or _name(common_name, country, organisation))
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


def sign_csr(
    csca: IssuedKeyPair,
    csr_der: bytes,
    *,
    certificate_types: Iterable[str],
    valid_from: datetime | None = None,
    validity: timedelta = timedelta(days=2 * 365),
) -> x509.Certificate:
    """The CSCA's DSC for a CSR (e.g. one made by :func:`csr_for_hsm_key`), after checking its signature."""
    try:
        request = x509.load_der_x509_csr(csr_der)
    except ValueError:
        try:
            request = x509.load_pem_x509_csr(csr_der)
        except ValueError as exc:
            raise ValueError(f"not a certificate signing request ({exc})") from None
    if not request.is_signature_valid:
        raise ValueError("the CSR's signature does not match its public key")
    public_key = request.public_key()
    if not isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise ValueError("the CSR's key is neither EC nor RSA")
    result = create_dsc(
        csca,
        subject=request.subject,
        public_key=public_key,
        certificate_types=certificate_types,
        valid_from=valid_from,
        validity=validity,
    )
    assert isinstance(result, x509.Certificate)
    return result


def csr_for_hsm_key(
    session: HsmSession,
    key_label: str,
    common_name: str,
    country: str = "VN",
    organisation: str | None = "Ministry of Health",
) -> bytes:
    """A DER PKCS#10 request for an HSM key, signed inside the HSM (proof of possession)."""
    from asn1crypto import csr as asn1_csr
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509

    public_key = session.public_key(key_label)
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    name = {"country_name": country, "common_name": common_name}
    if organisation:
        name["organization_name"] = organisation
    info = asn1_csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1_x509.Name.build(name),
            "subject_pk_info": asn1_keys.PublicKeyInfo.load(spki),
            "attributes": [],
        }
    )
    handle = session.private_key_handle(key_label)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        raw = session.sign(handle, CoseAlgorithm.ES256, info.dump())
        signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        algorithm = "sha256_ecdsa"
    else:
        signature = session.sign_pkcs1(handle, info.dump())
        algorithm = "sha256_rsa"
    request = asn1_csr.CertificationRequest(
        {"certification_request_info": info, "signature_algorithm": {"algorithm": algorithm}, "signature": signature}
    )
    return bytes(request.dump())


@dataclass(frozen=True, slots=True)
class DscAdvice:
    """What a key custodian should know about a DSC at a given moment."""

    can_sign: bool
    warnings: tuple[str, ...]


# EU certificate governance: a DSC private key is used for at most 6 months.
KEY_USAGE_PERIOD = timedelta(days=182)
WARNING_MARGIN = timedelta(days=30)


def advise_dsc(
    dsc: DocumentSignerCertificate, at: datetime, certificate_lifetime: timedelta = timedelta(days=365)
) -> DscAdvice:
    """Check a DSC against the validity rules: it must outlive every certificate it signs.

    ``can_sign`` is False when a certificate signed now (valid for
    ``certificate_lifetime``) would outlive the DSC, or the DSC is not yet valid.
    """
    warnings: list[str] = []
    can_sign = True
    if dsc.not_before is not None and at < dsc.not_before:
        can_sign = False
        warnings.append(f"the DSC is valid only from {dsc.not_before:%Y-%m-%d}")
    if dsc.not_after is not None:
        last_signing_day = dsc.not_after - certificate_lifetime
        if at > last_signing_day:
            can_sign = False
            warnings.append(
                f"certificates signed now would outlive the DSC ({dsc.not_after:%Y-%m-%d}); "
                f"the last signing day was {last_signing_day:%Y-%m-%d}"
            )
        elif last_signing_day - at < WARNING_MARGIN:
            warnings.append(f"the DSC can sign only until {last_signing_day:%Y-%m-%d}: prepare its successor")
    if dsc.not_before is not None:
        usage_end = dsc.not_before + KEY_USAGE_PERIOD
        if at > usage_end:
            warnings.append(f"the key-usage period (6 months) ended {usage_end:%Y-%m-%d}: rotate to a new DSC")
        elif usage_end - at < WARNING_MARGIN:
            warnings.append(f"the key-usage period ends {usage_end:%Y-%m-%d}: prepare a new DSC")
    return DscAdvice(can_sign, tuple(warnings))
