"""CWT claims stage (RFC 8392): the COSE payload carrying iss, iat, exp and hcert."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from ._cbor import MAP_TYPES, CborFormatError, loads_strict
from .errors import CwtError

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
        """The claims as the verifier's JSON report prints them."""
        return {
            "iss": self.issuer,
            "iat": self.issued_at,
            "exp": self.expires_at,
            "hcert": json_compatible(self.dcc),
        }


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
        claims = loads_strict(payload)
    except CborFormatError as exc:
        raise CwtError("cwt.bad_cbor", f"the COSE payload is not valid CBOR ({exc})") from None
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


def json_compatible(value: Any) -> Any:
    """Make any decoded CBOR value printable as JSON (bytes become hex)."""
    if isinstance(value, Mapping):
        return {str(k): json_compatible(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_compatible(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
