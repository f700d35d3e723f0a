"""zlib stage (RFC 1950).

Issuers always compress (the HCERT spec makes it mandatory).  Decoders
recognise an uncompressed COSE message so they can still show what it
says, but :func:`decode` reports it as a failed stage: a code without
compression is not a conforming HCERT.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from ..errors import CompressionError

# A real DCC inflates to well under 4 KiB; anything near this cap is an
# attack (zip bomb) or garbage, not a certificate.
MAX_INFLATED_SIZE = 64 * 1024

# First bytes of a COSE_Sign1 (tag 18, array of 4) and of CWT tag 61 around it.
_COSE_STARTS = (b"\xd2\x84", b"\xd8\x3d\xd2\x84", b"\x84")


@dataclass(frozen=True, slots=True)
class Inflated:
    """Result of decompressing: the bytes, and whether they were compressed."""

    data: bytes
    was_compressed: bool


def encode(data: bytes) -> bytes:
    """Compress with zlib at the highest level (smaller QR codes).

    Measured on the VN payloads (319-357 bytes of COSE, session 5): levels 1, 6 and 9 give
    the same size (QR versions 17-18 for all three) within 10% of one another's time, and a
    window sized to the input is no faster than this one-shot call: zlib's setup, not the
    search, is the cost, so the smallest code comes free.
    """
    return zlib.compress(data, 9)


def inflate(data: bytes, max_size: int = MAX_INFLATED_SIZE) -> Inflated:
    """Inflate zlib data, tolerating input that was never compressed.

    Raises :class:`CompressionError` for a broken stream, trailing garbage or
    output above ``max_size``.  Uncompressed COSE input comes back with
    ``was_compressed=False``; :func:`decode` turns that into an error.
    """
    if not data:
        raise CompressionError("decompress.empty", "no compressed data")
    if data.startswith(_COSE_STARTS) and not _looks_like_zlib(data):
        return Inflated(data, was_compressed=False)
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise CompressionError("decompress.corrupt", f"the zlib stream is corrupt ({exc})") from None
    if len(out) > max_size or inflater.unconsumed_tail:
        raise CompressionError("decompress.too_large", f"the payload inflates beyond the {max_size}-byte limit")
    if not inflater.eof:
        raise CompressionError("decompress.truncated", "the zlib stream ends early")
    if inflater.unused_data:
        raise CompressionError("decompress.trailing_data", f"{len(inflater.unused_data)} bytes follow the zlib stream")
    return Inflated(out, was_compressed=True)


def decode(data: bytes, max_size: int = MAX_INFLATED_SIZE) -> bytes:
    """Inflate zlib data; uncompressed input is an error (``decompress.not_compressed``)."""
    result = inflate(data, max_size)
    if not result.was_compressed:
        raise CompressionError("decompress.not_compressed", "the payload is not zlib-compressed, which HCERT requires")
    return result.data


def _looks_like_zlib(data: bytes) -> bool:
    # RFC 1950 header: CM=8 (deflate) and (CMF*256 + FLG) divisible by 31.
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
