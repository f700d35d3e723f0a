"""JWS compact serialisation (RFC 7515 §7.1): three base64url parts, read strictly.

Strict means the unpadded URL-safe alphabet only, no length that base64 cannot
produce, and no stray bits in the last character: one JWS has exactly one text, so
an altered character can never decode to the same bytes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .._base64url import decode_canonical
from .errors import JwsError


@dataclass(frozen=True, slots=True)
class CompactJws:
    """The three parts of a compact JWS, decoded but not interpreted."""

    header_b64: str
    payload_b64: str
    signature_b64: str
    header: bytes
    payload: bytes
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return f"{self.header_b64}.{self.payload_b64}".encode("ascii")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url; raises :class:`JwsError` (``jws.bad_base64url``)."""
    if not text.isascii():
        raise JwsError("jws.bad_base64url", "a JWS part is not unpadded base64url")
    return _b64url_decode_ascii(text.encode("ascii"))


def _b64url_decode_ascii(raw: bytes) -> bytes:
    data = decode_canonical(raw)
    if data is None:
        raise JwsError("jws.bad_base64url", "a JWS part is not unpadded base64url")
    return data


def decode(text: str) -> CompactJws:
    """Split and decode a compact JWS; raises :class:`JwsError` for anything but three strict parts."""
    parts = text.split(".")
    if len(parts) != 3:
        raise JwsError("jws.parts", f"a compact JWS has 3 parts separated by '.', this one has {len(parts)}")
    header_b64, payload_b64, signature_b64 = parts
    if not header_b64 or not payload_b64:
        raise JwsError("jws.empty_part", "the JWS header or payload is empty")
    if not text.isascii():
        raise JwsError("jws.bad_base64url", "a JWS part is not unpadded base64url")
    return CompactJws(
        header_b64,
        payload_b64,
        signature_b64,
        _b64url_decode_ascii(header_b64.encode("ascii")),
        _b64url_decode_ascii(payload_b64.encode("ascii")),
        _b64url_decode_ascii(signature_b64.encode("ascii")),
    )


def encode(header: bytes, payload: bytes, signature: bytes) -> str:
    """The compact JWS of already-serialised parts."""
    return ".".join((b64url_encode(header), b64url_encode(payload), b64url_encode(signature)))
