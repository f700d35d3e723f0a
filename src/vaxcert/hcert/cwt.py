"""CWT claims stage (RFC 8392): the COSE payload carrying iss, iat, exp and hcert."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from .._cbor import HCERT_PAYLOAD, MAP_TYPES, CborFormatError, loads_strict
from ..errors import CwtError

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HCERT = -260
HCERT_EU_DCC_V1 = 1


@dataclass(frozen=True, slots=True)
class CwtClaims:
    """The decoded claim set; ``dcc`` is the EU DCC as plain dicts and lists."""

    issuer: str | None
    issued_at: int | None
    expires_at: int | None
    dcc: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The claims as the verifier's JSON report prints them (a copy: editing it leaves the claims alone)."""
        claims = {"iss": self.issuer, "iat": self.issued_at, "exp": self.expires_at, "hcert": self.dcc}
        try:
            # Nearly every payload is plain JSON already: copied in one lean walk ...
            copied: dict[str, Any] = _plain_copy(claims, 0, [JSON_MAX_VALUES - 1])  # the root counts as a value
            return copied
        except _NotPlain:
            # ... and anything else (bytes, tags, huge numbers, cycles, floods) the bounded way.
            printable: dict[str, Any] = json_compatible(claims)
            return printable


def encode(claims: CwtClaims) -> bytes:
    """Serialise claims as a CBOR map, keys in a fixed order.

    Not RFC 8949 canonical form: sorting the whole DCC costs more than the
    signature, and verifiers hash the payload bytes as received anyway.
    """
    body: dict[int, Any] = {}
    if claims.issuer is not None:
        body[CLAIM_ISS] = claims.issuer
    if claims.expires_at is not None:
        body[CLAIM_EXP] = claims.expires_at
    if claims.issued_at is not None:
        body[CLAIM_IAT] = claims.issued_at
    body[CLAIM_HCERT] = {HCERT_EU_DCC_V1: claims.dcc}
    return cbor2.dumps(body)


def decode(payload: bytes) -> CwtClaims:
    """Parse a CWT claim set, raising :class:`CwtError` when it is malformed."""
    try:
        claims = loads_strict(payload, HCERT_PAYLOAD)
    except CborFormatError as exc:
        # bad_cbor, or forbidden_tag / too_deep / too_large for what the HCERT profile refuses
        raise CwtError(f"cwt.{exc.reason}", f"the COSE payload is not valid HCERT CBOR ({exc})") from None
    if not isinstance(claims, MAP_TYPES):
        raise CwtError("cwt.not_a_map", "the CWT claim set is not a map")
    issuer = claims.get(CLAIM_ISS)
    if issuer is not None and not isinstance(issuer, str):
        raise CwtError("cwt.bad_iss", "the iss claim is not text")
    hcert = claims.get(CLAIM_HCERT)
    if hcert is None:
        raise CwtError("cwt.no_hcert", "the claim set has no hcert claim (-260)")
    if not isinstance(hcert, MAP_TYPES):
        raise CwtError("cwt.bad_hcert", "the hcert claim is not a map")
    dcc = hcert.get(HCERT_EU_DCC_V1)
    if not isinstance(dcc, MAP_TYPES):
        raise CwtError("cwt.no_dcc", "the hcert claim holds no EU DCC (key 1) map")
    return CwtClaims(
        issuer=issuer,
        issued_at=_numeric_date(claims, CLAIM_IAT, "iat"),
        expires_at=_numeric_date(claims, CLAIM_EXP, "exp"),
        # cbor2 decodes map values as plain dicts and lists; frozen forms appear only inside
        # map keys, which a DCC never has (and the schema check rejects), so no deep copy.
        dcc=dcc if type(dcc) is dict else plain(dcc),
    )


def _numeric_date(claims: Mapping[Any, Any], key: int, name: str) -> int | None:
    value = claims.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CwtError(f"cwt.bad_{name}", f"the {name} claim is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CwtError(f"cwt.bad_{name}", f"the {name} claim is not a finite number")
        value = int(value)
    return value


def plain(value: Any) -> Any:
    """Turn cbor2's frozen maps and tuples into ordinary dicts and lists."""
    # Exact type checks first: this runs on every verification, and ABC
    # isinstance checks against Mapping cost more than the CBOR decode itself.
    kind = type(value)
    if kind is str or kind is int:
        return value
    if kind is dict or isinstance(value, MAP_TYPES):
        return {k: plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    return value


# Bounds for printing: far beyond any certificate, small enough that a hostile or
# hand-built structure cannot make a report slow, huge or recursive.
JSON_MAX_DEPTH = 32
JSON_MAX_VALUES = 10_000
_JSON_MAX_INT_BITS = 1024  # past ~4,300 digits Python refuses to turn an int into text
_JSON_MAX_TEXT = 200  # for the text of values JSON has no type for

_JSON_SAFE_INT = 1 << 63  # within every JSON reader's integers; larger ones take the converter's path


class _NotPlain(Exception):
    """The value needs the bounded converter (not JSON as it stands, or past a bound)."""


def _plain_copy(value: Any, depth: int, left: list[int]) -> Any:
    """A copy of ``value`` if it is plain JSON within the printing bounds; else raises :class:`_NotPlain`.

    Only exact types pass (str, int, bool, None, finite float, dict with text keys, list), so
    what it returns is what :func:`json_compatible` would, without that converter's
    per-value bookkeeping.  Depth is bounded, so a cycle ends in :class:`_NotPlain` too.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_JSON_SAFE_INT <= value < _JSON_SAFE_INT:
            return value
        raise _NotPlain
    if kind is float:
        if math.isfinite(value):
            return value
        raise _NotPlain
    if depth >= JSON_MAX_DEPTH or (kind is not dict and kind is not list):
        raise _NotPlain
    left[0] -= len(value)
    if left[0] < 0:
        raise _NotPlain
    depth += 1
    if kind is list:
        return [_plain_copy(item, depth, left) for item in value]
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            raise _NotPlain
        out[key] = _plain_copy(item, depth, left)
    return out


CYCLE = "<cycle>"
TOO_DEEP = "<too deep>"
TRUNCATED = "<truncated>"


def json_compatible(value: Any) -> Any:
    """Make any decoded CBOR value printable as JSON (bytes become hex).

    Safe for any structure it is handed: a container that contains itself
    becomes ``"<cycle>"``, nesting beyond :data:`JSON_MAX_DEPTH` ``"<too deep>"``
    and values past the first :data:`JSON_MAX_VALUES` ``"<truncated>"``.
    """
    return _JsonBudget().convert(value, 0)


class _JsonBudget:
    __slots__ = ("left", "path")

    def __init__(self) -> None:
        self.left = JSON_MAX_VALUES
        self.path: set[int] = set()  # ids of the containers being converted (a cycle revisits one)

    def convert(self, value: Any, depth: int) -> Any:
        self.left -= 1
        if self.left < 0:
            return TRUNCATED
        kind = type(value)
        if kind is str or value is None or kind is bool or (kind is float and math.isfinite(value)):
            return value
        if kind is int or isinstance(value, int):
            return int(value) if value.bit_length() <= _JSON_MAX_INT_BITS else hex(value)
        if isinstance(value, bytes):
            return value.hex()
        if isinstance(value, float):
            return str(value)
        if isinstance(value, (Mapping, list, tuple, set, frozenset, cbor2.CBORTag)):
            if depth >= JSON_MAX_DEPTH:
                return TOO_DEEP
            marker = id(value)
            if marker in self.path:
                return CYCLE
            self.path.add(marker)
            try:
                return self._container(value, depth + 1)
            finally:
                self.path.discard(marker)
        return _short_text(value)

    def _container(self, value: Any, depth: int) -> Any:
        if isinstance(value, cbor2.CBORTag):
            return {"tag": self.convert(value.tag, depth), "value": self.convert(value.value, depth)}
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if self.left <= 0:
                    out[TRUNCATED] = TRUNCATED
                    break
                out[self._key(key, depth)] = self.convert(item, depth)
            return out
        items: list[Any] = []
        for item in value:
            if self.left <= 0:
                items.append(TRUNCATED)
                break
            items.append(self.convert(item, depth))
        return items

    def _key(self, key: Any, depth: int) -> str:
        if type(key) is str:
            return key
        converted = self.convert(key, depth)
        return converted if type(converted) is str else _short_text(converted)


def _short_text(value: Any) -> str:
    try:
        text = str(value)
    except Exception:  # a hostile object's __str__ may raise anything (RecursionError, ValueError, ...)
        return f"<{type(value).__name__}>"
    return text if len(text) <= _JSON_MAX_TEXT else text[: _JSON_MAX_TEXT - 1] + "…"
