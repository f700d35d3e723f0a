"""The issuing model's checks on a plain JSON payload, without building the model.

:class:`~vaxcert.hcert.dcc.DigitalCovidCertificate` is the reference: it
refuses what no issuer should sign and words each refusal.  Building it costs
about half of :func:`~vaxcert.hcert.pipeline.issue` (five nested pydantic
models, then a dump back to JSON), so the issuing hot path first tries
:func:`checked_payload`, which applies the same checks to the plain payload
and returns what the model would have dumped, for payloads of the schema
version vaxcert issues, which these checks then imply as well.

It answers only when it is sure.  Anything it does not recognise as plainly
valid (an unknown key, a value the model would coerce or strip, a date in a
form it would rewrite, any problem at all) gives ``None``, and the model then
decides and words the refusal.  So the model stays the single source of the
rules' wording, and the lean path can only ever agree with it:
``tests/vaxcert/hcert/test_payload_checks.py`` checks that on generated
payloads, valid and broken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..errors import VaxcertError
from . import uvci as _uvci
from .dcc import (
    CURRENT_SCHEMA_VERSION,
    DATE_LEEWAY,
    DISEASE_COVID19,
    TIME_LEEWAY,
    _earliest_birth,
    _name_problem,
)
from .names import transliterate

# ASCII digits only (pydantic's patterns take any Unicode digit: those payloads go to the model).
_DOB = re.compile(r"(?:(?:19|20)[0-9][0-9](?:-[0-9][0-9]){0,2})?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The one date-time spelling pydantic dumps back unchanged: seconds, no fraction, Z or a non-zero offset.
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-](?!00:00)[0-9]{2}:[0-9]{2})")
_COUNTRY = re.compile(r"[A-Z]{2}")
_TRANSLITERATED = re.compile(r"[A-Z<]*")
_TEXT_MAX = 80
_INT64_END = 2**63

# Kinds of field (compared by identity on the hot path).
_TEXT = "text"  # required text
_OPTIONAL = "optional text"
_SHORT = "text of at most 80 characters"
_OPTIONAL_SHORT = "optional text of at most 80 characters"
_DOSE = "strict positive integer"
_DAY_KIND = "date"
_MOMENT_KIND = "date-time"
_COUNTRY_KIND = "country"
_UVCI = "UVCI"

# Each entry's fields in the model's order (the dump's order, so the CBOR bytes match).
_VACCINATION = {
    "tg": _TEXT,
    "vp": _TEXT,
    "mp": _TEXT,
    "ma": _TEXT,
    "dn": _DOSE,
    "sd": _DOSE,
    "dt": _DAY_KIND,
    "co": _COUNTRY_KIND,
    "is": _SHORT,
    "ci": _UVCI,
}
_TEST = {
    "tg": _TEXT,
    "tt": _TEXT,
    "nm": _OPTIONAL_SHORT,
    "ma": _OPTIONAL,
    "sc": _MOMENT_KIND,
    "tr": _TEXT,
    "tc": _OPTIONAL_SHORT,
    "co": _COUNTRY_KIND,
    "is": _SHORT,
    "ci": _UVCI,
}
_RECOVERY = {
    "tg": _TEXT,
    "fr": _DAY_KIND,
    "co": _COUNTRY_KIND,
    "is": _SHORT,
    "df": _DAY_KIND,
    "du": _DAY_KIND,
    "ci": _UVCI,
}
_ENTRY_FIELDS = {"v": _VACCINATION, "t": _TEST, "r": _RECOVERY}
_TOP_KEYS = frozenset({"ver", "nam", "dob", "v", "t", "r"})
_NAME_KEYS = frozenset({"fn", "fnt", "gn", "gnt"})


class _Unsure(Exception):
    """This payload is for the model to judge."""


def single_entry(payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The group (``v``, ``t`` or ``r``) and the entry of a payload holding one plain entry in one
    group, as every certificate vaxcert issues does; None for any other shape (the model's to judge).
    A group given as null counts as absent, as in the model."""
    groups = [group for group in ("v", "t", "r") if payload.get(group) is not None]
    if len(groups) != 1:
        return None
    entries = payload[groups[0]]
    if type(entries) is not list or len(entries) != 1 or type(entries[0]) is not dict:
        return None
    return groups[0], entries[0]


def checked_payload(payload: object, now: datetime | None = None) -> dict[str, Any] | None:
    """``DigitalCovidCertificate.model_validate(payload).to_json()`` when it would succeed and
    the official schema of the version vaxcert issues accepts that dump, else None.

    ``now`` is the model's validation-context clock (events may not be in the future); the
    system clock by default.  None means "ask the model and the schema", never "refused".
    Value-set membership is not checked here.
    """
    try:
        clock = now or datetime.now(UTC)
        return _checked(payload, clock.replace(tzinfo=UTC) if clock.tzinfo is None else clock.astimezone(UTC))
    except (_Unsure, VaxcertError, ValueError, TypeError, OverflowError):
        return None


def _checked(payload: object, now: datetime) -> dict[str, Any]:
    if type(payload) is not dict or not payload.keys() <= _TOP_KEYS:
        raise _Unsure
    # Only the version vaxcert issues: its official schema is then implied by these checks
    # (tested), so issuing needs to run neither the model nor the schema validator.
    ver = payload.get("ver", CURRENT_SCHEMA_VERSION)
    dob = payload.get("dob")
    if type(ver) is not str or ver != CURRENT_SCHEMA_VERSION or type(dob) is not str or not _DOB.fullmatch(dob):
        raise _Unsure
    born = _earliest_birth(dob)  # also refuses a month or day the calendar lacks (ValueError)
    today = (now + DATE_LEEWAY).date()
    if born is not None and born > today:
        raise _Unsure
    found = single_entry(payload)
    if found is None:
        raise _Unsure
    group, single = found
    texts = [dob]  # every text value, checked for surrounding whitespace at the end
    entry = _entry(single, _ENTRY_FIELDS[group], now, today, born, texts)
    names = _names(payload.get("nam"), texts)
    for text in texts:
        # str.strip()'s whitespace (str.isspace()) is a superset of what pydantic strips.
        if text.strip() != text:
            raise _Unsure
    return {"ver": ver, "nam": names, "dob": dob, group: [entry]}


def _names(names: object, texts: list[str]) -> dict[str, Any]:
    if type(names) is not dict or not names.keys() <= _NAME_KEYS:
        raise _Unsure
    out: dict[str, Any] = {}
    for native, standard in (("fn", "fnt"), ("gn", "gnt")):
        written = names.get(native)
        given = names.get(standard)
        if written is not None:
            if type(written) is not str or len(written) > _TEXT_MAX or _name_problem(written) is not None:
                raise _Unsure
            if not unicodedata.is_normalized("NFC", written):
                raise _Unsure
            if written and not given:
                given = transliterate(written)  # as the model fills it; its errors go to the model
            texts.append(written)
            out[native] = written
        if given is not None:
            if type(given) is not str or len(given) > _TEXT_MAX or not _TRANSLITERATED.fullmatch(given):
                raise _Unsure
            out[standard] = given
    if "fnt" not in out:  # the model is content with gnt alone; the official schema requires fnt
        raise _Unsure
    # The model's field order: fn, fnt, gn, gnt.
    return {key: out[key] for key in ("fn", "fnt", "gn", "gnt") if key in out}


def _entry(
    entry: object, fields: dict[str, str], now: datetime, today: date, born: date | None, texts: list[str]
) -> dict[str, Any]:
    if type(entry) is not dict or not entry.keys() <= fields.keys():
        raise _Unsure
    out: dict[str, Any] = {}
    days: dict[str, date] = {}
    for name, kind in fields.items():
        value = entry.get(name)
        if value is None:
            if name == "tg" and name not in entry:  # the model's default; an explicit null it refuses
                value = DISEASE_COVID19
            elif kind is _OPTIONAL or kind is _OPTIONAL_SHORT:
                continue
            else:  # the model allows no ci (issue() makes one); the schema does not
                raise _Unsure
        if kind is _DOSE:
            # Beyond 64 bits some jsonschema-rs releases refuse the number: the schema decides those.
            if type(value) is not int or not 1 <= value < _INT64_END:
                raise _Unsure
            out[name] = value
            continue
        if type(value) is not str:
            raise _Unsure
        texts.append(value)
        out[name] = value
        if kind is _TEXT or kind is _OPTIONAL:
            continue
        if kind is _SHORT or kind is _OPTIONAL_SHORT:
            if len(value) > _TEXT_MAX:
                raise _Unsure
        elif kind is _DAY_KIND:
            if not _DAY.fullmatch(value):
                raise _Unsure
            days[name] = date.fromisoformat(value)
        elif kind is _MOMENT_KIND:
            if not _MOMENT.fullmatch(value):
                raise _Unsure
            sampled = datetime.fromisoformat(value).astimezone(UTC)
            if sampled > now + TIME_LEEWAY or (born is not None and sampled.date() < born):
                raise _Unsure
        elif kind is _COUNTRY_KIND:
            if not _COUNTRY.fullmatch(value):
                raise _Unsure
        elif len(value) > _TEXT_MAX or _uvci.grammar_problem(value) is not None or not _uvci.has_valid_checksum(value):
            raise _Unsure
    # The vaccination or first positive test is neither future nor before the birth.
    event = days.get("dt") or days.get("fr")
    if event is not None and (event > today or (born is not None and event < born)):
        raise _Unsure
    if "df" in days and (days["df"] > days["du"] or days["df"] < days["fr"]):
        raise _Unsure
    return out
