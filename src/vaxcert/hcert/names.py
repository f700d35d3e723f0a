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


def _icao_form(ch: str) -> str:
    """What one upper-case character becomes in the ICAO form: ``<`` for a separator, else
    its letters with anything outside A-Z dropped."""
    return "<" if _SEPARATORS.fullmatch(ch) else _NOT_ICAO.sub("", _latin(ch))


# _icao_form() of every upper-case character of the Latin blocks names are written in, as a
# str.translate table: a name made only of these takes one C-level pass instead of a regex
# and a Python call per character (transliterate_each() is the per-character reference).
_ICAO_TABLE: dict[int, str] = {
    ord(ch): _icao_form(ch)
    for start, end in ((0x20, 0x250), (0x1E00, 0x1F00), (0x2010, 0x2015))
    for ch in map(chr, range(start, end))
    if ch == ch.upper()
}
_TABLE_CHARACTERS = frozenset(map(chr, _ICAO_TABLE))


def transliterate(name: str) -> str:
    """``"Đặng Văn Lưỡng"`` -> ``"DANG<VAN<LUONG"``.

    Raises :class:`IssuanceError` when nothing transliterable is left (e.g. a
    name in a non-Latin script) or the result exceeds 80 characters: the
    issuer must then supply fnt/gnt explicitly.
    """
    upper = unicodedata.normalize("NFC", name).upper()
    if _TABLE_CHARACTERS.issuperset(upper):
        # Splitting on "<" and joining the non-empty parts collapses runs and trims both ends.
        text = "<".join([part for part in upper.translate(_ICAO_TABLE).split("<") if part])
    else:
        text = _transliterate_each(upper)
    return _checked(name, text)


def _transliterate_each(upper: str) -> str:
    text = _SEPARATORS.sub("<", upper.strip())
    text = "".join([_latin(ch) for ch in text])
    return _RUNS.sub("<", _NOT_ICAO.sub("", text)).strip("<")


def transliterate_each(name: str) -> str:
    """:func:`transliterate` one character at a time, whatever the script (the reference for tests)."""
    return _checked(name, _transliterate_each(unicodedata.normalize("NFC", name).upper()))


def _checked(name: str, text: str) -> str:
    if name.strip() and not text:
        raise IssuanceError("name.not_transliterable", f"{name!r} has no Latin letters; supply the transliterated form")
    if len(text) > MAX_LENGTH:
        raise IssuanceError("name.too_long", f"transliterated name is {len(text)} characters (max {MAX_LENGTH})")
    return text
