"""The ``shc:/`` numeric encoding: each JWS character ``c`` as the two digits of ``ord(c) - 45``.

Chunked codes (``shc:/<index>/<count>/<digits>``, deprecated by the specification) are
read in any scan order but never written.  Lengths and the chunk count are checked
before any digit is looked at, so a 10 MB string or a thousand chunks cost nothing.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from .errors import NumericError

PREFIX = "shc:/"
MAX_SINGLE_QR_JWS = 1195  # the longest JWS the specification allows in one (V22) QR code
MAX_CHUNKS = 64
MAX_JWS_CHARS = 65_536
MAX_DIGITS = 2 * MAX_JWS_CHARS
_MAX_TEXT = MAX_DIGITS + 32  # digits plus the prefix and a chunk header

_CHUNK_HEADER = re.compile(r"(\d{1,3})/(\d{1,3})/")

# a2b_hex reads a digit pair "ab" as 16a+b; this table maps that byte to chr(10a+b+45),
# and every pair above 77 to NUL, so a whole code decodes in two C calls.
_PAIR_TABLE = bytes(
    (10 * (i >> 4) + (i & 0xF) + 45) if (i >> 4) <= 9 and (i & 0xF) <= 9 and 10 * (i >> 4) + (i & 0xF) <= 77 else 0
    for i in range(256)
)
_ENCODE_TABLE = {code: f"{code - 45:02d}" for code in range(45, 45 + 78)}


@dataclass(frozen=True, slots=True)
class NumericCode:
    """A decoded ``shc:/`` code: the JWS text and how many chunks carried it (1 for a single QR)."""

    jws: str
    chunks: int = 1


def encode(jws: str) -> str:
    """One ``shc:/`` text for ``jws`` (no chunk header: chunking is never written)."""
    if not jws or any(not 45 <= ord(c) <= 122 for c in jws):
        raise NumericError("numeric.bad_character", "only characters '-' (45) to 'z' (122) can be numeric-encoded")
    return PREFIX + jws.translate(_ENCODE_TABLE)


def decode(texts: str | Sequence[str]) -> NumericCode:
    """The JWS a single ``shc:/`` text, or the chunks of one card in any order, encode."""
    if isinstance(texts, str):
        if len(texts) <= _MAX_TEXT:  # the common case, one QR code, without the chunk bookkeeping
            body = _strip_prefix(texts)
            if _CHUNK_HEADER.match(body) is None:
                return NumericCode(_digits_to_text(body))
        texts = (texts,)
    if not texts:
        raise NumericError("numeric.empty", "no shc:/ text given")
    if len(texts) > MAX_CHUNKS:
        raise NumericError("numeric.too_many_chunks", f"{len(texts)} chunks; at most {MAX_CHUNKS} are read")
    total = 0
    for text in texts:
        total += len(text)
        if total > _MAX_TEXT:
            raise NumericError("numeric.too_long", f"the code exceeds {MAX_JWS_CHARS} JWS characters")
    bodies = [_strip_prefix(text) for text in texts]
    if len(bodies) == 1 and _CHUNK_HEADER.match(bodies[0]) is None:
        return NumericCode(_digits_to_text(bodies[0]))
    return NumericCode(_reassemble(bodies), len(bodies))


def _strip_prefix(text: str) -> str:
    if text[: len(PREFIX)].lower() != PREFIX:
        raise NumericError("numeric.bad_prefix", "a SMART Health Card code starts with 'shc:/'")
    return text[len(PREFIX) :]


def _reassemble(bodies: list[str]) -> str:
    parts: dict[int, str] = {}
    count: int | None = None
    for body in bodies:
        match = _CHUNK_HEADER.match(body)
        if match is None:
            raise NumericError("numeric.chunk_header_missing", "a chunk of a multi-part code has no 'i/n/' header")
        index, total = int(match.group(1)), int(match.group(2))
        if count is None:
            count = total
        elif total != count:
            raise NumericError("numeric.chunk_inconsistent", "the chunks disagree on how many chunks there are")
        if not 1 <= index <= total:
            raise NumericError("numeric.chunk_out_of_range", f"chunk {index} of {total} does not exist")
        if index in parts:
            raise NumericError("numeric.chunk_duplicate", f"chunk {index} was given twice")
        parts[index] = body[match.end() :]
    assert count is not None
    if len(parts) != count:
        missing = sorted(set(range(1, count + 1)) - set(parts))
        raise NumericError("numeric.chunk_missing", f"chunks {missing[:5]} of {count} are missing")
    return "".join(_digits_to_text(parts[index]) for index in range(1, count + 1))


def _digits_to_text(digits: str) -> str:
    # One pass for the common, well-formed code: a2b_hex reads only pairs of hex digits (about
    # twice as fast as bytes.fromhex), and every pair that holds a letter or exceeds 77
    # becomes NUL.  Anything else is looked at again for its reason.
    try:
        decoded = binascii.a2b_hex(digits).translate(_PAIR_TABLE)
    except (binascii.Error, ValueError):
        decoded = b""
    if not digits or 2 * len(decoded) != len(digits) or 0 in decoded:
        _refuse(digits)
    return decoded.decode("ascii")


def _refuse(digits: str) -> NoReturn:
    """Raise the reason ``digits`` is no numeric-mode code."""
    if not (digits.isascii() and digits.isdigit()):
        raise NumericError("numeric.not_digits", "the code holds characters other than the digits 0-9")
    if len(digits) % 2:
        raise NumericError("numeric.odd_length", "the code holds an odd number of digits")
    raise NumericError("numeric.pair_too_big", "a digit pair exceeds 77")
