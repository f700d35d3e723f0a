"""Strict CBOR decoding shared by the COSE, CWT and trust-list stages.

cbor2 is lenient by default: it ignores trailing bytes, accepts duplicate
map keys and turns date tags into ``datetime`` objects.  For signed data
each of those is a way for two parsers to disagree about what was signed,
so every decode in vaxcert goes through :func:`loads_strict`.

A QR code is also hostile input read before any signature is checked, so a
decode is bounded by a :class:`CborLimits` profile: no CBOR tag the profile
does not use (cbor2's value-sharing and string-reference tags turn a few
hundred bytes into a graph that later stages walk as an exponential tree, or a
cycle), a nesting depth, and item counts per container and in total.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2

_FROZENDICT: type[Mapping[Any, Any]] = getattr(cbor2, "frozendict", dict)
# The map types cbor2 decodes to: dict, or its frozen map where a map must be
# hashable.  Checking these concrete types is several times cheaper than an
# isinstance() against collections.abc.Mapping on the verification hot path.
MAP_TYPES: tuple[type[Mapping[Any, Any]], ...] = (dict, _FROZENDICT)
_CONTAINER_TYPES = frozenset({dict, list, tuple, _FROZENDICT})


class CborFormatError(ValueError):
    """The bytes are not exactly one well-formed CBOR item."""

    reason = "bad_cbor"


class CborLimitError(CborFormatError):
    """Well-formed CBOR that the decoding profile refuses: a tag it does not use, or too much structure.

    ``reason`` is ``forbidden_tag``, ``too_deep`` or ``too_large``; stages turn it into ``<stage>.<reason>``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CborLimits:
    """How much one decode may produce.

    ``max_items`` bounds one array or map (a map's key/value pairs count once
    each), ``max_total_items`` the sum over every container.  ``allowed_tags``
    names the tags whose content is kept as the plain value (only 0, RFC 3339
    date text, is supported); every other tag, known to cbor2 or not, is refused.
    """

    max_depth: int
    max_items: int
    max_total_items: int
    allowed_tags: frozenset[int] = frozenset()
    # Built once per profile: cbor2 takes the mapping on every decoder it makes.
    semantic_decoders: dict[int, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # The byte-length shortcut in _check_size relies on this ordering.
        if not 0 < self.max_items <= self.max_total_items:
            raise ValueError("max_items must be positive and at most max_total_items")
        if not self.allowed_tags <= {0}:
            raise ValueError("only tag 0 (date text) can be allowed")
        decoders = {tag: (_date_text if tag in self.allowed_tags else _refuse(tag)) for tag in BUILTIN_TAGS}
        object.__setattr__(self, "semantic_decoders", decoders)


# Every tag cbor2 6.x decodes by itself, found by decoding each tag 0..70,000
# (and 2**16, 2**32, 2**64-1) and watching which never reach tag_hook;
# tests/vaxcert/test_cbor.py repeats that scan so a new cbor2 cannot add one unnoticed.
BUILTIN_TAGS: dict[int, str] = {
    0: "date/time text",
    1: "epoch date/time",
    2: "positive bignum",
    3: "negative bignum",
    4: "decimal fraction",
    5: "bigfloat",
    25: "string reference",
    28: "shareable value",
    29: "shared reference",
    30: "rational number",
    35: "regular expression",
    36: "MIME message",
    37: "UUID",
    52: "IPv4 address",
    54: "IPv6 address",
    100: "epoch date",
    256: "string reference namespace",
    258: "set",
    260: "network address",
    261: "network prefix",
    1004: "date text",
    43000: "single complex number",
    55799: "self-described CBOR",
}


def _refuse(tag: int) -> Any:
    name = BUILTIN_TAGS.get(tag, "unknown")

    def refuse(value: Any, immutable: bool) -> Any:
        raise _TagRefused(tag, name)

    return refuse


def _date_text(value: Any, immutable: bool) -> Any:
    # Kept as the text itself so the decoded DCC is the JSON the issuer wrote, tagged or not.
    if type(value) is not str:
        raise _TagRefused(0, "date/time text around a non-text value")
    return value


class _TagRefused(ValueError):
    def __init__(self, tag: int, name: str) -> None:
        super().__init__(f"CBOR tag {tag} ({name}) is not used by this profile")
        self.tag = tag


def _unknown_tag(tag: cbor2.CBORTag, immutable: bool) -> Any:
    raise _TagRefused(tag.tag, "unknown")


# A DCC nests 5 deep with at most a dozen entries per map and ~50 items in
# all (the public conformance corpus: 11 and 44); these bounds leave room for
# national extensions while keeping every later stage in microseconds.
HCERT_MESSAGE = CborLimits(max_depth=16, max_items=64, max_total_items=1024)
# Tag 0 is kept for the claims: some issuers (HU in the public corpus) tag date text.
HCERT_PAYLOAD = CborLimits(max_depth=16, max_items=64, max_total_items=1024, allowed_tags=frozenset({0}))
# Signed trust and revocation lists legitimately hold 10,000+ entries (revocation
# hashes are one packed byte string, not items).  Their size is bounded by the
# bytes they arrive in, so the counts only need checking (a walk: ~20 ms for a
# 10,000-entry list) beyond 16 MB; the profile still refuses tags and deep nesting.
SIGNED_LIST = CborLimits(max_depth=16, max_items=16_000_000, max_total_items=16_000_000)


def loads_strict(data: bytes, limits: CborLimits = HCERT_MESSAGE) -> Any:
    """Decode exactly one CBOR item, rejecting trailing bytes, duplicate keys and what ``limits`` refuses.

    Raises :class:`CborLimitError` (a :class:`CborFormatError`) for refused tags, nesting or size.
    """
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream,
            semantic_decoders=limits.semantic_decoders,
            tag_hook=_unknown_tag,
            max_depth=limits.max_depth,
            allow_duplicate_keys=False,
        )
        value = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise _translate(exc, limits) from None
    if stream.tell() != len(data):
        raise CborFormatError(f"{len(data) - stream.tell()} bytes follow the CBOR item")
    _check_size(value, len(data), limits)
    return value


def _translate(exc: BaseException, limits: CborLimits) -> CborFormatError:
    cause: BaseException | None = exc
    for _ in range(8):  # cbor2 wraps a callback's exception in CBORDecodeError
        if cause is None:
            break
        if isinstance(cause, _TagRefused):
            return CborLimitError("forbidden_tag", str(cause))
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    if isinstance(exc, RecursionError) or "nesting depth" in text:
        return CborLimitError("too_deep", f"containers nest deeper than {limits.max_depth} levels")
    return CborFormatError(text)


def _check_size(value: Any, size: int, limits: CborLimits) -> None:
    # Once sharing tags are refused the result is a tree in which every item
    # took at least one input byte, so input no longer than max_items cannot
    # exceed any bound and needs no walk.
    if size <= limits.max_items or type(value) not in _CONTAINER_TYPES:
        return
    total = 0
    pending = [value]
    containers = _CONTAINER_TYPES
    while pending:
        container = pending.pop()
        count = len(container)
        total += count
        if count > limits.max_items:
            raise CborLimitError("too_large", f"a container holds {count} items; the limit is {limits.max_items}")
        if total > limits.max_total_items:
            raise CborLimitError("too_large", f"the item holds over {limits.max_total_items} items in all")
        if type(container) is list or type(container) is tuple:
            pending.extend(child for child in container if type(child) in containers)
        else:
            for key, child in container.items():
                if type(child) in containers:
                    pending.append(child)
                if type(key) in containers:
                    pending.append(key)


_ARGUMENT_WIDTH = {24: 1, 25: 2, 26: 4, 27: 8}


def read_tag(data: bytes, offset: int = 0) -> tuple[int | None, int]:
    """The tag number at ``offset`` and where its content starts, or ``(None, offset)`` if no tag is there.

    Lets the COSE stage peel its own envelope tags (61, 18) so no decode ever has to accept them.
    """
    if offset >= len(data) or data[offset] >> 5 != 6:
        return None, offset
    info = data[offset] & 0x1F
    if info < 24:
        return info, offset + 1
    width = _ARGUMENT_WIDTH.get(info)
    if width is None or offset + 1 + width > len(data):
        raise CborFormatError("a malformed tag header")
    return int.from_bytes(data[offset + 1 : offset + 1 + width], "big"), offset + 1 + width


def dumps(value: Any) -> bytes:
    """Encode in canonical (deterministic) form, as RFC 8949 §4.2 prefers for signing."""
    return cbor2.dumps(value, canonical=True)
