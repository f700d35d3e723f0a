"""ICAO 9303 Part 3 transliteration of names into the DCC's fnt/gnt form.

NFD-and-strip handles most Latin letters (every Vietnamese tone and vowel
mark included), but some letters either have no decomposition (Đ, Ø, Ł) or
transliterate to two letters (Ä -> AE, ß -> SS); those come from the table.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..errors import IssuanceError

MAX_LENGTH = 80

# ICAO 9303-3 Table A multi-letter and non-decomposing Latin mappings.
_TABLE = {
    "Ä": "AE",
    "Å": "AA",
    "Æ": "AE",
    "Ö": "OE",
    "Ø": "OE",
    "Ü": "UE",
    "ß": "SS",
    "Þ": "TH",
    "Œ": "OE",
    "Ĳ": "IJ",
    "Đ": "D",
    "Ð": "D",
    "Ħ": "H",
    "Ł": "L",
    "Ŀ": "L",
    "Ŋ": "N",
    "Ŧ": "T",
    "\u0131": "I",
    "ĸ": "K",
    "ŉ": "N",
}
# Whitespace, hyphen-minus, and the Unicode hyphens and dashes people type in names.
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2013\u2014]+")
_NOT_ICAO = re.compile(r"[^A-Z<]")
_RUNS = re.compile(r"<{2,}")


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str:
    """One upper-case character in ICAO form: the table, else its base letter(s)."""
    if ch in _TABLE:
        return _TABLE[ch]
    return "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")


def transliterate(name: str) -> str:
    """``"Đặng Văn Lưỡng"`` -> ``"DANG<VAN<LUONG"``.

    Raises :class:`IssuanceError` when nothing transliterable is left (e.g. a
    name in a non-Latin script) or the result exceeds 80 characters: the
    issuer must then supply fnt/gnt explicitly.
    """
    text = unicodedata.normalize("NFC", name).strip().upper()
    text = _SEPARATORS.sub("<", text)
    text = "".join([_latin(ch) for ch in text])
    text = _RUNS.sub("<", _NOT_ICAO.sub("", text)).strip("<")
    if name.strip() and not text:
        raise IssuanceError("name.not_transliterable", f"{name!r} has no Latin letters; supply the transliterated form")
    if len(text) > MAX_LENGTH:
        raise IssuanceError("name.too_long", f"transliterated name is {len(text)} characters (max {MAX_LENGTH})")
    return text
