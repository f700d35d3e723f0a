"""What a seal says: ``data.hdr`` and ``data.msg`` read into the format-neutral holder and events.

Vaccination (``icao.vacc``): ``msg.pid`` names the holder (``n`` is one string,
family and given names separated by spaces, as ICAO prints it), and every dose in
``msg.ve[].vd[]`` is one event (``dvc`` date, ``seq`` dose number, ``ctr`` country).
Test (``icao.test``): one test event dated by ``msg.dat.sc``, the sample collection,
as written (its local date, not converted to UTC), with the result ``msg.tr.r`` and
the provider's country ``msg.sp.ctr``.  Fields vaxcert does not show (``lot``,
``adm``, ``i``, …) are left in :attr:`Seal.data`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..summary import HealthEvent, Holder
from .errors import ContentError
from .seal import Seal

VACCINATION = "icao.vacc"
TEST = "icao.test"
SEAL_TYPES = (VACCINATION, TEST)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")
_MAX_TEXT = 256  # a name, code or country longer than this is not shown


@dataclass(frozen=True, slots=True)
class SealContent:
    seal_type: str
    version: int | None
    issuing_country: str | None
    holder: Holder
    events: tuple[HealthEvent, ...]
    identifier: str | None  # uvci / utci


def read(seal: Seal) -> SealContent:
    """The holder and events of a health seal; raises :class:`ContentError` when ``data`` is none."""
    header, message = seal.data.get("hdr"), seal.data.get("msg")
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise ContentError("content.not_health_proof", "the seal's data has no 'hdr' and 'msg' objects")
    seal_type = header.get("t")
    if seal_type not in SEAL_TYPES:
        shown = seal_type[:32] if isinstance(seal_type, str) else type(seal_type).__name__
        raise ContentError("content.unsupported_type", f"seal type {shown!r} is not a vaccination or test proof")
    version = header.get("v")
    holder = _holder(message.get("pid"))
    if seal_type == VACCINATION:
        events = _vaccinations(message.get("ve"))
        identifier = _text(message.get("uvci"))
    else:
        events = (_test(message),)
        identifier = _text(message.get("utci"))
    return SealContent(
        seal_type=seal_type,
        version=version if type(version) is int else None,
        issuing_country=_text(header.get("is")),
        holder=holder,
        events=events,
        identifier=identifier,
    )


def _holder(pid: Any) -> Holder:
    if not isinstance(pid, dict) or not isinstance(pid.get("n"), str) or not pid["n"].strip():
        raise ContentError("content.no_holder", "the seal names no holder (msg.pid.n)")
    return Holder(name=pid["n"][:_MAX_TEXT], birth_date=_date(pid.get("dob")))


def _vaccinations(vaccines: Any) -> tuple[HealthEvent, ...]:
    if type(vaccines) is not list:
        raise ContentError("content.bad_events", "msg.ve is not a list of vaccines")
    events = []
    for vaccine in vaccines:
        if type(vaccine) is not dict:
            raise ContentError("content.bad_events", "msg.ve is not a list of vaccines")
        doses = vaccine.get("vd")
        if type(doses) is not list:
            raise ContentError("content.bad_events", "a vaccine's vd is not a list of doses")
        product = _text(vaccine.get("nam")) or _text(vaccine.get("des"))
        for dose in doses:
            if type(dose) is not dict:
                raise ContentError("content.bad_events", "a vaccine's vd is not a list of doses")
            events.append(
                HealthEvent(
                    type="vaccination",
                    date=_date(dose.get("dvc")),
                    dose=_number(dose.get("seq")),
                    country=_text(dose.get("ctr")),
                    product=product,
                )
            )
    return tuple(events)


def _test(message: dict[str, Any]) -> HealthEvent:
    dates, result, provider = message.get("dat"), message.get("tr"), message.get("sp")
    if not isinstance(dates, dict) or not isinstance(result, dict):
        raise ContentError("content.bad_events", "a test seal needs msg.dat and msg.tr objects")
    return HealthEvent(
        type="test",
        date=_date(dates.get("sc")),
        country=_text(provider.get("ctr")) if isinstance(provider, dict) else None,
        product=_text(result.get("tc")),
        result=_text(result.get("r")),
    )


def _date(value: Any) -> str | None:
    """The calendar date as written (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a time part is cut off)."""
    if not isinstance(value, str):
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and _DATE.fullmatch(value):
        return value  # the common case, YYYY-MM-DD
    match = _DATE.match(value)
    return match.group(0) if match else None


def _number(value: Any) -> int | None:
    if type(value) is int and 0 <= value < 1000:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 3:
        return int(value)
    return None


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else None
