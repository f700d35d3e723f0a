"""Base45 stage (RFC 9285): bytes <-> the QR alphanumeric alphabet.

Written here rather than taken from the PyPI ``base45`` package because the
verifier decodes one code per scan and the package's per-character loop is
the slowest step of the pipeline (``benchmarks/bench_pipeline.py`` measures
both).  Both directions work on whole strided slices and big integers instead
of a per-character loop; the package stays in the tests as the reference oracle.
"""

from __future__ import annotations

from ..errors import Base45Error

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_INVALID = 0xFF
_DECODE_TABLE = bytes(ALPHABET.index(chr(i)) if chr(i) in ALPHABET else _INVALID for i in range(256))


_ENCODE_TABLE = bytes.maketrans(bytes(range(45)), ALPHABET.encode("ascii"))
# floor(w / 2025) == (w * 66281) >> 27 for every 16-bit w, and
# floor(r / 45) == (r * 1457) >> 16 for every r < 2025 (checked exhaustively in tests).
_DIV2025 = (66281, 27)
_DIV45 = (1457, 16)
# 40-bit lanes: a word times 66281 needs 33 bits, and after the shift the next
# lane's bits land at bit 13 and up, above the masked 16-bit quotient.
_LANE = 5


def encode(data: bytes) -> str:
    """Encode bytes as Base45 text."""
    pairs = len(data) // 2
    text = _encode_pairs(data, pairs)
    if len(data) % 2:
        last = data[-1]
        text += ALPHABET[last % 45] + ALPHABET[last // 45]
    return text


def _encode_pairs(data: bytes, pairs: int) -> str:
    """Encode the first ``pairs`` byte pairs with big-integer lane arithmetic.

    Each 16-bit word sits in its own 40-bit lane of one big integer; the
    divisions by 2025 and 45 become a multiply, a shift and a lane mask, so
    there is no per-word Python loop (see :func:`_decode_groups`).
    """
    if not pairs:
        return ""
    size = _LANE * pairs
    lanes = bytearray(size)
    lanes[0::_LANE] = data[1 : 2 * pairs : 2]  # the word's low byte
    lanes[1::_LANE] = data[0 : 2 * pairs : 2]  # the word's high byte (big-endian input)
    words = int.from_bytes(lanes, "little")
    mask = _low_byte_mask(pairs, _LANE)  # quotients are below 64
    high = ((words * _DIV2025[0]) >> _DIV2025[1]) & mask
    rest = words - 2025 * high
    middle = ((rest * _DIV45[0]) >> _DIV45[1]) & mask
    low = rest - 45 * middle
    digits = bytearray(3 * pairs)
    digits[0::3] = low.to_bytes(size, "little")[0::_LANE]
    digits[1::3] = middle.to_bytes(size, "little")[0::_LANE]
    digits[2::3] = high.to_bytes(size, "little")[0::_LANE]
    return digits.translate(_ENCODE_TABLE).decode("ascii")


_LOW_BYTE_MASKS: dict[tuple[int, int], int] = {}


def _low_byte_mask(lanes: int, width: int) -> int:
    """0xFF in the low byte of each of ``lanes`` lanes of ``width`` bytes (kept: codes come in a few sizes)."""
    mask = _LOW_BYTE_MASKS.get((lanes, width))
    if mask is None:
        mask = int.from_bytes((b"\xff" + bytes(width - 1)) * lanes, "little")
        if len(_LOW_BYTE_MASKS) < 128:
            _LOW_BYTE_MASKS[(lanes, width)] = mask
    return mask


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
    groups = len(values) // 3
    out = _decode_groups(values, groups)
    if tail:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise Base45Error("base45.overflow", "the final two-character group encodes a value above 255")
        out += bytes((last,))
    return out


def _decode_groups(values: bytes, groups: int) -> bytes:
    """Decode ``groups`` full three-character groups without a per-group Python loop.

    Each group's digits (c, d, e) fill bytes 0-2 of one 32-bit little-endian lane of
    a single big integer; masking and shifting that integer gives every c, every d and
    every e at once, and one expression ``c + 45 d + 2025 e`` computes every group.  No
    lane can carry into the next: the largest group value, 91124, needs only 17 bits.
    """
    if not groups:
        return b""
    full = groups * 3
    lanes = bytearray(4 * groups)
    lanes[0::4] = values[0:full:3]
    lanes[1::4] = values[1:full:3]
    lanes[2::4] = values[2:full:3]
    digits = int.from_bytes(lanes, "little")
    mask = _low_byte_mask(groups, 4)
    words = ((digits & mask) + 45 * ((digits >> 8) & mask) + 2025 * ((digits >> 16) & mask)).to_bytes(
        4 * groups, "little"
    )
    if words[2::4].count(0) != groups:
        raise Base45Error("base45.overflow", "a three-character group encodes a value above 65535")
    out = bytearray(2 * groups)
    out[0::2] = words[1::4]  # big-endian: high byte first
    out[1::2] = words[0::4]
    return bytes(out)
