"""The JWT claim set of a SMART Health Card: ``iss``, ``nbf``, optional ``exp``, and ``vc``.

Decoded through :func:`vaxcert._json.loads_bounded` (a card's claims are a few
kilobytes; the profile refuses anything deep or huge before the parser runs).
Encoding is minified JSON, as the specification requires of issuers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .._json import CREDENTIAL, JsonFormatError, loads_bounded
from .errors import PayloadError

HEALTH_CARD_TYPE = "https://smarthealth.cards#health-card"
MAX_RID_CHARS = 24


@dataclass(frozen=True, slots=True)
class ShcClaims:
    """The claims a verifier uses; ``vc`` is kept whole for the content stage."""

    iss: str
    nbf: datetime | None
    exp: datetime | None
    vc: Mapping[str, Any]
    types: tuple[str, ...] = ()  # vc.type's text members
    rid: str | None = None  # vc.rid when it is a revocation id (text of at most 24 characters)

    @property
    def fhir_bundle(self) -> Any:
        subject = self.vc.get("credentialSubject")
        return subject.get("fhirBundle") if isinstance(subject, dict) else None


def encode(claims: Mapping[str, Any]) -> bytes:
    """Minified UTF-8 JSON (no optional whitespace), as issuers must write it."""
    return json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(data: bytes) -> ShcClaims:
    """Read the claim set; raises :class:`PayloadError` for non-JSON or missing ``iss``/``vc``."""
    try:
        claims = loads_bounded(data, CREDENTIAL)
    except JsonFormatError as exc:
        raise PayloadError(f"payload.{exc.reason}", f"the JWS payload is not a usable JSON claim set ({exc})") from None
    if not isinstance(claims, dict):
        raise PayloadError("payload.not_object", "the JWS payload is not a JSON object")
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise PayloadError("payload.no_iss", "the claim set has no issuer ('iss')")
    vc = claims.get("vc")
    if not isinstance(vc, dict):
        raise PayloadError("payload.no_vc", "the claim set has no verifiable credential ('vc')")
    types = vc.get("type")
    rid = vc.get("rid")
    return ShcClaims(
        iss=iss,
        nbf=_time(claims, "nbf"),
        exp=_time(claims, "exp"),
        vc=vc,
        types=tuple([item for item in types if isinstance(item, str)]) if isinstance(types, list) else (),
        rid=rid if isinstance(rid, str) and 0 < len(rid) <= MAX_RID_CHARS else None,
    )


def _time(claims: Mapping[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"payload.bad_{name}", f"'{name}' is not a number of seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"payload.bad_{name}", f"'{name}' is out of range") from None
