"""Trusted Document Signer Certificates (DSCs) and the kid -> DSC lookup.

Real test and production DSCs sometimes carry extensions that
``cryptography`` refuses (e.g. a DER-encoded default in BasicConstraints).
The public key, validity and EKU are still readable, so parsing falls back
to asn1crypto field by field instead of rejecting the certificate.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from .cose import PublicKey
from .errors import TrustError

# hcert-spec Appendix A.4, plus the ".0." arc used by real test and production DSCs.
EKU_TEST = ("1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.0.1847.2021.1.1")
EKU_VACCINATION = ("1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.4.1.0.1847.2021.1.2")
EKU_RECOVERY = ("1.3.6.1.4.1.1847.2021.1.3", "1.3.6.1.4.1.0.1847.2021.1.3")
_TYPE_BY_EKU = {
    oid: kind for kinds, kind in ((EKU_TEST, "t"), (EKU_VACCINATION, "v"), (EKU_RECOVERY, "r")) for oid in kinds
}
ALL_TYPES = frozenset({"v", "t", "r"})
_EKU_EXTENSION_OID = ExtensionOID.EXTENDED_KEY_USAGE.dotted_string


def kid_for(der: bytes) -> bytes:
    """The HCERT key identifier: the first 8 bytes of SHA-256 over the DSC's DER."""
    return hashlib.sha256(der).digest()[:8]


def pem_certificate_der(data: bytes) -> bytes:
    """The DER between a PEM certificate's markers.

    Not a strict PEM parse: the DER may be one that ``cryptography`` refuses but the
    asn1crypto fallback can still read (see the module docstring).
    """
    body = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.DOTALL)
    try:
        der = base64.b64decode(b"".join(body.group(1).split()), validate=True) if body else b""
    except ValueError:
        der = b""
    if not der:
        raise TrustError("trust.bad_certificate", "not a PEM certificate")
    return der


@dataclass(frozen=True, slots=True)
class DocumentSignerCertificate:
    """A DSC: the X.509 certificate whose key signs health certificates."""

    der: bytes
    public_key: PublicKey
    kid: bytes
    subject: str
    country: str | None
    not_before: datetime | None
    not_after: datetime | None
    # None: no HCERT EKU present, so the DSC may sign every certificate type; empty: a
    # critical EKU without HCERT purposes, so it may sign none.
    allowed_types: frozenset[str] | None

    @classmethod
    def from_der(cls, der: bytes) -> DocumentSignerCertificate:
        try:
            cert: x509.Certificate | None = x509.load_der_x509_certificate(der)
        except ValueError:
            cert = None
        fallback = _Asn1Fallback(der)
        if cert is None and fallback.tbs is None:
            raise TrustError("trust.bad_certificate", "not a DER-encoded X.509 certificate")
        return cls(
            der=der,
            public_key=_public_key(cert, fallback),
            kid=kid_for(der),
            subject=_subject(cert, fallback),
            country=_country(cert, fallback),
            not_before=_validity(cert, fallback, "not_before"),
            not_after=_validity(cert, fallback, "not_after"),
            allowed_types=_allowed_types(cert, fallback),
        )

    @classmethod
    def from_pem(cls, pem: bytes | str) -> DocumentSignerCertificate:
        text = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
        return cls.from_der(pem_certificate_der(text))

    @classmethod
    def load(cls, path: str | Path) -> DocumentSignerCertificate:
        """Read a PEM or DER certificate file."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TrustError("trust.unreadable", f"cannot read certificate {path}: {exc.strerror}") from None
        if b"-----BEGIN" in data:
            return cls.from_pem(data)
        return cls.from_der(data)

    @property
    def kid_b64(self) -> str:
        return base64.b64encode(self.kid).decode("ascii")

    def may_sign(self, certificate_type: str) -> bool:
        """Whether the DSC's EKU lets it sign a ``v``, ``t`` or ``r`` certificate."""
        return self.allowed_types is None or certificate_type in self.allowed_types

    def is_valid_at(self, moment: datetime, skew: timedelta = timedelta(0)) -> bool:
        """Whether ``moment`` lies in the DSC's validity window, widened by ``skew`` on both sides."""
        return (self.not_before is None or self.not_before <= moment + skew) and (
            self.not_after is None or moment - skew <= self.not_after
        )

    def pem(self) -> str:
        body = base64.encodebytes(self.der).decode("ascii").replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True, slots=True)
class TrustSource:
    """Where a :class:`TrustStore` came from, so verification can judge its freshness."""

    description: str
    sequence: int
    next_update: datetime
    fail_when_stale: bool = True

    def is_stale(self, at: datetime) -> bool:
        return at > self.next_update


@dataclass(frozen=True, slots=True)
class TrustStore:
    """Trusted DSCs indexed by kid.  A kid may map to several DSCs (8-byte collisions).

    ``source`` is None for certificates given directly (``--trust-cert``) and
    describes the signed trust list otherwise.
    """

    by_kid: Mapping[bytes, tuple[DocumentSignerCertificate, ...]] = field(default_factory=dict)
    source: TrustSource | None = None

    @classmethod
    def of(cls, certificates: Iterable[DocumentSignerCertificate], source: TrustSource | None = None) -> TrustStore:
        index: dict[bytes, tuple[DocumentSignerCertificate, ...]] = {}
        for dsc in certificates:
            known = index.get(dsc.kid, ())
            if all(existing.der != dsc.der for existing in known):
                index[dsc.kid] = (*known, dsc)
        return cls(index, source)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> TrustStore:
        return cls.of(DocumentSignerCertificate.load(path) for path in paths)

    def candidates(self, kid: bytes | None) -> tuple[DocumentSignerCertificate, ...]:
        return self.by_kid.get(kid, ()) if kid else ()

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_kid.values())

    def __bool__(self) -> bool:
        # Without this, truthiness would fall back to __len__ and count every DSC.
        return bool(self.by_kid)


class _Asn1Fallback:
    """asn1crypto's view of the certificate, parsed only if cryptography fails."""

    def __init__(self, der: bytes) -> None:
        self._der = der
        self._parsed = False
        self._tbs: Any = None

    @property
    def tbs(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                tbs = asn1_x509.Certificate.load(self._der)["tbs_certificate"]
                # Parse the key now so non-certificate DER fails here; other
                # fields are parsed (and may fail) one by one on access.
                tbs["subject_public_key_info"].native  # noqa: B018
                self._tbs = tbs
            except Exception:  # asn1crypto raises many unrelated types for bad DER
                self._tbs = None
        return self._tbs


def _public_key(cert: x509.Certificate | None, fallback: _Asn1Fallback) -> PublicKey:
    key: object
    try:
        if cert is not None:
            key = cert.public_key()
        else:
            key = serialization.load_der_public_key(fallback.tbs["subject_public_key_info"].dump())
    except (ValueError, TypeError, KeyError, x509.UnsupportedGeneralNameType) as exc:
        raise TrustError("trust.bad_public_key", f"the certificate's public key is unusable ({exc})") from None
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise TrustError("trust.bad_public_key", f"unsupported public key type {type(key).__name__}")
    return key


def _subject(cert: x509.Certificate | None, fallback: _Asn1Fallback) -> str:
    try:
        if cert is not None:
            return cert.subject.rfc4514_string()
        return str(fallback.tbs["subject"].human_friendly)
    except Exception:  # a malformed name must not make the key unusable
        return "(unreadable subject)"


def _country(cert: x509.Certificate | None, fallback: _Asn1Fallback) -> str | None:
    try:
        if cert is not None:
            values = cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
            return str(values[0].value) if values else None
        country = fallback.tbs["subject"].native.get("country_name")
        return str(country) if country else None
    except Exception:
        return None


def _validity(cert: x509.Certificate | None, fallback: _Asn1Fallback, which: str) -> datetime | None:
    try:
        if cert is not None:
            return cert.not_valid_before_utc if which == "not_before" else cert.not_valid_after_utc
        value = fallback.tbs["validity"][which].native
        return value.astimezone(UTC) if isinstance(value, datetime) else None
    except Exception:
        return None


def _allowed_types(cert: x509.Certificate | None, fallback: _Asn1Fallback) -> frozenset[str] | None:
    """The HCERT types the DSC may sign; None for all of them."""
    found: tuple[list[str], bool] | None = None
    if cert is not None:
        try:
            extension = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
            found = [oid.dotted_string for oid in extension.value], extension.critical
        except x509.ExtensionNotFound:
            return None
        except ValueError:
            found = None  # an unrelated malformed extension; read EKU with asn1crypto
    if found is None and fallback.tbs is not None:
        found = _eku_from_asn1(fallback.tbs)
    if found is None:
        return None
    oids, critical = found
    types = frozenset(_TYPE_BY_EKU[oid] for oid in oids if oid in _TYPE_BY_EKU)
    if types:
        return types
    # No HCERT OID.  A non-critical EKU is a hint for other software and leaves every type
    # allowed (hcert-spec A.4); a critical one limits the key to the purposes it lists
    # (RFC 5280 §4.2.1.12), and signing health certificates is not one of them.
    return frozenset() if critical else None


def _eku_from_asn1(tbs: Any) -> tuple[list[str], bool] | None:
    try:
        for extension in tbs["extensions"]:
            if extension["extn_id"].dotted == _EKU_EXTENSION_OID:
                oids = [purpose.dotted for purpose in extension["extn_value"].parsed]
                return oids, bool(extension["critical"].native)
    except Exception:
        return None
    return None
