"""Base45 stage (RFC 9285): bytes <-> the QR alphanumeric alphabet.

Written here rather than taken from the PyPI ``base45`` package because the
verifier decodes one code per scan and the package's per-character loop is
the slowest step of the pipeline (see ``benchmarks/bench_base45.py``).  The
hot loops are a ``bytes.translate`` and one list comprehension over strided
slices; the package stays in the test suite as the reference oracle.
"""

from __future__ import annotations

import sys
from array import array
from functools import cache

from .errors import Base45Error

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_INVALID = 0xFF
_DECODE_TABLE = bytes(ALPHABET.index(chr(i)) if chr(i) in ALPHABET else _INVALID for i in range(256))
_BIG_ENDIAN = sys.byteorder == "big"


@cache
def _triples() -> tuple[str, ...]:
    # 65536 three-character strings (~4 MB) built on first encode only, so
    # verifiers, which never encode, do not pay for them.
    a = ALPHABET
    return tuple(a[n % 45] + a[(n // 45) % 45] + a[n // 2025] for n in range(65536))


def encode(data: bytes) -> str:
    """Encode bytes as Base45 text."""
    even = len(data) - (len(data) % 2)
    words = array("H")
    words.frombytes(data[:even])
    if not _BIG_ENDIAN:
        words.byteswap()
    table = _triples()
    text = "".join([table[w] for w in words])
    if even != len(data):
        last = data[-1]
        text += ALPHABET[last % 45] + ALPHABET[last // 45]
    return text


def decode(text: str) -> bytes:
    """Decode Base45 text, raising :class:`Base45Error` on any invalid input."""
    if not isinstance(text, str):
        raise Base45Error("base45.not_text", f"expected text, got {type(text).__name__}")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise Base45Error(
            "base45.bad_character",
            f"non-ASCII character {text[exc.start]!r} at position {exc.start}",
        ) from None
    values = raw.translate(_DECODE_TABLE)
    if _INVALID in values:
        position = values.index(_INVALID)
        raise Base45Error(
            "base45.bad_character",
            f"character {text[position]!r} at position {position} is not in the Base45 alphabet",
        )
    tail = len(values) % 3
    if tail == 1:
        raise Base45Error("base45.bad_length", f"length {len(values)} leaves a dangling character")
    full = len(values) - tail
    words = [
        c + 45 * d + 2025 * e for c, d, e in zip(values[0:full:3], values[1:full:3], values[2:full:3], strict=True)
    ]
    if words and max(words) > 0xFFFF:
        raise Base45Error("base45.overflow", "a three-character group encodes a value above 65535")
    packed = array("H", words)
    if not _BIG_ENDIAN:
        packed.byteswap()
    out = packed.tobytes()
    if tail:
        last = values[full] + 45 * values[full + 1]
        if last > 0xFF:
            raise Base45Error("base45.overflow", "the final two-character group encodes a value above 255")
        out += bytes((last,))
    return out
