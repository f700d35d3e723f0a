"""Holder and events from a DIVOC credential: ``credentialSubject`` and the ``evidence`` list.

DIVOC writes the vaccination as ``evidence`` entries of type ``Vaccination``
(``date``, ``dose``, ``vaccine``, ``facility.address.addressCountry``...), and the
person as ``credentialSubject`` (``name``, ``dob`` in the v2 contexts or only ``age``).

What a signature covers is the credential's RDF, not its JSON: a member the contexts
do not define (``dob`` under the CoWIN v1 context, say) is dropped by JSON-LD and
could be edited freely.  :func:`read` therefore takes the literal values the canonical
form holds and shows a value only when it is one of them.  The DIVOC contexts also
map several members to one property (``date``, ``effectiveStart`` and
``effectiveUntil`` are all ``schema:date``; ``dose`` and ``totalDoses`` both
``schema:doseValue``), so the signature cannot tell those members apart: a dose
above ``totalDoses`` is not shown (it may be a signed "1 of 2" swapped into "2 of 1"),
and event dates are as written (see ``spec/divoc.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..summary import HealthEvent, Holder

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # seen in issuers' evidence: 20210415
MAX_EVENTS = 16


@dataclass(frozen=True, slots=True)
class Content:
    holder: Holder | None
    events: tuple[HealthEvent, ...]
    unsigned: tuple[str, ...] = ()  # members left out here: the signature does not cover them
    ambiguous: tuple[str, ...] = ()  # members left out here: the signature cannot tell them from a sibling


def read(document: Mapping[str, Any], signed: frozenset[str] | None = None) -> Content:
    """Holder and vaccinations; with ``signed`` (the canonical form's literals), only values it covers."""
    dropped: list[str] = []
    ambiguous: list[str] = []

    def covered(path: str, value: Any) -> Any:
        if value is None or signed is None or _literal(value) in signed:
            return value
        dropped.append(path)
        return None

    subject = document.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    holder = None
    if isinstance(subject, Mapping):
        name = covered("credentialSubject.name", _text(subject.get("name")))
        raw_dob = covered("credentialSubject.dob", _text(subject.get("dob")))
        birth_date = _date(raw_dob, partial=True) if raw_dob else None
        if name:
            holder = Holder(name=" ".join(name.split()), birth_date=birth_date)
    evidence = document.get("evidence")
    entries = evidence if isinstance(evidence, list) else [evidence] if isinstance(evidence, Mapping) else []
    events = []
    for index, entry in enumerate(entries[:MAX_EVENTS]):
        if not isinstance(entry, Mapping) or not _is_vaccination(entry):
            continue
        where = f"evidence[{index}]"
        raw_date = covered(f"{where}.date", _text(entry.get("date")))
        if raw_date is None:
            raw_date = covered(f"{where}.effectiveStart", _text(entry.get("effectiveStart")))
        dose = _dose(covered(f"{where}.dose", entry.get("dose")))
        total = _dose(entry.get("totalDoses"))
        if dose is not None and total is not None and dose > total:
            # dose and totalDoses are one RDF property: "2 of 1" may be a signed "1 of 2" swapped.
            ambiguous.append(f"{where}.dose")
            dose = None
        country = covered(f"{where}.facility.address.addressCountry", _country(entry))
        product = covered(f"{where}.vaccine", _text(entry.get("vaccine")))
        events.append(
            HealthEvent(
                type="vaccination",
                date=_date(raw_date, partial=False) if raw_date else None,
                dose=dose,
                country=country,
                product=product,
            )
        )
    return Content(holder=holder, events=tuple(events), unsigned=tuple(dropped), ambiguous=tuple(ambiguous))


def _is_vaccination(entry: Mapping[str, Any]) -> bool:
    kind = entry.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "Vaccination" in kinds


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:200]
    return None


def _literal(value: Any) -> str:
    # How JSON-LD writes a JSON scalar as an RDF literal (integers as xsd:integer digits).
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _country(entry: Mapping[str, Any]) -> str | None:
    facility = entry.get("facility")
    address = facility.get("address") if isinstance(facility, Mapping) else None
    country = address.get("addressCountry") if isinstance(address, Mapping) else None
    return _text(country)


def _dose(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 100 else None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 2:
        return int(value) or None
    return None


def _date(text: str, *, partial: bool) -> str | None:
    """ISO ``YYYY-MM-DD`` (or, for a birth date, ``YYYY`` / ``YYYY-MM``) of a real calendar date."""
    compact = _COMPACT_DATE.match(text)
    match = compact or _ISO_DATE.match(text)
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        if month and day:
            return date(int(year), int(month), int(day)).isoformat()
        if not partial:
            return None
        if month:
            date(int(year), int(month), 1)
            return f"{year}-{month}"
        return year
    except ValueError:
        return None
