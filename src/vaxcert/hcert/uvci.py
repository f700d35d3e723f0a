"""Unique Vaccination Certificate Identifiers (eHN guidelines, Annex 2).

vaxcert issues the opaque layout (option 3): ``URN:UVCI:01:VN:<13 random
characters>#<check>``, carrying no personal data and no sequence that would
reveal issuance volumes.  The check character is Luhn mod N over the whole
string including the ``URN:UVCI:`` prefix.

An issuer serving several organisations gives each one a namespace: a short
issuing-entity prefix as the first component of the opaque field,
``URN:UVCI:01:VN:<PREFIX>/<13 random characters>#<check>``.  The ``/``
(the guidelines' component separator) keeps every namespaced UVCI apart
from the unprefixed ones, whatever the prefix.
"""

from __future__ import annotations

import re
import secrets

from ..errors import IssuanceError

CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
PREFIX = "URN:UVCI:"
VERSION = "01"
OPAQUE_LENGTH = 13
MAX_LENGTH = 80
_OPAQUE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ISSUING_ENTITY = re.compile(r"^[A-Z0-9]{1,20}$")
# Version 01, a country, then fields of [A-Z0-9] components; ":" separates fields, "/" components.
# No empty component, so nothing like "../" or a trailing "/pdf" can be spelt.
_GRAMMAR = re.compile(r"^URN:UVCI:01:[A-Z]{2}:[A-Z0-9]+(?:[:/][A-Z0-9]+)*#[A-Z0-9/:]$")


_INVALID = 0xFF
# Luhn mod N adds, for each character from the right, its code point alternately doubled
# (then both digits of the product in base N) and as is; both addends come from a table so
# the sum runs over whole byte strings in C rather than a per-character Python loop.
_AS_IS = bytes(CHARSET.index(chr(b)) if chr(b) in CHARSET else _INVALID for b in range(256))
_DOUBLED = bytes(
    (2 * CHARSET.index(chr(b))) // len(CHARSET) + (2 * CHARSET.index(chr(b))) % len(CHARSET)
    if chr(b) in CHARSET
    else _INVALID
    for b in range(256)
)


def check_character(body: str) -> str:
    """The Luhn mod 38 check character for ``body`` (without the ``#``)."""
    try:
        raw = body.encode("ascii")
    except UnicodeEncodeError as exc:
        raise IssuanceError("uvci.bad_character", f"{body[exc.start]!r} is not allowed in a UVCI") from None
    as_is = raw.translate(_AS_IS)
    if _INVALID in as_is:
        raise IssuanceError("uvci.bad_character", f"{body[as_is.index(_INVALID)]!r} is not allowed in a UVCI")
    n = len(CHARSET)
    # The rightmost character is doubled, the one before it taken as is, and so on.
    total = sum(raw[-1::-2].translate(_DOUBLED)) + sum(as_is[-2::-2])
    return CHARSET[(n - total % n) % n]


def generate(country: str = "VN", issuing_entity: str | None = None) -> str:
    """A fresh opaque UVCI with its check character, inside ``issuing_entity``'s namespace when given."""
    if not _COUNTRY.match(country):
        raise IssuanceError("uvci.bad_country", f"{country!r} is not an ISO 3166-1 alpha-2 code")
    if issuing_entity is not None and not _ISSUING_ENTITY.match(issuing_entity):
        raise IssuanceError("uvci.bad_issuing_entity", f"{issuing_entity!r} is not 1-20 characters of A-Z, 0-9")
    body = f"{namespace(country, issuing_entity) if issuing_entity else f'{PREFIX}{VERSION}:{country}:'}{_opaque()}"
    return f"{body}#{check_character(body)}"


# A random byte below 252 (7 x 36) picks each of the 36 characters with equal chance; the
# four bytes above are dropped, so one draw of 16 bytes nearly always yields 13 characters.
_OPAQUE_FROM_BYTE = bytes(ord(_OPAQUE_ALPHABET[b % 36]) for b in range(252)) + bytes(4)
_DROPPED = bytes(range(252, 256))


def _opaque() -> str:
    characters = b""
    while len(characters) < OPAQUE_LENGTH:
        characters += secrets.token_bytes(16).translate(_OPAQUE_FROM_BYTE, _DROPPED)
    return characters[:OPAQUE_LENGTH].decode("ascii")


def namespace(country: str, issuing_entity: str) -> str:
    """The text every UVCI of ``issuing_entity`` starts with: ``URN:UVCI:01:VN:<ENTITY>/``."""
    return f"{PREFIX}{VERSION}:{country}:{issuing_entity}/"


def grammar_problem(value: str) -> str | None:
    """Why ``value`` is not a UVCI vaxcert will sign, or None.

    Stricter than the guidelines, which make the check character optional:
    an issuer always has one to give, and it catches the typing errors of a
    value people read out and copy by hand.
    """
    if len(value) > MAX_LENGTH:
        return f"a UVCI has at most {MAX_LENGTH} characters (got {len(value)})"
    if not _GRAMMAR.match(value):
        return "expected URN:UVCI:01:<country>:<A-Z 0-9 fields separated by ':' or '/'>#<check character>, in capitals"
    return None


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
