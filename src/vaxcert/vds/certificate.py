"""The barcode signer certificate (``sig.cer``) and the CSCA certificates it chains to, read tolerantly.

Real seals carry signer certificates that strict X.509 parsers refuse: one public
sample encodes its ``ecdsa-with-SHA256`` algorithm with explicit NULL parameters,
which ``cryptography`` rejects outright.  A verifier needs only a few fields from
the certificate (the key, issuer, validity, serial, key identifiers) and the exact
signed bytes (``tbsCertificate``) to check its CSCA's signature, so every
certificate is read with asn1crypto, which keeps the original encoding; the keys
and signatures are then handled by ``cryptography``.  Parsing is cached by the DER
bytes: one signer signs many seals.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from ..errors import TrustError
from ..registry import RegistryPublicKey, load_spki
from .errors import CertificateError

# A DER certificate in a QR code is a few hundred bytes; CSCA files stay well below this too.
MAX_CERTIFICATE_BYTES = 16 * 1024
MAX_CRL_BYTES = 8 * 1024 * 1024

SignatureScheme = tuple[str, str | None, int | None]  # (algorithm, hash, PSS salt length)


@dataclass(frozen=True, slots=True)
class ParsedCertificate:
    """The fields of an X.509 certificate a VDS-NC verifier uses, with the bytes its issuer signed."""

    der: bytes
    spki: bytes  # DER SubjectPublicKeyInfo
    subject: str
    issuer: str
    subject_key: str  # RFC 5280-normalised names, for matching issuer to subject
    issuer_key: str
    issuer_country: str | None
    serial: int
    not_before: datetime | None
    not_after: datetime | None
    authority_key_id: bytes | None
    subject_key_id: bytes | None
    tbs: bytes
    scheme: SignatureScheme
    signature: bytes

    @property
    def authority_key_id_b64(self) -> str | None:
        """The AKI as registries write it in ICAO key ids (standard base64)."""
        return _b64(self.authority_key_id) if self.authority_key_id is not None else None

    @property
    def public_key(self) -> RegistryPublicKey:
        """The certificate's key (cached by its SPKI); raises :class:`CertificateError` when unusable."""
        try:
            return load_spki(self.spki)
        except TrustError:
            raise CertificateError("certificate.bad_key", "the certificate's public key is not usable") from None

    def valid_at(self, moment: datetime) -> bool:
        return (self.not_before is None or self.not_before <= moment) and (
            self.not_after is None or moment <= self.not_after
        )

    def signed_by(self, spki: bytes) -> bool:
        """Whether the key ``spki`` (DER SubjectPublicKeyInfo) made this certificate's signature."""
        return _signed_by_cached(self.der, spki)


@dataclass(frozen=True, slots=True)
class ParsedCrl:
    """An X.509 CRL: who issued it, which serials it lists, and the bytes its issuer signed."""

    der: bytes
    issuer_key: str
    authority_key_id: bytes | None
    revoked_serials: frozenset[int]
    next_update: datetime | None
    tbs: bytes
    scheme: SignatureScheme
    signature: bytes

    def signed_by(self, spki: bytes) -> bool:
        """Whether the key ``spki`` (DER SubjectPublicKeyInfo) signed this CRL."""
        return _crl_signed_by_cached(self.der, spki)


def decode_cer(text: Any) -> ParsedCertificate:
    """``sig.cer``: base64url (padded or not) of a DER certificate."""
    if not isinstance(text, str) or not text:
        raise CertificateError("certificate.missing", "the seal's sig.cer is missing or not text")
    if len(text) > MAX_CERTIFICATE_BYTES * 4 // 3 + 4:
        raise CertificateError("certificate.too_large", "the seal's sig.cer is too large for a certificate")
    return _decode_cer_text(text)


@functools.lru_cache(maxsize=1024)
def _decode_cer_text(text: str) -> ParsedCertificate:
    # Cached by the text itself: one signer's seals all carry the same sig.cer.
    try:
        der = base64.urlsafe_b64decode(text + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise CertificateError("certificate.bad_base64", "the seal's sig.cer is not base64url") from None
    if base64.urlsafe_b64encode(der).rstrip(b"=").decode("ascii") != text.rstrip("="):
        raise CertificateError("certificate.bad_base64", "the seal's sig.cer is not base64url")
    return parse_certificate(der)


@functools.lru_cache(maxsize=1024)
def parse_certificate(der: bytes) -> ParsedCertificate:
    """Read a DER certificate tolerantly; raises :class:`CertificateError` (``certificate.*``) for anything else."""
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise CertificateError("certificate.too_large", "the certificate is too large")
    try:
        cert = asn1_x509.Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        spki = tbs["subject_public_key_info"].dump()
        issuer, subject = tbs["issuer"], tbs["subject"]
        parsed = ParsedCertificate(
            der=der,
            spki=spki,
            subject=_readable(subject),
            issuer=_readable(issuer),
            subject_key=subject.hashable,
            issuer_key=issuer.hashable,
            issuer_country=_country(issuer),
            serial=int(tbs["serial_number"].native),
            not_before=_moment(tbs["validity"]["not_before"].native),
            not_after=_moment(tbs["validity"]["not_after"].native),
            authority_key_id=_optional(lambda: cert.authority_key_identifier),
            subject_key_id=_optional(lambda: cert.key_identifier),
            tbs=tbs.dump(),
            scheme=_scheme(cert["signature_algorithm"]),
            signature=bytes(cert["signature_value"].native),
        )
    except CertificateError:
        raise
    except Exception:  # asn1crypto raises many unrelated types for bad DER
        raise CertificateError("certificate.not_certificate", "sig.cer is not an X.509 certificate") from None
    parsed.public_key  # noqa: B018 - a certificate whose key cannot be used is refused here
    return parsed


@functools.lru_cache(maxsize=256)
def parse_crl(der: bytes) -> ParsedCrl | None:
    """Read a DER X.509 CRL tolerantly; None when it is not one (it is then ignored, not trusted)."""
    if len(der) > MAX_CRL_BYTES:
        return None
    try:
        crl = asn1_crl.CertificateList.load(der, strict=True)
        tbs = crl["tbs_cert_list"]
        revoked = tbs["revoked_certificates"]
        next_update = tbs["next_update"].native
        return ParsedCrl(
            der=der,
            issuer_key=tbs["issuer"].hashable,
            authority_key_id=_optional(lambda: crl.authority_key_identifier),
            revoked_serials=frozenset(int(entry["user_certificate"].native) for entry in revoked),
            next_update=_moment(next_update) if next_update is not None else None,
            tbs=tbs.dump(),
            scheme=_scheme(crl["signature_algorithm"]),
            signature=bytes(crl["signature"].native),
        )
    except Exception:  # asn1crypto raises many unrelated types for bad DER
        return None


@functools.lru_cache(maxsize=1024)
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def verify_signature(key: RegistryPublicKey, scheme: SignatureScheme, signature: bytes, signed: bytes) -> bool:
    """Whether ``signature`` over ``signed`` verifies with ``key`` under an X.509 signature ``scheme``."""
    algorithm, hash_name, salt = scheme
    try:
        if algorithm == "ed25519":
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return False
            key.verify(signature, signed)
            return True
        digest = _HASHES.get(hash_name or "")
        if digest is None:
            return False
        if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(digest()))
        elif algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), digest())
        elif algorithm == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(digest()), salt_length=salt if salt is not None else 20)
            key.verify(signature, signed, pss, digest())
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _signed_by_cached(der: bytes, spki: bytes) -> bool:
    cert = parse_certificate(der)
    key = _key_or_none(spki)
    return key is not None and verify_signature(key, cert.scheme, cert.signature, cert.tbs)


@functools.lru_cache(maxsize=1024)
def _crl_signed_by_cached(der: bytes, spki: bytes) -> bool:
    crl = parse_crl(der)
    key = _key_or_none(spki)
    return crl is not None and key is not None and verify_signature(key, crl.scheme, crl.signature, crl.tbs)


def _key_or_none(spki: bytes) -> RegistryPublicKey | None:
    try:
        return load_spki(spki)
    except TrustError:
        return None


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _scheme(algorithm: Any) -> SignatureScheme:
    """The issuer's signature algorithm; one vaxcert cannot check reads as ``unknown`` (its links never verify)."""
    try:
        name = str(algorithm.signature_algo)
        if name == "ed25519":
            return ("ed25519", None, None)
        salt: int | None = None
        if name == "rsassa_pss":
            salt = int(algorithm["parameters"]["salt_length"].native)
        return (name, str(algorithm.hash_algo), salt)
    except Exception:  # asn1crypto raises ValueError, KeyError, … for algorithms it does not know
        return ("unknown", None, None)


def _readable(name: Any) -> str:
    try:
        return str(name.human_friendly)
    except Exception:  # a malformed name must not make the key unusable
        return "(unreadable name)"


def _country(name: Any) -> str | None:
    try:
        country = name.native.get("country_name")
    except Exception:
        return None
    return country if isinstance(country, str) else None


def _moment(value: Any) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _optional(read: Any) -> bytes | None:
    try:
        value = read()
    except Exception:  # an unreadable extension only means the identifier is unknown
        return None
    return bytes(value) if isinstance(value, bytes) else None
