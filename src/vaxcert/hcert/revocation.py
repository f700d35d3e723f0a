"""Revocation: the EU DCC revocation hashes and vaxcert's signed revocation list.

Hashes (EU DCC revocation, 2022): SHA-256 truncated to 16 bytes over
- ``UCI``: the UVCI exactly as printed in the certificate,
- ``COUNTRYCODEUCI``: the CWT ``iss`` country code followed by the UVCI,
- ``SIGNATURE``: the COSE signature; for ES256 only its first half (r), which
  makes the hash immune to ECDSA's (r, s) / (r, n - s) malleability.

The list (format in ``spec/revocation.md``) holds, per DSC kid and hash type, a
sorted array of 16-byte hashes packed into one byte string, so a million
revoked certificates take 16 MB; a lookup reads a bucket offset and scans ~16 hashes.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import operator
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import cbor2

from .. import signed
from .._cbor import MAP_TYPES, SIGNED_LIST, CborFormatError, loads_strict
from ..cose import CoseAlgorithm, CoseSign1
from ..keys import Signer
from ..trust import DocumentSignerCertificate
from .cwt import CwtClaims

CONTENT_TYPE = "application/vnd.vaxcert.revocation-list+cbor"
FORMAT_VERSION = 1
HASH_SIZE = 16


RevocationListError = signed.SignedDocumentError


class HashType(StrEnum):
    UCI = "UCI"
    COUNTRYCODEUCI = "COUNTRYCODEUCI"
    SIGNATURE = "SIGNATURE"


def _truncated_sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:HASH_SIZE]


def certificate_hash(claims: CwtClaims, message: CoseSign1, hash_type: HashType) -> bytes | None:
    """One revocation hash of a decoded certificate; None for a UCI type when it has no UVCI."""
    if hash_type is HashType.SIGNATURE:
        signature = message.signature
        if message.algorithm == CoseAlgorithm.ES256 and len(signature) == 64:
            signature = signature[:32]
        return _truncated_sha256(signature)
    uvci = _uvci(claims.dcc)
    if uvci is None:
        return None
    if hash_type is HashType.UCI:
        return _truncated_sha256(uvci.encode("utf-8"))
    return _truncated_sha256(((claims.issuer or "") + uvci).encode("utf-8"))


def certificate_hashes(claims: CwtClaims, message: CoseSign1) -> dict[HashType, bytes]:
    """The three revocation hashes of a decoded certificate (UCI-based ones only when it has a UVCI)."""
    hashes = {kind: certificate_hash(claims, message, kind) for kind in HashType}
    return {kind: value for kind, value in hashes.items() if value is not None}


class _LazyHashes(Mapping[HashType, bytes]):
    """A certificate's revocation hashes, each computed only when a lookup asks for it:
    most kids have batches of one hash type, so a scan hashes once instead of three times."""

    __slots__ = ("_claims", "_message")

    def __init__(self, claims: CwtClaims, message: CoseSign1) -> None:
        self._claims = claims
        self._message = message

    def __getitem__(self, hash_type: HashType) -> bytes:
        value = certificate_hash(self._claims, self._message, hash_type)
        if value is None:
            raise KeyError(hash_type)
        return value

    def get(self, hash_type: HashType, default: Any = None) -> Any:
        value = certificate_hash(self._claims, self._message, hash_type)
        return default if value is None else value

    def __iter__(self) -> Iterator[HashType]:
        return iter(certificate_hashes(self._claims, self._message))

    def __len__(self) -> int:
        return len(certificate_hashes(self._claims, self._message))


def hashes_for_code(text: str) -> tuple[bytes | None, dict[HashType, bytes]]:
    """The kid and revocation hashes of an ``HC1:`` text, decoded WITHOUT verification.

    For issuers listing their own certificates; verifiers get the hashes from
    the verified message instead.
    """
    from .. import cose
    from . import base45, compression, cwt, prefix

    message = cose.decode(compression.decode(base45.decode(prefix.decode(text))))
    return message.kid, certificate_hashes(cwt.decode(message.payload), message)


def _uvci(dcc: Mapping[str, Any]) -> str | None:
    for group in ("v", "t", "r"):
        entries = dcc.get(group)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            uvci = entries[0].get("ci")
            if isinstance(uvci, str):
                return uvci
    return None


@dataclass(frozen=True)
class RevocationBatch:
    """Revoked hashes of one type for one DSC; ``packed`` is sorted 16-byte hashes back to back."""

    kid: bytes
    hash_type: HashType
    packed: bytes

    @classmethod
    def of(cls, kid: bytes, hash_type: HashType, hashes: Iterable[bytes]) -> RevocationBatch:
        unique = sorted(set(hashes))
        if any(len(item) != HASH_SIZE for item in unique):
            raise ValueError(f"revocation hashes are {HASH_SIZE} bytes")
        return cls(kid, hash_type, b"".join(unique))

    def __len__(self) -> int:
        return len(self.packed) // HASH_SIZE

    def is_ordered(self) -> bool:
        """Whether the hashes are in bucket order, which lookups rely on (verified lists are checked)."""
        return self._buckets[2]

    @functools.cached_property
    def _buckets(self) -> tuple[int, array[int], bool]:
        """Where each prefix's hashes start: ``(shift, offsets)``, built on the first lookup.

        Hashes are uniformly spread, so the first ``16 - shift`` bits split a batch into
        buckets of about 16 hashes; a lookup reads two offsets and scans one bucket in C.
        The table is 4 bytes per bucket (256 KB at a million hashes).
        """
        count = len(self)
        bits = min(16, max(0, count.bit_length() - 4))
        shift = 16 - bits
        pairs = bytearray(2 * count)
        pairs[0::2] = self.packed[0::HASH_SIZE]
        pairs[1::2] = self.packed[1::HASH_SIZE]
        prefixes = array("H")
        prefixes.frombytes(bytes(pairs))
        if sys.byteorder == "little":
            prefixes.byteswap()
        ordered = all(map(operator.le, prefixes, itertools.islice(prefixes, 1, None)))
        offsets = array("I", [bisect.bisect_left(prefixes, bucket << shift) for bucket in range(1 << bits)])
        offsets.append(count)
        return shift, offsets, ordered

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, bytes) or len(item) != HASH_SIZE:
            return False
        shift, offsets, _ = self._buckets
        bucket = (item[0] << 8 | item[1]) >> shift
        end = offsets[bucket + 1] * HASH_SIZE
        found = self.packed.find(item, offsets[bucket] * HASH_SIZE, end)
        while found > 0 and found % HASH_SIZE:  # a match straddling two hashes is no match
            found = self.packed.find(item, found + 1, end)
        return found >= 0


@dataclass(frozen=True)
class RevocationList:
    sequence: int
    issued_at: datetime
    next_update: datetime
    batches: tuple[RevocationBatch, ...]
    _index: dict[bytes, tuple[RevocationBatch, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[bytes, list[RevocationBatch]] = {}
        for batch in self.batches:
            index.setdefault(batch.kid, []).append(batch)
        self._index.update({kid: tuple(found) for kid, found in index.items()})

    def is_stale(self, at: datetime) -> bool:
        return at > self.next_update

    def revoked_by(self, kid: bytes | None, hashes: Mapping[HashType, bytes]) -> HashType | None:
        """The hash type under which the certificate is listed, or None."""
        for batch in self._index.get(kid or b"", ()):
            value = hashes.get(batch.hash_type)
            if value is not None and value in batch:
                return batch.hash_type
        return None

    def revoked(self, claims: CwtClaims, message: CoseSign1) -> HashType | None:
        """Like :meth:`revoked_by`, hashing only what this certificate's kid has batches for."""
        return self.revoked_by(message.kid, _LazyHashes(claims, message))

    def encode(self) -> bytes:
        return cbor2.dumps(
            {
                "format": FORMAT_VERSION,
                "sequence": self.sequence,
                "issued_at": int(self.issued_at.timestamp()),
                "next_update": int(self.next_update.timestamp()),
                "batches": [
                    {"kid": batch.kid, "hash_type": str(batch.hash_type), "hashes": batch.packed}
                    for batch in self.batches
                ],
            },
            canonical=True,
        )


def build(
    entries: Iterable[tuple[bytes, HashType, bytes]], *, sequence: int, issued_at: datetime, next_update: datetime
) -> RevocationList:
    """A list from (kid, hash type, hash) entries."""
    grouped: dict[tuple[bytes, HashType], list[bytes]] = {}
    for kid, hash_type, value in entries:
        grouped.setdefault((kid, HashType(hash_type)), []).append(value)
    batches = tuple(RevocationBatch.of(kid, kind, values) for (kid, kind), values in sorted(grouped.items()))
    return RevocationList(sequence, issued_at, next_update, batches)


def sign(revocations: RevocationList, signer: Signer) -> bytes:
    return signed.sign(revocations.encode(), CONTENT_TYPE, signer)


def verify(
    data: bytes, anchors: Sequence[DocumentSignerCertificate], *, minimum_sequence: int | None = None
) -> RevocationList:
    payload, _ = signed.verify(data, CONTENT_TYPE, anchors, "revocationlist")
    try:
        document = loads_strict(payload, SIGNED_LIST)
        if not isinstance(document, MAP_TYPES) or document.get("format") != FORMAT_VERSION:
            raise TypeError("not a format-1 revocation list")
        batches = []
        for raw in document["batches"]:
            packed = raw["hashes"]
            if not isinstance(packed, bytes) or len(packed) % HASH_SIZE or not isinstance(raw["kid"], bytes):
                raise TypeError("malformed batch")
            batch = RevocationBatch(raw["kid"], HashType(raw["hash_type"]), packed)
            if not batch.is_ordered():  # a lookup would miss hashes out of place: fail closed
                raise ValueError(f"the hashes of a {batch.hash_type} batch are not sorted")
            batches.append(batch)
        revocations = RevocationList(
            int(document["sequence"]),
            datetime.fromtimestamp(int(document["issued_at"]), UTC),
            datetime.fromtimestamp(int(document["next_update"]), UTC),
            tuple(batches),
        )
    except (CborFormatError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise RevocationListError("revocationlist.bad_format", f"malformed revocation list ({exc})") from None
    if minimum_sequence is not None and revocations.sequence < minimum_sequence:
        raise RevocationListError(
            "revocationlist.rollback", f"sequence {revocations.sequence} is older than the accepted #{minimum_sequence}"
        )
    return revocations
