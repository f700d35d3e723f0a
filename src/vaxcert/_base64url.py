"""Strict unpadded base64url (RFC 4648 §5) for the JSON formats: one text per byte string.

Strict means the URL-safe alphabet only, no length base64 cannot produce, and no
stray bits in the last character, so an altered character never decodes to the same
bytes.  The checks are a few C calls: the decoder runs on every SHC and VDS-NC
verification.
"""

from __future__ import annotations

import binascii

_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {byte: index for index, byte in enumerate(_ALPHABET)}
# A final partial group leaves the low bits of its last character unused, and they must be
# zero: after 2 characters (1 byte) the low 4 bits, after 3 characters (2 bytes) the low 2.
_UNUSED_BITS = {2: 0xF, 3: 0x3}


def decode_canonical(raw: bytes) -> bytes | None:
    """The bytes whose unpadded base64url text ``raw`` is; None when ``raw`` is not exactly that text."""
    tail = len(raw) % 4
    # Deleting the alphabet leaves nothing only for pure base64url: '+', '/', '=' and every
    # other foreign byte survive it.
    if tail == 1 or raw.translate(None, _ALPHABET) or (tail and _VALUE[raw[-1]] & _UNUSED_BITS[tail]):
        return None
    return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-tail % 4), strict_mode=True)
