"""What a SMART Health Card says: the health-card type check, and its FHIR bundle as holder and events.

The bundle is read leniently: a resource that does not fit the expected shape is
skipped rather than failing the card (the specification calls such problems content
warnings), but only resources of the kinds a checkpoint shows become events:
Immunization (vaccination) and Observation (a laboratory test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..summary import HealthEvent, Holder
from .errors import ContentError
from .payload import HEALTH_CARD_TYPE, ShcClaims

# Code systems of vaccine and result codes, shortened to the prefix vaxcert reports.
CODE_SYSTEMS: Mapping[str, str] = {
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://snomed.info/sct": "SNOMED",
    "http://id.who.int/icd11/mms": "ICD-11",
    "http://id.who.int/icd/release/11/mms": "ICD-11",
    "http://loinc.org": "LOINC",
}
_RESULTS = {"260385009": "negative", "10828004": "positive", "260373001": "detected", "260415000": "not detected"}
_SKIPPED_STATUSES = frozenset({"not-done", "entered-in-error", "cancelled"})


@dataclass(frozen=True, slots=True)
class CardContent:
    holder: Holder | None
    events: tuple[HealthEvent, ...]


def check(claims: ShcClaims) -> Any:
    """The FHIR bundle of a health card; raises :class:`ContentError` when the card is no health card."""
    if HEALTH_CARD_TYPE not in claims.types:
        raise ContentError("content.not_health_card", f"vc.type does not hold {HEALTH_CARD_TYPE}")
    bundle = claims.fhir_bundle
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ContentError("content.no_bundle", "the health card carries no FHIR Bundle")
    return bundle


def read_bundle(bundle: Any) -> CardContent:
    """Holder (the first Patient) and events (Immunizations, Observations) in bundle order."""
    return CardContent(*holder_and_events(bundle))


def holder_and_events(bundle: Any) -> tuple[Holder | None, tuple[HealthEvent, ...]]:
    """:func:`read_bundle` as a pair, for the verification pipeline (one object fewer per card)."""
    resources = _resources(bundle)
    holder: Holder | None = None
    events: list[HealthEvent] = []
    for resource in resources.values():
        kind = resource.get("resourceType")
        if kind == "Patient":
            if holder is None:
                holder = _holder(resource)
        elif kind == "Immunization":
            if resource.get("status") not in _SKIPPED_STATUSES:
                events.append(_vaccination(resource, resources))
        elif kind == "Observation" and resource.get("status") not in _SKIPPED_STATUSES:
            events.append(_test(resource, resources))
    return holder, tuple(events)


def _resources(bundle: Any) -> dict[str, dict[str, Any]]:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(entries, list):
        return found
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        url = entry.get("fullUrl")
        found[url if isinstance(url, str) and url not in found else f"#{position}"] = resource
    return found


def _holder(patient: Mapping[str, Any]) -> Holder | None:
    name: dict[str, Any] | None = None
    for item in _list(patient.get("name")):  # the official name, else the first one
        if isinstance(item, dict):
            if item.get("use") == "official":
                name = item
                break
            if name is None:
                name = item
    if name is None:
        return None
    given = name.get("given")
    parts = [part.strip() for part in given if isinstance(part, str)] if isinstance(given, list) else []
    family = name.get("family")
    if isinstance(family, str):
        parts.append(family.strip())
    text = " ".join([part for part in parts if part])
    if not text and isinstance(name.get("text"), str):
        text = name["text"].strip()
    if not text:
        return None
    birth = patient.get("birthDate")
    return Holder(text, birth if isinstance(birth, str) else None)


def _vaccination(resource: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> HealthEvent:
    return HealthEvent(
        "vaccination",
        _date(resource.get("occurrenceDateTime")),
        _dose(resource.get("protocolApplied")),
        _country(resource, resources),
        _code(resource.get("vaccineCode")),
    )


def _test(resource: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> HealthEvent:
    result = _code(resource.get("valueCodeableConcept"), bare=True)
    if result is None and isinstance(resource.get("valueString"), str):
        result = resource["valueString"][:64]
    return HealthEvent(
        type="test",
        date=_date(resource.get("effectiveDateTime")),
        country=_country(resource, resources),
        product=_code(resource.get("code")),
        result=_RESULTS.get(result, result) if result else None,
    )


def _date(value: Any) -> str | None:
    # The date as the issuer wrote it: a local date is not shifted to UTC.
    if not isinstance(value, str) or len(value) < 4:
        return None
    return value[:10]


def _dose(protocol_applied: Any) -> int | None:
    for applied in _list(protocol_applied):
        if not isinstance(applied, dict):
            continue
        number = applied.get("doseNumberPositiveInt")
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            return number
        text = applied.get("doseNumberString")
        if isinstance(text, str) and text.strip().isdecimal() and len(text.strip()) <= 3:
            return int(text.strip())
    return None


def _code(concept: Any, *, bare: bool = False) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in _list(concept.get("coding")):
        if isinstance(coding, dict):
            code = coding.get("code")
            if isinstance(code, str):
                system = coding.get("system")
                # A system that is not text names no known system (and is never looked up).
                prefix = CODE_SYSTEMS.get(system) if isinstance(system, str) else None
                return code[:64] if bare or prefix is None else f"{prefix}:{code[:64]}"
    return None


def _country(resource: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> str | None:
    # Where a card names one: the Location's or the performing Organization's address.  An
    # Immunization's performer wraps its reference in "actor"; an Observation's is the reference.
    references = [resource.get("location")]
    performers = resource.get("performer")
    if performers is not None:
        references += [item.get("actor", item) for item in _list(performers) if isinstance(item, dict)]
    for reference in references:
        if not isinstance(reference, dict):
            continue
        url = reference.get("reference", "")
        # A reference that is not text points nowhere (and is never looked up).
        target = resources.get(url) if isinstance(url, str) else None
        if not target:
            continue
        for address in _list(target.get("address")):
            if isinstance(address, dict):
                country = address.get("country")
                if isinstance(country, str):
                    return country[:64]
    return None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []
