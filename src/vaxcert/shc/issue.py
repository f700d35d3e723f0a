"""Issue a SMART Health Card: minimised FHIR bundle → claims → raw DEFLATE → ES256 JWS → one ``shc:/`` QR.

Chunking is deprecated by the specification, so a card that does not fit one QR
(a JWS of more than 1195 characters) is refused with ``issue.too_large`` rather
than split.  The bundle is minimised as the specification requires of cards meant
for QR codes: no resource ids, no meta (except ``meta.security``), no narrative,
no ``CodeableConcept.text`` or ``Coding.display``, and short ``resource:N`` URIs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .. import qr
from . import inflate, jose, jws, numeric, payload
from .errors import ShcIssuanceError
from .payload import HEALTH_CARD_TYPE
from .signer import JwsSigner

FHIR_VERSION = "4.0.1"
MAX_QR_VERSION = 22  # 105×105 modules: the specification's 40 mm print size
_RID = re.compile(r"[A-Za-z0-9_-]{1,24}")


@dataclass(frozen=True, slots=True)
class IssuedShc:
    """A freshly signed SMART Health Card: the QR text, its JWS, and how to draw it."""

    text: str
    jws: str
    kid: str
    issuer: str
    issued_at: datetime
    error_correction: str = "L"

    def png(self, scale: int = 4) -> bytes:
        return qr.encode_png(self.text, scale, self.error_correction)

    def svg(self, scale: int = 4) -> str:
        return qr.encode_svg(self.text, scale, self.error_correction)


def issue_shc(
    bundle: Mapping[str, Any],
    signer: JwsSigner,
    *,
    issuer: str,
    issued_at: datetime,
    rid: str | None = None,
) -> IssuedShc:
    """Sign ``bundle`` (a FHIR R4 Bundle) as a health card of ``issuer`` (its https URL, no trailing '/')."""
    _check_issuer(issuer)
    if issued_at.tzinfo is None:
        raise ShcIssuanceError("issue.naive_time", "issued_at needs a time zone")
    if rid is not None and _RID.fullmatch(rid) is None:
        raise ShcIssuanceError("issue.bad_rid", "a rid is 1 to 24 characters of the base64url alphabet")
    vc: dict[str, Any] = {
        "type": [HEALTH_CARD_TYPE],
        "credentialSubject": {"fhirVersion": FHIR_VERSION, "fhirBundle": minimise_bundle(bundle)},
    }
    if rid is not None:
        vc["rid"] = rid
    claims = {"iss": issuer, "nbf": int(issued_at.timestamp()), "vc": vc}
    header = jose.encode(signer.kid)
    body = inflate.encode(payload.encode(claims))
    signing_input = f"{jws.b64url_encode(header)}.{jws.b64url_encode(body)}".encode("ascii")
    signature = signer.sign(signing_input)
    if len(signature) != jose.SIGNATURE_SIZE:
        raise ShcIssuanceError("issue.bad_signature", "the signer did not return a 64-byte ES256 r||s signature")
    token = jws.encode(header, body, signature)
    if len(token) > numeric.MAX_SINGLE_QR_JWS:
        raise ShcIssuanceError(
            "issue.too_large",
            f"the card's JWS is {len(token)} characters; one QR holds at most {numeric.MAX_SINGLE_QR_JWS}",
        )
    text = numeric.encode(token)
    return IssuedShc(text, token, signer.kid, issuer, issued_at, _error_correction(text))


def minimise_bundle(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``bundle`` with the specification's QR minimisation applied."""
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise ShcIssuanceError("issue.bad_bundle", "a SMART Health Card carries a FHIR Bundle")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise ShcIssuanceError("issue.bad_bundle", "the FHIR Bundle has no entries")
    short: dict[str, str] = {}
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise ShcIssuanceError("issue.bad_bundle", f"bundle entry {index} holds no FHIR resource")
        if isinstance(entry.get("fullUrl"), str):
            short[entry["fullUrl"]] = f"resource:{index}"
        if isinstance(resource.get("id"), str):
            short[f"{resource['resourceType']}/{resource['id']}"] = f"resource:{index}"
    minimised_entries = [
        {"fullUrl": f"resource:{index}", "resource": _resource(entry["resource"], short)}
        for index, entry in enumerate(entries)
    ]
    return {"resourceType": "Bundle", "type": bundle.get("type", "collection"), "entry": minimised_entries}


def _resource(resource: Mapping[str, Any], short: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in resource.items():
        if name in ("id", "text"):
            continue
        if name == "meta":
            security = value.get("security") if isinstance(value, Mapping) else None
            if security:
                out["meta"] = {"security": _element(security, short)}
            continue
        out[name] = _element(value, short)
    return out


def _element(value: Any, short: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_element(item, short) for item in value]
    if not isinstance(value, Mapping):
        return value
    if isinstance(value.get("resourceType"), str):  # a contained resource
        return _resource(value, short)
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name == "text" and "coding" in value:  # CodeableConcept.text
            continue
        if name == "display" and ("code" in value or "system" in value):  # Coding.display
            continue
        if name == "reference" and isinstance(item, str):
            out[name] = short.get(item, item)
            continue
        out[name] = _element(item, short)
    return out


def _check_issuer(issuer: str) -> None:
    parts = urlsplit(issuer) if isinstance(issuer, str) else None
    if parts is None or parts.scheme != "https" or not parts.netloc or issuer.endswith("/") or parts.query:
        raise ShcIssuanceError("issue.bad_issuer", "the issuer is an https URL without a trailing '/' or query")


def _error_correction(text: str) -> str:
    # The strongest error correction that still fits the specification's largest symbol.
    for level in ("Q", "M"):
        if qr.symbol_version(text, level) <= MAX_QR_VERSION:
            return level
    return "L"
