"""Strict CBOR decoding shared by the COSE, CWT and trust-list stages.

cbor2 is lenient by default: it ignores trailing bytes, accepts duplicate
map keys and turns date tags into ``datetime`` objects.  For signed data
each of those is a way for two parsers to disagree about what was signed,
so every decode in vaxcert goes through :func:`loads_strict`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import cbor2

# The map types cbor2 decodes to: dict, or its frozen map where a map must be
# hashable.  Checking these concrete types is several times cheaper than an
# isinstance() against collections.abc.Mapping on the verification hot path.
MAP_TYPES: tuple[type[Mapping[Any, Any]], ...] = (dict, getattr(cbor2, "frozendict", dict))


class CborFormatError(ValueError):
    """The bytes are not exactly one well-formed CBOR item."""


def _keep_value(value: Any, immutable: bool) -> Any:
    return value


# No certificate field needs more than 64 bits; a huge bignum is an attack on whatever
# prints it (Python refuses to format integers of over 4,300 digits).
_MAX_BIGNUM_BYTES = 16


def _bignum(sign: int) -> Any:
    def decode(value: Any, immutable: bool) -> int:
        if not isinstance(value, bytes) or len(value) > _MAX_BIGNUM_BYTES:
            raise ValueError(f"bignums longer than {_MAX_BIGNUM_BYTES} bytes are not accepted")
        number = int.from_bytes(value, "big")
        return number if sign > 0 else -1 - number

    return decode


# Tags 0 (RFC 3339 text) and 1 (epoch number) stay as their plain value so the
# decoded DCC is the JSON the issuer wrote, tagged or not.
_SEMANTIC = {0: _keep_value, 1: _keep_value, 2: _bignum(1), 3: _bignum(-1)}
_MAX_DEPTH = 32


def loads_strict(data: bytes) -> Any:
    """Decode exactly one CBOR item, rejecting trailing bytes and duplicate keys."""
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream,
            semantic_decoders=_SEMANTIC,
            max_depth=_MAX_DEPTH,
            allow_duplicate_keys=False,
        )
        value = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise CborFormatError(str(exc) or type(exc).__name__) from None
    if stream.tell() != len(data):
        raise CborFormatError(f"{len(data) - stream.tell()} bytes follow the CBOR item")
    return value


def dumps(value: Any) -> bytes:
    """Encode in canonical (deterministic) form, as RFC 8949 §4.2 prefers for signing."""
    return cbor2.dumps(value, canonical=True)
