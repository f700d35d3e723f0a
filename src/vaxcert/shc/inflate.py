"""Raw DEFLATE (RFC 1951, no zlib or gzip header), as the JWS header ``"zip": "DEF"`` announces.

Inflation runs with ``max_length``, so a DEFLATE bomb stops at the cap instead of
filling memory: a real card's claim set is a few kilobytes.
"""

from __future__ import annotations

import zlib

from .errors import InflateError

MAX_INFLATED = 64 * 1024


def encode(data: bytes) -> bytes:
    """Raw DEFLATE at the highest level (the smallest QR)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush()


def decode(data: bytes, zip_header: object, max_size: int = MAX_INFLATED) -> bytes:
    """Inflate ``data``; ``zip_header`` is the JWS header's ``zip`` value, which must be ``"DEF"``."""
    if zip_header is None:
        raise InflateError("inflate.no_zip", "the JWS header has no 'zip': SMART Health Cards are DEFLATE-compressed")
    if zip_header != "DEF":
        raise InflateError("inflate.unsupported_zip", "the JWS header's 'zip' is not 'DEF'")
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error:
        raise InflateError("inflate.corrupt", "the payload is not valid raw DEFLATE") from None
    if len(out) > max_size or inflater.unconsumed_tail:
        raise InflateError("inflate.too_large", f"the payload inflates beyond {max_size} bytes")
    if not inflater.eof:
        raise InflateError("inflate.truncated", "the DEFLATE stream ends early")
    if inflater.unused_data:
        raise InflateError("inflate.trailing_data", "bytes follow the DEFLATE stream")
    return out
