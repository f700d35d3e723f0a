"""Signed trust lists: which Document Signer Certificates a verifier trusts.

A trust list is a CBOR document (format in ``spec/trust-list.md``) signed as a
COSE_Sign1 by a trust-list signer whose certificate verifiers pin as an
*anchor*.  Several anchors can be pinned at once, so the signer can rotate
without reinstalling verifiers.  Everything here is pure: reading files and
fetching URLs happens in the ``trust_list`` tools and the verifier CLI.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from . import signed
from ._cbor import MAP_TYPES, SIGNED_LIST, CborFormatError, loads_strict
from .errors import TrustError, VaxcertError
from .keys import Signer
from .trust import ALL_TYPES, DocumentSignerCertificate, TrustSource, TrustStore, kid_for

FORMAT_VERSION = 1
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
        return cbor2.dumps(document, canonical=True)


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
        source = TrustSource(
            description=f"trust list #{self.content.sequence}",
            sequence=self.content.sequence,
            next_update=self.content.next_update,
            fail_when_stale=fail_when_stale,
        )
        return TrustStore(_LazyKidIndex(self.content.entries), source)


def build(
    entries: Iterable[TrustListEntry],
    *,
    sequence: int,
    issued_at: datetime,
    next_update: datetime,
    cscas: Iterable[bytes] = (),
) -> TrustListContent:
    """Assemble list content; refuses duplicates, bad sequence numbers and an inverted window."""
    if sequence < 0:
        raise TrustListError("trustlist.bad_sequence", "the sequence number must not be negative")
    if next_update <= issued_at:
        raise TrustListError("trustlist.bad_window", "next_update must be after issued_at")
    unique: dict[bytes, TrustListEntry] = {}
    for entry in entries:
        unique.setdefault(entry.der, entry)
    return TrustListContent(sequence, issued_at, next_update, tuple(unique.values()), tuple(dict.fromkeys(cscas)))


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
    or that do not chain to a CSCA the list carries, are left out and listed
    in ``rejected``.  Staleness is not an error here: see
    :meth:`VerifiedTrustList.is_stale`.
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


def _decode_content(payload: bytes) -> tuple[TrustListContent, list[RejectedEntry]]:
    try:
        document = loads_strict(payload, SIGNED_LIST)
    except CborFormatError as exc:
        raise TrustListError("trustlist.bad_format", f"the list content is not CBOR ({exc})") from None
    if not isinstance(document, MAP_TYPES):
        raise TrustListError("trustlist.bad_format", "the list content is not a map")
    if document.get("format") != FORMAT_VERSION:
        raise TrustListError(
            "trustlist.unsupported_format", f"unsupported trust-list format {document.get('format')!r}"
        )
    try:
        sequence = _int(document, "sequence")
        issued_at = _time(_int(document, "issued_at"))
        next_update = _time(_int(document, "next_update"))
        raw_entries = document["entries"]
        raw_cscas = document.get("cscas", [])
        if not isinstance(raw_entries, list) or not isinstance(raw_cscas, list):
            raise TypeError("entries and cscas must be arrays")
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise TrustListError("trustlist.bad_format", f"malformed list content ({exc})") from None
    cscas = _load_cscas(raw_cscas)
    entries: list[TrustListEntry] = []
    rejected: list[RejectedEntry] = []
    for index, raw in enumerate(raw_entries):
        try:
            entry = _decode_entry(raw)
            _check_chain(entry, cscas)
        except (TrustError, KeyError, TypeError, ValueError, OverflowError) as exc:
            reason = exc.message if isinstance(exc, VaxcertError) else f"malformed entry ({exc})"
            rejected.append(RejectedEntry(f"entry {index}", reason))
            continue
        entries.append(entry)
    content = TrustListContent(sequence, issued_at, next_update, tuple(entries), tuple(der for der, _ in cscas))
    return content, rejected


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
    entries: tuple[TrustListEntry, ...]
    cscas: tuple[bytes, ...] = ()
    rejected: tuple[RejectedEntry, ...] = field(default_factory=tuple)


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
