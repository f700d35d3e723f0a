"""One trust store for every framework: EU DCC, SMART Health Cards, ICAO VDS-NC and DIVOC.

Keys are indexed the way each framework names its signers:

============  ==========================================  =================================
framework     key id                                      where it comes from
============  ==========================================  =================================
``DCC``       base64 of the 8-byte kid                    registry, gateway, vaxcert list
``SHC``       ``<iss>#<kid>`` (``#<kid>``: any issuer)    registry, JWK Sets
``ICAO``      ``<country>#<base64 AuthorityKeyId>``       registry (the CSCA's key)
``DIVOC``     the issuer's DID                            registry
============  ==========================================  =================================

Besides keys, the store holds anchor certificates (a DSC, a CSCA or a barcode signer
given as a file), X.509 CRLs of CSCAs, and SHC revocation lists.  Loading the full
Path-Check snapshot (about 2,100 keys) parses no key: public keys are decoded on first
use and cached, so a checkpoint starts fast and verifies at the same speed with one
key or thousands.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ._json import TRUST_FILE, JsonFormatError, loads_bounded
from .errors import TrustError
from .summary import Status
from .trust import pem_certificate_der

Framework = Literal["DCC", "SHC", "ICAO", "DIVOC"]
FRAMEWORKS: tuple[Framework, ...] = ("DCC", "SHC", "ICAO", "DIVOC")
RegistryPublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

MAX_TRUST_FILE_BYTES = TRUST_FILE.max_bytes


class KeyStatus(StrEnum):
    CURRENT = "current"
    TERMINATED = "terminated"
    EXPIRED = "expired"
    REVOKED = "revoked"


_KEY_STATUS_TO_STATUS = {
    KeyStatus.TERMINATED: Status.TERMINATED_KEYS,
    KeyStatus.EXPIRED: Status.EXPIRED_KEYS,
    KeyStatus.REVOKED: Status.REVOKED_KEYS,
}


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One trusted signing key (or, for ICAO, the CSCA key that signs barcode signers)."""

    framework: Framework
    key_id: str
    spki: bytes  # DER SubjectPublicKeyInfo
    status: KeyStatus = KeyStatus.CURRENT
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    name: str | None = None
    certificate_chain: tuple[bytes, ...] = ()  # DER, leaf first (SHC x5c)
    crl_version: int | None = None  # SHC: the key's crlVersion from its JWK

    @property
    def public_key(self) -> RegistryPublicKey:
        """The decoded key; raises :class:`TrustError` (``trust.bad_key``) for an unusable SPKI."""
        return load_spki(self.spki)

    def status_at(self, moment: datetime) -> KeyStatus:
        """The registry status, or ``expired`` when ``moment`` lies outside the validity window."""
        if self.status is not KeyStatus.CURRENT:
            return self.status
        if (self.valid_from and moment < self.valid_from) or (self.valid_until and moment > self.valid_until):
            return KeyStatus.EXPIRED
        return KeyStatus.CURRENT

    def failure_at(self, moment: datetime) -> Status | None:
        """The verification status this key imposes at ``moment`` (None when the key is usable)."""
        status = self.status_at(moment)
        # The usable key, on every verification, skips the lookup: an enum member hashes in Python.
        return None if status is KeyStatus.CURRENT else _KEY_STATUS_TO_STATUS.get(status)


@dataclass(frozen=True, slots=True)
class ShcRevocationList:
    """An SMART Health Cards revocation list for one key (``/.well-known/crl/<kid>.json``).

    ``rids`` maps a revocation id to the moment before which credentials are revoked
    (``rid.timestamp``), or to None when every credential with that id is revoked.
    """

    kid: str
    ctr: int
    rids: Mapping[str, datetime | None]

    def revokes(self, rid: str, not_before: datetime | None) -> bool:
        if rid not in self.rids:
            return False
        cutoff = self.rids[rid]
        return cutoff is None or (not_before is not None and not_before < cutoff)


@dataclass(frozen=True, slots=True)
class TrustRegistry:
    """Immutable multi-framework trust: build with the ``load_*``/``with_*`` helpers, query with the lookups."""

    keys: Mapping[tuple[Framework, str], TrustedKey] = field(default_factory=dict)
    anchors: tuple[bytes, ...] = ()  # DER certificates trusted as given (DSC, CSCA or barcode signer)
    x509_crls: tuple[bytes, ...] = ()  # DER CRLs of CSCAs
    shc_revocations: Mapping[str, ShcRevocationList] = field(default_factory=dict)
    # Registry entries left out because they carry no usable key ("ICAO#<id>"); a
    # snapshot with one broken entry must not disable every other issuer.
    skipped_entries: tuple[str, ...] = ()

    # -- lookups ---------------------------------------------------------------------------
    def key(self, framework: Framework, key_id: str) -> TrustedKey | None:
        return self.keys.get((framework, key_id))

    def shc_keys(self, issuer: str, kid: str) -> tuple[TrustedKey, ...]:
        """Keys for an SHC ``iss``/``kid``: the issuer's own first, then keys trusted for any issuer."""
        found = [self.keys.get(("SHC", f"{issuer}#{kid}")), self.keys.get(("SHC", f"#{kid}"))]
        return tuple(key for key in found if key is not None)

    def shc_revocation(self, kid: str) -> ShcRevocationList | None:
        return self.shc_revocations.get(kid)

    def frameworks(self) -> dict[Framework, int]:
        counts: dict[Framework, int] = dict.fromkeys(FRAMEWORKS, 0)
        for framework, _ in self.keys:
            counts[framework] += 1
        return counts

    def __len__(self) -> int:
        return len(self.keys) + len(self.anchors)

    # -- building ---------------------------------------------------------------------------
    def merged(self, other: TrustRegistry) -> TrustRegistry:
        """This registry with ``other``'s entries added; ``other`` wins for the same key."""
        return TrustRegistry(
            keys={**self.keys, **other.keys},
            anchors=_unique(self.anchors + other.anchors),
            x509_crls=_unique(self.x509_crls + other.x509_crls),
            shc_revocations={**self.shc_revocations, **other.shc_revocations},
            skipped_entries=self.skipped_entries + other.skipped_entries,
        )

    @classmethod
    def from_registry(cls, document: Any) -> TrustRegistry:
        """Read the Path-Check ``registry_normalized.json`` shape: ``{framework: {key id: entry}}``."""
        if not isinstance(document, dict):
            raise TrustError("trust.bad_registry", "a trust registry is a JSON object of frameworks")
        keys: dict[tuple[Framework, str], TrustedKey] = {}
        skipped: list[str] = []
        for framework in FRAMEWORKS:
            entries = document.get(framework, {})
            if not isinstance(entries, dict):
                raise TrustError("trust.bad_registry", f"registry section {framework} is not an object")
            for key_id, entry in entries.items():
                if isinstance(entry, dict) and not isinstance(entry.get("publicKey"), str):
                    skipped.append(f"{framework}#{str(key_id)[:80]}")
                    continue
                keys[(framework, key_id)] = _registry_entry(framework, key_id, entry)
        return cls(keys=keys, skipped_entries=tuple(skipped))

    @classmethod
    def from_jwks(cls, document: Any, issuer: str | None = None) -> TrustRegistry:
        """Trust a JWK Set's keys for SHC ``issuer`` (default: the set's ``iss`` member; none: any issuer)."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise TrustError("trust.bad_jwks", "a JWK Set is a JSON object with a 'keys' array")
        issuer = issuer if issuer is not None else document.get("iss") if isinstance(document.get("iss"), str) else ""
        keys: dict[tuple[Framework, str], TrustedKey] = {}
        for jwk in document["keys"]:
            trusted = jwk_to_trusted_key(jwk, issuer or "")
            if trusted is not None:
                keys[("SHC", trusted.key_id)] = trusted
        return cls(keys=keys)

    @classmethod
    def from_certificates(cls, certificates: Iterable[bytes]) -> TrustRegistry:
        """Anchor certificates, each DER or PEM."""
        return cls(anchors=_unique(tuple(_certificate_der(data) for data in certificates)))

    @classmethod
    def from_shc_revocation_list(cls, document: Any) -> TrustRegistry:
        crl = parse_shc_revocation_list(document)
        return cls(shc_revocations={crl.kid: crl})

    @classmethod
    def from_x509_crl(cls, data: bytes) -> TrustRegistry:
        try:
            crl = x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_crl(data)
        except ValueError:
            raise TrustError("trust.bad_crl", "not an X.509 CRL (PEM or DER)") from None
        return cls(x509_crls=(crl.public_bytes(serialization.Encoding.DER),))

    @classmethod
    def load(
        cls,
        *,
        registries: Iterable[str | Path] = (),
        jwks: Iterable[str | Path] = (),
        certificates: Iterable[str | Path] = (),
        crls: Iterable[str | Path] = (),
    ) -> TrustRegistry:
        """Build a registry from files, merged in argument order (a later registry file wins).

        ``crls`` may be SHC revocation lists (JSON) or X.509 CRLs (PEM or DER).
        """
        registry = cls()
        for path in registries:
            registry = registry.merged(cls.from_registry(_read_json(path)))
        for path in jwks:
            registry = registry.merged(cls.from_jwks(_read_json(path)))
        registry = registry.merged(cls.from_certificates(_read(path) for path in certificates))
        for path in crls:
            data = _read(path)
            if data.lstrip()[:1] == b"{":
                registry = registry.merged(cls.from_shc_revocation_list(_parse_json(data, path)))
            else:
                registry = registry.merged(cls.from_x509_crl(data))
        return registry


# -- parsing helpers --------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def load_spki(der: bytes) -> RegistryPublicKey:
    """Decode a SubjectPublicKeyInfo once; later calls for the same bytes are a dictionary hit."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
        raise TrustError("trust.bad_key", "the trusted key is not a usable public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise TrustError("trust.bad_key", f"unsupported key type {type(key).__name__}")
    return key


def parse_time(value: Any) -> datetime | None:
    """Registry timestamps: ISO 8601, ``Z`` or an offset; tolerant of impossible dates seen in the wild."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TrustError("trust.bad_registry", "a registry timestamp is not text")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # The public snapshot holds "2021-02-29": read it as the day after the 28th.
        match = re.match(r"^(\d{4})-02-(29|30)(.*)$", text)
        if not match:
            raise TrustError("trust.bad_registry", f"unreadable registry timestamp {value[:40]!r}") from None
        moment = datetime.fromisoformat(f"{match.group(1)}-03-0{int(match.group(2)) - 28}{match.group(3)}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _registry_entry(framework: Framework, key_id: Any, entry: Any) -> TrustedKey:
    if not isinstance(key_id, str) or not isinstance(entry, dict):
        raise TrustError("trust.bad_registry", f"a {framework} registry entry is not an object")
    try:
        status = KeyStatus(entry.get("status", "current"))
    except ValueError:
        raise TrustError("trust.bad_registry", f"unknown key status in {framework} entry") from None
    spki = _b64(entry.get("publicKey"), "trust.bad_registry")
    display = entry.get("displayName")
    name = display.get("en") if isinstance(display, dict) else display if isinstance(display, str) else None
    return TrustedKey(
        framework=framework,
        key_id=key_id,
        spki=spki,
        status=status,
        valid_from=parse_time(entry.get("validFromDT")),
        valid_until=parse_time(entry.get("validUntilDT")),
        name=name if isinstance(name, str) else None,
    )


def jwk_to_trusted_key(jwk: Any, issuer: str) -> TrustedKey | None:
    """An SHC issuer key from a JWK; None for keys not meant for signing (e.g. ``use: enc``)."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
        raise TrustError("trust.bad_jwks", "a JWK without a kid")
    if jwk.get("use") not in (None, "sig"):
        return None
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "EC" and crv in _CURVES:
            x = int.from_bytes(_b64url(jwk.get("x")), "big")
            y = int.from_bytes(_b64url(jwk.get("y")), "big")
            public: RegistryPublicKey = ec.EllipticCurvePublicNumbers(x, y, _CURVES[crv]).public_key()
        elif kty == "RSA":
            n = int.from_bytes(_b64url(jwk.get("n")), "big")
            e = int.from_bytes(_b64url(jwk.get("e")), "big")
            public = rsa.RSAPublicNumbers(e, n).public_key()
        elif kty == "OKP" and crv == "Ed25519":
            public = ed25519.Ed25519PublicKey.from_public_bytes(_b64url(jwk.get("x")))
        else:
            raise TrustError("trust.bad_jwks", f"unsupported JWK key type {str(kty)[:20]}/{str(crv)[:20]}")
    except ValueError as exc:
        if isinstance(exc, TrustError):
            raise
        raise TrustError("trust.bad_jwks", "a JWK's key parameters do not form a valid key") from None
    chain = tuple(_b64(item, "trust.bad_jwks") for item in jwk.get("x5c", []) if isinstance(item, str))
    crl_version = jwk.get("crlVersion")
    return TrustedKey(
        framework="SHC",
        key_id=f"{issuer}#{jwk['kid']}",
        spki=public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        certificate_chain=chain,
        crl_version=crl_version if isinstance(crl_version, int) else None,
    )


_CURVES: dict[str, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


def parse_shc_revocation_list(document: Any) -> ShcRevocationList:
    if not isinstance(document, dict):
        raise TrustError("trust.bad_crl", "an SHC revocation list is a JSON object")
    kid, method, ctr, rids = document.get("kid"), document.get("method"), document.get("ctr"), document.get("rids")
    if not isinstance(kid, str) or method != "rid" or not isinstance(ctr, int) or not isinstance(rids, list):
        raise TrustError("trust.bad_crl", "an SHC revocation list needs kid, method 'rid', ctr and rids")
    entries: dict[str, datetime | None] = {}
    for item in rids:
        if not isinstance(item, str):
            raise TrustError("trust.bad_crl", "an SHC revocation id is not text")
        rid, _, stamp = item.partition(".")
        try:
            entries[rid] = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
        except (ValueError, OverflowError, OSError):
            raise TrustError("trust.bad_crl", "an SHC revocation timestamp is not a number of seconds") from None
    return ShcRevocationList(kid=kid, ctr=ctr, rids=entries)


def _b64(value: Any, code: str) -> bytes:
    if not isinstance(value, str):
        raise TrustError(code, "a key or certificate is missing or not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise TrustError(code, "a key or certificate is not valid base64") from None


def _b64url(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("missing JWK member")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _certificate_der(data: bytes) -> bytes:
    return pem_certificate_der(data) if b"-----BEGIN" in data else data


def _read(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            # read(n) allocates n bytes up front: ask for the file's size (plus one byte, to
            # notice a file that grew), not the 64 MB limit; pipes report 0 and read in chunks.
            size = os.fstat(handle.fileno()).st_size
            limit = MAX_TRUST_FILE_BYTES + 1
            data = handle.read(min(size + 1, limit)) if size else _read_chunks(handle, limit)
            if len(data) == size + 1 and len(data) < limit:  # it grew since fstat
                data += _read_chunks(handle, limit - len(data))
    except OSError as exc:
        raise TrustError("trust.unreadable", f"cannot read trust file {path}: {exc.strerror}") from None
    if len(data) > MAX_TRUST_FILE_BYTES:
        raise TrustError("trust.too_large", f"trust file {path} exceeds {MAX_TRUST_FILE_BYTES} bytes")
    return data


def _read_chunks(handle: BinaryIO, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := handle.read(min(1 << 20, limit - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_json(path: str | Path) -> Any:
    return _parse_json(_read(path), path)


def _parse_json(data: bytes, path: str | Path) -> Any:
    try:
        return loads_bounded(data, TRUST_FILE)
    except JsonFormatError as exc:
        raise TrustError(f"trust.{exc.reason}", f"trust file {path}: {exc}") from None


def _unique(items: tuple[bytes, ...]) -> tuple[bytes, ...]:
    return tuple(dict.fromkeys(items))
