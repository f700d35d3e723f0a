"""Unique Vaccination Certificate Identifiers (eHN guidelines, Annex 2).

vaxcert issues the opaque layout (option 3): ``URN:UVCI:01:VN:<13 random
characters>#<check>``, carrying no personal data and no sequence that would
reveal issuance volumes.  The check character is Luhn mod N over the whole
string including the ``URN:UVCI:`` prefix.
"""

from __future__ import annotations

import re
import secrets

from .errors import IssuanceError

CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
PREFIX = "URN:UVCI:"
VERSION = "01"
OPAQUE_LENGTH = 13
MAX_LENGTH = 80
_OPAQUE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


_CODE_POINTS = {ch: index for index, ch in enumerate(CHARSET)}


def check_character(body: str) -> str:
    """The Luhn mod 38 check character for ``body`` (without the ``#``)."""
    n = len(CHARSET)
    factor = 2
    total = 0
    for ch in reversed(body):
        index = _CODE_POINTS.get(ch, -1)
        if index < 0:
            raise IssuanceError("uvci.bad_character", f"{ch!r} is not allowed in a UVCI")
        addend = factor * index
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return CHARSET[(n - total % n) % n]


def generate(country: str = "VN") -> str:
    """A fresh opaque UVCI with its check character."""
    if not _COUNTRY.match(country):
        raise IssuanceError("uvci.bad_country", f"{country!r} is not an ISO 3166-1 alpha-2 code")
    number = secrets.randbelow(len(_OPAQUE_ALPHABET) ** OPAQUE_LENGTH)
    digits = []
    for _ in range(OPAQUE_LENGTH):
        number, digit = divmod(number, len(_OPAQUE_ALPHABET))
        digits.append(_OPAQUE_ALPHABET[digit])
    opaque = "".join(digits)
    body = f"{PREFIX}{VERSION}:{country}:{opaque}"
    return f"{body}#{check_character(body)}"


def has_valid_checksum(uvci: str) -> bool:
    """True when ``uvci`` ends in ``#<c>`` and ``c`` is its Luhn mod N check character.

    A UVCI without a checksum is allowed by the guidelines but returns False.
    The check is case-sensitive: the value is compared exactly as printed.
    """
    body, sep, check = uvci.rpartition("#")
    if not sep or len(check) != 1 or not body or len(uvci) > MAX_LENGTH:
        return False
    try:
        return check_character(body) == check
    except IssuanceError:
        return False
