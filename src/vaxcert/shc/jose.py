"""The JOSE header and signature shape SMART Health Cards require: ES256, a kid, raw r||s.

``alg: none`` (or any other algorithm) never reaches a key: it is refused here,
before the trust lookup, so a forged unsigned card cannot be mistaken for a badly
signed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._json import JsonFormatError, JsonLimits, loads_bounded
from .errors import JoseError
from .jws import CompactJws

ALGORITHM = "ES256"
SIGNATURE_SIZE = 64  # P-256 r||s, 32 bytes each (RFC 7518 §3.4); DER is refused
HEADER_LIMITS = JsonLimits(max_bytes=4096, max_depth=4, max_items=64, max_total_items=256)


@dataclass(frozen=True, slots=True)
class JoseHeader:
    alg: str
    kid: str
    zip: Any  # checked by the inflate stage, whose failure is a compression fault
    members: Mapping[str, Any]


def encode(kid: str) -> bytes:
    """The minified header an issuer writes."""
    return b'{"alg":"ES256","zip":"DEF","kid":"' + kid.encode("ascii") + b'"}'


def decode(jws: CompactJws) -> JoseHeader:
    """Read and check the header; raises :class:`JoseError`."""
    try:
        header = loads_bounded(jws.header, HEADER_LIMITS)
    except JsonFormatError as exc:
        raise JoseError("jose.header_not_json", f"the JWS header is not a small JSON object ({exc})") from None
    if not isinstance(header, dict):
        raise JoseError("jose.header_not_json", "the JWS header is not a JSON object")
    alg = header.get("alg")
    if alg is None:
        raise JoseError("jose.no_alg", "the JWS header has no 'alg'")
    if alg != ALGORITHM:
        code = "jose.alg_none" if isinstance(alg, str) and alg.lower() == "none" else "jose.unsupported_alg"
        raise JoseError(code, f"SMART Health Cards are signed with ES256, not {str(alg)[:20]!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JoseError("jose.no_kid", "the JWS header has no 'kid'")
    if len(jws.signature) != SIGNATURE_SIZE:
        raise JoseError(
            "jose.signature_size",
            f"an ES256 JWS signature is {SIGNATURE_SIZE} raw bytes (r||s), this one is {len(jws.signature)}",
        )
    return JoseHeader(alg=alg, kid=kid, zip=header.get("zip"), members=header)
