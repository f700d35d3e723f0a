"""Strict unpadded base64url (RFC 4648 §5) for the JSON formats: one text per byte string.

Strict means the URL-safe alphabet only, no length base64 cannot produce, and no
stray bits in the last character, so an altered character never decodes to the same
bytes.  The checks are a few C calls (byte searches, no pass over the text in Python):
the decoder runs on every SHC and VDS-NC verification.
"""

from __future__ import annotations

import binascii

_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {byte: index for index, byte in enumerate(_ALPHABET)}
# A final partial group leaves the low bits of its last character unused, and they must be
# zero: after 2 characters (1 byte) the low 4 bits, after 3 characters (2 bytes) the low 2.
_UNUSED_BITS = {2: 0xF, 3: 0x3}
# Searched for as byte values: "b'+' in raw" first tries the operand as an integer and
# raises and clears a TypeError inside CPython before it searches.
_PLUS, _SLASH, _PAD = b"+/="


def decode_canonical(raw: bytes) -> bytes | None:
    """The bytes whose unpadded base64url text ``raw`` is; None when ``raw`` is not exactly that text."""
    tail = len(raw) % 4
    # binascii's strict mode refuses every byte outside the standard alphabet once '-' and '_'
    # are mapped onto '+' and '/'; what is left to refuse is those two and padding.
    if tail == 1 or _PLUS in raw or _SLASH in raw or _PAD in raw:
        return None
    if tail and _VALUE.get(raw[-1], 0) & _UNUSED_BITS[tail]:
        return None
    try:
        return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-tail % 4), strict_mode=True)
    except binascii.Error:
        return None
