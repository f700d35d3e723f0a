"""Signed trust lists: which signers of every framework a verifier trusts.

A trust list is a CBOR document (format in ``spec/trust-list.md``) signed as a
COSE_Sign1 by a trust-list signer whose certificate verifiers pin as an
*anchor*.  Format 1 carried EU DCC DSCs only; format 2 adds keys of every
framework (SHC issuers, ICAO CSCAs, DIVOC issuers, DCC keys known by kid and
SPKI), X.509 CRLs and SHC revocation lists.  Both formats load.  Several
anchors can be pinned at once, so the signer can rotate without reinstalling
verifiers.  Everything here is pure: reading files and
fetching URLs happens in the ``trust_list`` tools and the verifier CLI.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from . import signed
from ._cbor import MAP_TYPES, SIGNED_LIST, CborFormatError, loads_strict
from ._json import TRUST_FILE, JsonFormatError, loads_bounded
from .errors import TrustError, VaxcertError
from .keys import Signer
from .registry import (
    FRAMEWORKS,
    Framework,
    KeyStatus,
    ShcRevocationList,
    TrustedKey,
    TrustRegistry,
    jwk_to_trusted_key,
    load_spki,
    parse_shc_revocation_list,
)
from .trust import ALL_TYPES, DocumentSignerCertificate, TrustSource, TrustStore, kid_for

FORMAT_VERSION = 2
SUPPORTED_FORMATS = frozenset({1, 2})
# A key id or display name longer than this is no real signer's: the entry is left out.
MAX_KEY_ID_CHARS = 1024
MAX_NAME_CHARS = 256
CONTENT_TYPE = "application/vnd.vaxcert.trust-list+cbor"

# The trust-list signer's certificate is parsed like a DSC (kid, public key).
AnchorCertificate = DocumentSignerCertificate


TrustListError = signed.SignedDocumentError


@dataclass(frozen=True)
class TrustListEntry:
    """One trusted DSC and what the list allows it to sign.

    The certificate is kept as DER and parsed on first use: a verifier that
    loads a list of thousands of DSCs parses only those whose kid it meets.
    """

    country: str
    der: bytes
    types: frozenset[str] = ALL_TYPES
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    # The certificate when the caller already has it parsed; otherwise parsed from der on first use.
    parsed: DocumentSignerCertificate | None = field(default=None, compare=False, repr=False, kw_only=True)

    @classmethod
    def for_certificate(
        cls,
        country: str,
        certificate: DocumentSignerCertificate,
        types: frozenset[str] = ALL_TYPES,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> TrustListEntry:
        return cls(country, certificate.der, types, valid_from, valid_until, parsed=certificate)

    @functools.cached_property
    def kid(self) -> bytes:
        return kid_for(self.der)

    @functools.cached_property
    def certificate(self) -> DocumentSignerCertificate:
        return self.parsed or DocumentSignerCertificate.from_der(self.der)

    def trusted_certificate(self) -> DocumentSignerCertificate:
        """The DSC as the verifier should use it: EKU and list restrictions combined."""
        eku = self.certificate.allowed_types
        types = self.types if eku is None else self.types & eku
        not_before = _later(self.certificate.not_before, self.valid_from)
        not_after = _earlier(self.certificate.not_after, self.valid_until)
        return replace(self.certificate, allowed_types=types, not_before=not_before, not_after=not_after)


class _LazyKidIndex(Mapping[bytes, tuple[DocumentSignerCertificate, ...]]):
    """kid -> trusted DSCs, parsing each entry's certificate on first lookup."""

    def __init__(self, entries: Iterable[TrustListEntry]) -> None:
        self._entries: dict[bytes, list[TrustListEntry]] = {}
        for entry in entries:
            self._entries.setdefault(entry.kid, []).append(entry)
        self._parsed: dict[bytes, tuple[DocumentSignerCertificate, ...]] = {}

    def __getitem__(self, kid: bytes) -> tuple[DocumentSignerCertificate, ...]:
        found = self._parsed.get(kid)
        if found is None:
            usable = []
            for entry in self._entries[kid]:
                try:
                    usable.append(entry.trusted_certificate())
                except VaxcertError:
                    continue  # an unparsable certificate cannot verify anything
            found = self._parsed[kid] = tuple(usable)
        return found

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class RejectedEntry:
    """An entry left out of a list, with the reason (shown by ``trust show``)."""

    description: str
    reason: str


@dataclass(frozen=True, slots=True)
class TrustListContent:
    sequence: int
    issued_at: datetime
    next_update: datetime
    entries: tuple[TrustListEntry, ...]
    cscas: tuple[bytes, ...] = ()
    keys: tuple[TrustedKey, ...] = ()
    x509_crls: tuple[bytes, ...] = ()  # DER CRLs of CSCAs (ICAO)
    shc_revocations: tuple[ShcRevocationList, ...] = ()
    format_version: int = FORMAT_VERSION  # of the list it was read from; encode() always writes the current one

    def encode(self) -> bytes:
        document: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "sequence": self.sequence,
            "issued_at": int(self.issued_at.timestamp()),
            "next_update": int(self.next_update.timestamp()),
            "entries": [_encode_entry(entry) for entry in self.entries],
        }
        if self.cscas:
            document["cscas"] = list(self.cscas)
        if self.keys:
            document["keys"] = [_encode_key(key) for key in self.keys]
        if self.x509_crls:
            document["x509_crls"] = list(self.x509_crls)
        if self.shc_revocations:
            document["shc_revocations"] = [_encode_shc_revocations(crl) for crl in self.shc_revocations]
        return cbor2.dumps(document, canonical=True)

    def counts(self) -> dict[Framework, int]:
        """Keys per framework, the list's DSCs counted under DCC (no certificate is parsed)."""
        counts = dict.fromkeys(FRAMEWORKS, 0)
        counts["DCC"] += len(self.entries)
        for key in self.keys:
            counts[key.framework] += 1
        return counts


@dataclass(frozen=True, slots=True)
class VerifiedTrustList:
    """A trust list whose signature checked out against a pinned anchor."""

    content: TrustListContent
    signer: AnchorCertificate
    rejected: tuple[RejectedEntry, ...] = ()

    @property
    def sequence(self) -> int:
        return self.content.sequence

    def is_stale(self, at: datetime) -> bool:
        """After ``next_update`` the list may be out of date: a distinct state, not an error."""
        return at > self.content.next_update

    def trust_store(self, *, fail_when_stale: bool = True) -> TrustStore:
        """The HCERT view: the list's DSCs by kid (its other keys are in :meth:`registry`)."""
        source = TrustSource(
            description=f"trust list #{self.content.sequence}",
            sequence=self.content.sequence,
            next_update=self.content.next_update,
            fail_when_stale=fail_when_stale,
        )
        return TrustStore(_LazyKidIndex(self.content.entries), source)

    def registry(self) -> TrustRegistry:
        """The multi-framework view: every key of the list, ICAO certificates as anchors, the CRLs.

        The list's DSCs become DCC keys by kid with the list's validity window, each
        certificate parsed on first lookup; their certificate-type restrictions (v/t/r)
        are enforced only by :meth:`trust_store`.  A key the list carries explicitly
        wins over a DSC with the same kid.  Staleness
        is the caller's check (:meth:`is_stale`): a registry has no expiry of its own.
        """
        anchors = [
            key.certificate_chain[0] for key in self.content.keys if key.framework == "ICAO" and key.certificate_chain
        ]
        keys = _LazyKeys(self.content.entries, self.content.keys)
        return TrustRegistry(
            keys=keys,
            anchors=tuple(dict.fromkeys(anchors)),
            x509_crls=self.content.x509_crls,
            shc_revocations={crl.kid: crl for crl in self.content.shc_revocations},
        )


def build(
    entries: Iterable[TrustListEntry],
    *,
    sequence: int,
    issued_at: datetime,
    next_update: datetime,
    cscas: Iterable[bytes] = (),
    keys: Iterable[TrustedKey] = (),
    x509_crls: Iterable[bytes] = (),
    shc_revocations: Iterable[ShcRevocationList] = (),
) -> TrustListContent:
    """Assemble list content; refuses bad sequence numbers and an inverted window.

    Duplicate DSCs and CRLs are kept once; for keys with the same framework and id,
    and SHC revocation lists for the same kid, the later one wins (as when
    registries are merged).
    """
    if sequence < 0:
        raise TrustListError("trustlist.bad_sequence", "the sequence number must not be negative")
    if next_update <= issued_at:
        raise TrustListError("trustlist.bad_window", "next_update must be after issued_at")
    unique: dict[bytes, TrustListEntry] = {}
    for entry in entries:
        unique.setdefault(entry.der, entry)
    unique_keys = {(key.framework, key.key_id): key for key in keys}
    unique_revocations = {crl.kid: crl for crl in shc_revocations}
    return TrustListContent(
        sequence,
        issued_at,
        next_update,
        tuple(unique.values()),
        tuple(dict.fromkeys(cscas)),
        tuple(unique_keys.values()),
        tuple(dict.fromkeys(x509_crls)),
        tuple(unique_revocations.values()),
    )


def sign(content: TrustListContent, signer: Signer) -> bytes:
    """COSE_Sign1 over the encoded content, by the trust-list signer (PEM or HSM key)."""
    return signed.sign(content.encode(), CONTENT_TYPE, signer)


def verify(
    data: bytes,
    anchors: Sequence[AnchorCertificate],
    *,
    minimum_sequence: int | None = None,
) -> VerifiedTrustList:
    """Check a signed list against the pinned anchors and the last accepted sequence number.

    Raises :class:`TrustListError` (``trustlist.*`` codes) for anything that
    must not be trusted.  Entries whose kid does not match their certificate,
    or that do not chain to a CSCA the list carries, keys that are not usable
    public keys, and CRLs that do not parse are left out one by one and listed
    in ``rejected``.  Lists of every supported format (1 and 2) load.
    Staleness is not an error here: see :meth:`VerifiedTrustList.is_stale`.
    """
    payload, signer = signed.verify(data, CONTENT_TYPE, anchors, "trustlist")
    content, rejected = _decode_content(payload)
    if minimum_sequence is not None and content.sequence < minimum_sequence:
        raise TrustListError(
            "trustlist.rollback",
            f"sequence {content.sequence} is older than the accepted list #{minimum_sequence}",
        )
    return VerifiedTrustList(content, signer, tuple(rejected))


def _encode_entry(entry: TrustListEntry) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "kid": entry.kid,
        "country": entry.country,
        "certificate": entry.der,
        "types": sorted(entry.types),
    }
    if entry.valid_from is not None:
        encoded["valid_from"] = int(entry.valid_from.timestamp())
    if entry.valid_until is not None:
        encoded["valid_until"] = int(entry.valid_until.timestamp())
    return encoded


def _encode_key(key: TrustedKey) -> dict[str, Any]:
    encoded: dict[str, Any] = {"framework": key.framework, "id": key.key_id, "key": key.spki}
    if key.status is not KeyStatus.CURRENT:
        encoded["status"] = key.status.value
    # Whole seconds, rounded inwards: a list never widens a key's validity window.
    if key.valid_from is not None:
        encoded["valid_from"] = math.ceil(key.valid_from.timestamp())
    if key.valid_until is not None:
        encoded["valid_until"] = math.floor(key.valid_until.timestamp())
    if key.name:
        encoded["name"] = key.name[:MAX_NAME_CHARS]
    if key.certificate_chain:
        encoded["x5c"] = list(key.certificate_chain)
    if key.crl_version is not None:
        encoded["crl_version"] = key.crl_version
    return encoded


def _encode_shc_revocations(crl: ShcRevocationList) -> dict[str, Any]:
    rids = [rid if cutoff is None else f"{rid}.{int(cutoff.timestamp())}" for rid, cutoff in crl.rids.items()]
    return {"kid": crl.kid, "method": "rid", "ctr": crl.ctr, "rids": rids}


_MALFORMED = (TrustError, KeyError, TypeError, ValueError, OverflowError, OSError)


def _decode_content(payload: bytes) -> tuple[TrustListContent, list[RejectedEntry]]:
    try:
        document = loads_strict(payload, SIGNED_LIST)
    except CborFormatError as exc:
        raise TrustListError("trustlist.bad_format", f"the list content is not CBOR ({exc})") from None
    if not isinstance(document, MAP_TYPES):
        raise TrustListError("trustlist.bad_format", "the list content is not a map")
    version = document.get("format")
    if type(version) is not int or version not in SUPPORTED_FORMATS:
        raise TrustListError("trustlist.unsupported_format", f"unsupported trust-list format {version!r:.40}")
    try:
        sequence = _int(document, "sequence")
        issued_at = _time(_int(document, "issued_at"))
        next_update = _time(_int(document, "next_update"))
        raw_entries = document["entries"]
        raw_cscas = document.get("cscas", [])
        # Format 1 had no other members; whatever a format-1 list carries beyond them is ignored.
        extra = version >= 2
        raw_keys = document.get("keys", []) if extra else []
        raw_crls = document.get("x509_crls", []) if extra else []
        raw_revocations = document.get("shc_revocations", []) if extra else []
        if not all(isinstance(part, list) for part in (raw_entries, raw_cscas, raw_keys, raw_crls, raw_revocations)):
            raise TypeError("entries, cscas, keys, x509_crls and shc_revocations must be arrays")
    except _MALFORMED as exc:
        raise TrustListError("trustlist.bad_format", f"malformed list content ({exc})") from None
    cscas = _load_cscas(raw_cscas)
    entries: list[TrustListEntry] = []
    rejected: list[RejectedEntry] = []
    for index, raw in enumerate(raw_entries):
        try:
            entry = _decode_entry(raw)
            _check_chain(entry, cscas)
        except _MALFORMED as exc:
            rejected.append(RejectedEntry(f"entry {index}", _reason(exc)))
            continue
        entries.append(entry)
    keys: dict[tuple[Framework, str], TrustedKey] = {}
    for index, raw in enumerate(raw_keys):
        try:
            key = _decode_key(raw)
            if (key.framework, key.key_id) in keys:
                raise ValueError(f"a second {key.framework} key with the same id")
        except _MALFORMED as exc:
            rejected.append(RejectedEntry(_key_description(index, raw), _reason(exc)))
            continue
        keys[(key.framework, key.key_id)] = key
    crls: list[bytes] = []
    for index, raw in enumerate(raw_crls):
        try:
            if not isinstance(raw, bytes):
                raise TypeError("not a byte string")
            x509.load_der_x509_crl(raw)
        except (TypeError, ValueError) as exc:
            rejected.append(RejectedEntry(f"X.509 CRL {index}", f"not a DER CRL ({exc})"))
            continue
        crls.append(raw)
    revocations: dict[str, ShcRevocationList] = {}
    for index, raw in enumerate(raw_revocations):
        try:
            if not isinstance(raw, MAP_TYPES):
                raise TypeError("not a map")
            crl = parse_shc_revocation_list(dict(raw))
        except _MALFORMED as exc:
            rejected.append(RejectedEntry(f"SHC revocation list {index}", _reason(exc)))
            continue
        revocations.setdefault(crl.kid, crl)
    content = TrustListContent(
        sequence,
        issued_at,
        next_update,
        tuple(entries),
        tuple(der for der, _ in cscas),
        tuple(keys.values()),
        tuple(crls),
        tuple(revocations.values()),
        format_version=version,
    )
    return content, rejected


def _reason(exc: Exception) -> str:
    return exc.message if isinstance(exc, VaxcertError) else f"malformed entry ({exc})"


def _key_description(index: int, raw: Any) -> str:
    if isinstance(raw, MAP_TYPES) and isinstance(raw.get("framework"), str) and isinstance(raw.get("id"), str):
        return f"{raw['framework'][:8]} key {raw['id'][:80]}"
    return f"key {index}"


def _decode_key(raw: Any) -> TrustedKey:
    if not isinstance(raw, MAP_TYPES):
        raise TypeError("key is not a map")
    framework = raw.get("framework")
    if not isinstance(framework, str) or framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r:.20}")
    key_id, spki, name = raw.get("id"), raw.get("key"), raw.get("name")
    if not isinstance(key_id, str) or not 0 < len(key_id) <= MAX_KEY_ID_CHARS:
        raise TypeError(f"the key id is not text of 1 to {MAX_KEY_ID_CHARS} characters")
    if not isinstance(spki, bytes):
        raise TypeError("the key is not a byte string")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_CHARS):
        raise TypeError(f"the name is not text of at most {MAX_NAME_CHARS} characters")
    chain = raw.get("x5c", [])
    if not isinstance(chain, list) or not all(isinstance(der, bytes) for der in chain):
        raise TypeError("x5c is not an array of byte strings")
    crl_version = raw.get("crl_version")
    if crl_version is not None and (type(crl_version) is not int or crl_version < 0):
        raise TypeError("crl_version is not an unsigned integer")
    key = TrustedKey(
        framework=framework,
        key_id=key_id,
        spki=spki,
        status=KeyStatus(raw.get("status", KeyStatus.CURRENT.value)),
        valid_from=_time(raw["valid_from"]) if "valid_from" in raw else None,
        valid_until=_time(raw["valid_until"]) if "valid_until" in raw else None,
        name=name,
        certificate_chain=tuple(chain),
        crl_version=crl_version,
    )
    load_spki(spki)  # an unusable key is refused here, alone, rather than failing every lookup later
    if chain:
        _check_certificate_key(chain[0], spki)
    return key


def _check_certificate_key(der: bytes, spki: bytes) -> None:
    """The first certificate of a key's chain must hold that key."""
    try:
        certificate_key = _spki_of(x509.load_der_x509_certificate(der))
    except (ValueError, UnsupportedAlgorithm):
        return  # some real barcode signer certificates break strict parsers; the key itself is what counts
    if certificate_key != spki:
        raise TrustError("trust.key_mismatch", "the key's certificate holds a different public key")


def _spki_of(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class _LazyKeys(Mapping[tuple[Framework, str], TrustedKey]):
    """The list's keys, plus its DSCs as DCC keys whose certificates are parsed on first lookup.

    Parsing every DSC up front would cost ~30 µs each (a third of a second for 10,000)
    at every start of a checkpoint that may never meet a DCC code by this route.
    """

    def __init__(self, entries: Iterable[TrustListEntry], keys: Iterable[TrustedKey]) -> None:
        self._listed: dict[tuple[Framework, str], TrustedKey] = {(key.framework, key.key_id): key for key in keys}
        self._dscs: dict[tuple[Framework, str], TrustListEntry] = {}
        for entry in entries:
            name: tuple[Framework, str] = ("DCC", base64.b64encode(entry.kid).decode("ascii"))
            if name not in self._listed:
                self._dscs.setdefault(name, entry)
        self._parsed: dict[tuple[Framework, str], TrustedKey] = {}

    def __getitem__(self, name: tuple[Framework, str]) -> TrustedKey:
        found = self._listed.get(name) or self._parsed.get(name)
        if found is None:
            found = self._parsed[name] = _dsc_key(name[1], self._dscs[name])
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._listed or name in self._dscs

    def __iter__(self) -> Iterator[tuple[Framework, str]]:
        yield from self._listed
        yield from self._dscs

    def __len__(self) -> int:
        return len(self._listed) + len(self._dscs)


def _dsc_key(key_id: str, entry: TrustListEntry) -> TrustedKey:
    """A DSC entry as a DCC key; a certificate that cannot be read gives a key that fails on use."""
    try:
        certificate = x509.load_der_x509_certificate(entry.der)
        spki = _spki_of(certificate)
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except (ValueError, UnsupportedAlgorithm):
        # An empty SPKI makes TrustedKey.public_key raise trust.bad_key, as for a registry's bad key.
        return TrustedKey(framework="DCC", key_id=key_id, spki=b"", valid_from=entry.valid_from)
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    name = names[0].value if names else None
    return TrustedKey(
        framework="DCC",
        key_id=key_id,
        spki=spki,
        valid_from=_later(not_before, entry.valid_from),
        valid_until=_earlier(not_after, entry.valid_until),
        name=name[:MAX_NAME_CHARS] if isinstance(name, str) else None,
    )


def _decode_entry(raw: Any) -> TrustListEntry:
    if not isinstance(raw, MAP_TYPES):
        raise TypeError("entry is not a map")
    der = raw["certificate"]
    if not isinstance(der, bytes):
        raise TypeError("certificate is not a byte string")
    if raw.get("kid") != kid_for(der):
        raise TrustError("trust.kid_mismatch", "kid does not match SHA-256 of the certificate")
    types = frozenset(raw.get("types", sorted(ALL_TYPES)))
    if not types <= ALL_TYPES:
        raise ValueError(f"unknown certificate types {sorted(types - ALL_TYPES)}")
    country = raw.get("country")
    if not isinstance(country, str):
        raise TypeError("country is not text")
    valid_from = _time(raw["valid_from"]) if "valid_from" in raw else None
    valid_until = _time(raw["valid_until"]) if "valid_until" in raw else None
    return TrustListEntry(country, der, types, valid_from, valid_until)


def _load_cscas(raw_cscas: list[Any]) -> list[tuple[bytes, x509.Certificate]]:
    loaded = []
    for der in raw_cscas:
        try:
            loaded.append((der, x509.load_der_x509_certificate(der)))
        except (ValueError, TypeError):
            continue  # an unusable CSCA only means its DSCs will not chain
    return loaded


def _check_chain(entry: TrustListEntry, cscas: list[tuple[bytes, x509.Certificate]]) -> None:
    """When the list carries CSCAs, every DSC must be directly issued by one of them."""
    if not cscas:
        return
    try:
        dsc = x509.load_der_x509_certificate(entry.der)
    except ValueError:
        raise TrustError("trust.no_chain", f"kid {entry.kid.hex()}: cannot check its issuer") from None
    for _, csca in cscas:
        try:
            dsc.verify_directly_issued_by(csca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return
    raise TrustError("trust.no_chain", f"{dsc.subject.rfc4514_string()} is not issued by any CSCA in the list")


def _int(document: Mapping[str, Any], key: str) -> int:
    value = document[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key} is not an integer")
    return value


def _time(seconds: Any) -> datetime:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError("a time is not an integer")
    return datetime.fromtimestamp(seconds, UTC)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a and b else a or b


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


# ---------------------------------------------------------------- imports


@dataclass(frozen=True, slots=True)
class ImportResult:
    entries: tuple[TrustListEntry, ...] = ()
    cscas: tuple[bytes, ...] = ()
    rejected: tuple[RejectedEntry, ...] = field(default_factory=tuple)
    keys: tuple[TrustedKey, ...] = ()
    x509_crls: tuple[bytes, ...] = ()
    shc_revocations: tuple[ShcRevocationList, ...] = ()


def entries_from_certificates(certificates: Iterable[tuple[str, bytes]]) -> ImportResult:
    """Entries for (name, DER) pairs; country from each certificate's subject."""
    entries: list[TrustListEntry] = []
    rejected: list[RejectedEntry] = []
    for name, der in certificates:
        try:
            dsc = DocumentSignerCertificate.from_der(der)
        except VaxcertError as exc:
            rejected.append(RejectedEntry(name, exc.message))
            continue
        if not dsc.country:
            rejected.append(RejectedEntry(name, "the certificate names no country (C=)"))
            continue
        entries.append(TrustListEntry.for_certificate(dsc.country, dsc, dsc.allowed_types or ALL_TYPES))
    return ImportResult(tuple(entries), (), tuple(rejected))


def entries_from_gateway_json(data: bytes) -> ImportResult:
    """Entries from the EU gateway's trust-list JSON (a list of items, or ``{"certificates": [...]}``).

    Items whose kid is not SHA-256(rawData)[0:8] are refused; CSCA items are
    collected for the chain check; other certificate types are skipped.
    """
    try:
        document = json.loads(data)
    except ValueError as exc:  # not UTF-8, not JSON, or a number beyond Python's digit limit
        raise TrustListError("trustlist.bad_import", f"not JSON ({exc})") from None
    items = document.get("certificates") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise TrustListError("trustlist.bad_import", "expected a list of gateway trust-list items")
    entries: list[TrustListEntry] = []
    cscas: list[bytes] = []
    rejected: list[RejectedEntry] = []
    for index, item in enumerate(items):
        name = f"item {index}"
        try:
            if not isinstance(item, dict):
                raise TypeError("not an object")
            name = f"item {index} ({item.get('country')}, kid {item.get('kid')})"
            kind = item.get("certificateType", "DSC")
            raw = item.get("rawData")
            if raw is None:
                continue  # a deleted DSC
            der = base64.b64decode(raw, validate=True)
            if kind == "CSCA":
                cscas.append(der)
                continue
            if kind != "DSC":
                continue
            kid = base64.b64decode(item["kid"], validate=True)
            if kid != kid_for(der):
                raise TrustError("trust.kid_mismatch", "kid is not SHA-256(rawData)[0:8]")
            dsc = DocumentSignerCertificate.from_der(der)
            country = item.get("country") or dsc.country
            if not isinstance(country, str):
                raise TypeError("no country")
            entries.append(TrustListEntry.for_certificate(country, dsc, dsc.allowed_types or ALL_TYPES))
        except (VaxcertError, KeyError, TypeError, ValueError, binascii.Error) as exc:
            reason = exc.message if isinstance(exc, VaxcertError) else f"malformed item ({exc})"
            rejected.append(RejectedEntry(name, reason))
    return ImportResult(tuple(entries), tuple(cscas), tuple(rejected))


def keys_from_registry(data: bytes) -> ImportResult:
    """Keys from the Path-Check multi-framework registry (``registry_normalized.json``).

    Each entry is read on its own: one without a usable public key, with an
    unknown status or an unreadable date is rejected and the rest are kept.
    Sections of frameworks vaxcert does not verify are ignored.
    """
    document = _import_json(data)
    if not isinstance(document, dict):
        raise TrustListError("trustlist.bad_import", "a trust registry is a JSON object of frameworks")
    keys: list[TrustedKey] = []
    rejected: list[RejectedEntry] = []
    for framework in FRAMEWORKS:
        section = document.get(framework, {})
        if not isinstance(section, dict):
            rejected.append(RejectedEntry(f"registry section {framework}", "not an object"))
            continue
        for key_id, raw in section.items():
            name = f"{framework} {key_id[:80]}"
            try:
                # One entry at a time through the registry's own reader, so both read alike.
                single = TrustRegistry.from_registry({framework: {key_id: raw}})
                if single.skipped_entries:
                    raise TrustError("trust.bad_key", "the entry carries no public key")
                key = single.keys[(framework, key_id)]
                _check_key(key)
            except TrustError as exc:
                rejected.append(RejectedEntry(name, exc.message))
                continue
            keys.append(key)
    return ImportResult(keys=tuple(keys), rejected=tuple(rejected))


def keys_from_jwks(data: bytes, issuer: str | None = None) -> ImportResult:
    """SHC issuer keys from a JWK Set, for ``issuer`` (default: the set's ``iss`` member).

    A set that names no issuer is refused: a key trusted for any issuer would
    let one issuer sign as another.  Keys not meant for signing are skipped;
    unusable keys are rejected one by one.
    """
    document = _import_json(data)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise TrustListError("trustlist.bad_import", "a JWK Set is a JSON object with a 'keys' array")
    issuer = issuer or (document.get("iss") if isinstance(document.get("iss"), str) else None)
    if not issuer:
        raise TrustListError("trustlist.bad_import", "the JWK Set names no issuer ('iss'); give the issuer URL")
    keys: list[TrustedKey] = []
    rejected: list[RejectedEntry] = []
    for index, jwk in enumerate(document["keys"]):
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        name = f"JWK {str(kid)[:80]}" if isinstance(kid, str) else f"JWK {index}"
        try:
            key = jwk_to_trusted_key(jwk, issuer)
            if key is None:
                continue
            _check_key(key)
        except TrustError as exc:
            rejected.append(RejectedEntry(name, exc.message))
            continue
        keys.append(key)
    return ImportResult(keys=tuple(keys), rejected=tuple(rejected))


def keys_from_icao_certificates(certificates: Iterable[tuple[str, bytes]]) -> ImportResult:
    """ICAO keys for (name, PEM or DER) CSCA certificates (or barcode signers trusted as given).

    The key id is ``<C>#<base64 subject key identifier>`` as in the registry;
    the list keeps the certificate, so verifiers can also chain to it.
    """
    keys: list[TrustedKey] = []
    rejected: list[RejectedEntry] = []
    for name, data in certificates:
        try:
            keys.append(_icao_key(data))
        except TrustError as exc:
            rejected.append(RejectedEntry(name, exc.message))
    return ImportResult(keys=tuple(keys), rejected=tuple(rejected))


def crls_from_files(files: Iterable[tuple[str, bytes]]) -> ImportResult:
    """X.509 CRLs (PEM or DER) and SHC revocation lists (JSON), told apart by their first byte."""
    x509_crls: list[bytes] = []
    revocations: list[ShcRevocationList] = []
    rejected: list[RejectedEntry] = []
    for name, data in files:
        try:
            if data.lstrip()[:1] == b"{":
                revocations.extend(TrustRegistry.from_shc_revocation_list(_import_json(data)).shc_revocations.values())
            else:
                x509_crls.extend(TrustRegistry.from_x509_crl(data).x509_crls)
        except TrustError as exc:
            rejected.append(RejectedEntry(name, exc.message))
    return ImportResult(x509_crls=tuple(x509_crls), shc_revocations=tuple(revocations), rejected=tuple(rejected))


def _import_json(data: bytes) -> Any:
    try:
        return loads_bounded(data, TRUST_FILE)
    except JsonFormatError as exc:
        raise TrustListError("trustlist.bad_import", f"not usable JSON ({exc})") from None


def _check_key(key: TrustedKey) -> None:
    load_spki(key.spki)
    if key.certificate_chain:
        _check_certificate_key(key.certificate_chain[0], key.spki)


def _icao_key(data: bytes) -> TrustedKey:
    try:
        if b"-----BEGIN" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
        spki = _spki_of(certificate)
    except (ValueError, UnsupportedAlgorithm):
        raise TrustError("trust.bad_certificate", "not a readable X.509 certificate (PEM or DER)") from None
    countries = certificate.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    country = countries[0].value if countries else None
    if not isinstance(country, str) or not country:
        raise TrustError("trust.bad_certificate", "the certificate names no country (C=)")
    try:
        identifier = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        identifier = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    name = names[0].value if names else None
    load_spki(spki)
    return TrustedKey(
        framework="ICAO",
        key_id=f"{country}#{base64.b64encode(identifier).decode('ascii')}",
        spki=spki,
        valid_from=certificate.not_valid_before_utc,
        valid_until=certificate.not_valid_after_utc,
        name=name[:MAX_NAME_CHARS] if isinstance(name, str) else None,
        certificate_chain=(certificate.public_bytes(serialization.Encoding.DER),),
    )
