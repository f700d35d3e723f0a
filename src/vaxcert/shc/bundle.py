"""The FHIR Bundle of a SMART Health Card, built from the vaccination record HCERT issuance signs.

The input is the EU DCC as JSON (``DigitalCovidCertificate.to_json()``, an issuing
payload, or the ``dcc`` of a decoded HC1): the formats do not import each other, so this
module reads the DCC's field names and checks what it uses, and callers that take
records from outside validate them with the DCC model first (the CLI and the service do).

The bundle follows the data-minimisation ("DM") profiles of the SMART Health Cards
Vaccination & Testing implementation guide: one ``Patient`` (name and birth date only:
no gender, identifier, address or contact) and one ``Immunization`` per dose (status,
vaccine code, patient reference, date).  Entries are ``resource:N`` with no ids, text,
display or meta, so the QR stays small.

What the EU record carries and the card leaves out, on purpose:

- ``is`` (the certificate issuer) is not ``Immunization.performer`` (who administered
  the dose): the profile lets an issuer omit the performer, and naming the ministry
  as the vaccinating organisation would be wrong.  Lot numbers are not in the record.
- ``dn``/``sd`` and ``co``: the profile forbids ``protocolApplied`` and ``location``.
  SHC verifiers count doses by the ``Immunization`` entries, so a card for dose 2 of 2
  needs both doses: :func:`shc_bundle` takes several records of one holder.
- Test and recovery records are refused (``issue.shc_not_vaccination``): the lab
  profile needs a LOINC test code from the LIVD set, and the EU test types
  (``LP6464-4``, ``LP217198-3``) are LOINC *parts* that name no test; a recovery
  statement has no SHC resource at all.

Vaccine codes: CVX (``http://hl7.org/fhir/sid/cvx``) for the EU product (``mp``) where
CDC's table has one, and the record's SNOMED CT vaccine type (``vp``) beside it; a
product with neither is refused (``issue.shc_no_vaccine_code``) rather than mislabelled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from ..errors import SchemaError
from .errors import ShcIssuanceError

FHIR_VERSION = "4.0.1"
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
SNOMED_SYSTEM = "http://snomed.info/sct"

# EU vaccine product (DCC value set vaccines-covid-19-names) -> CVX code (CDC "COVID-19
# vaccine related codes", US and non-US tables).  Only products CDC names one-to-one;
# the others keep their SNOMED vaccine type alone.
EU_PRODUCT_TO_CVX: Mapping[str, str] = {
    "EU/1/20/1528": "208",  # Comirnaty (Pfizer-BioNTech)
    "EU/1/20/1507": "207",  # Spikevax (Moderna)
    "EU/1/21/1529": "210",  # Vaxzevria (AstraZeneca)
    "Covishield": "210",  # CVX 210 names Covishield among the AstraZeneca tradenames
    "EU/1/20/1525": "212",  # Jcovden (Janssen)
    "EU/1/21/1618": "211",  # Nuvaxovid (Novavax)
    "CoviVac": "503",
    "Sputnik-Light": "504",
    "Sputnik-V": "505",
    "Convidecia": "506",  # CanSino
    "EpiVacCorona": "509",
    "BBIBP-CorV": "510",  # Sinopharm (BIBP)
    "CoronaVac": "511",  # Sinovac
    "Covaxin": "502",  # Bharat Biotech
}

# The DCC vaccine-type value set mixes SNOMED CT concepts with one ATC code.
_NOT_SNOMED = frozenset({"J07BX03"})
_SNOMED_ID = re.compile(r"[1-9][0-9]{5,17}")
_PARTIAL_DATE = re.compile(r"(\d{4})(-(\d{2})(-(\d{2}))?)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_DOSES = 20  # far more than any schedule; bounds what one call builds
_MAX_TEXT = 80  # the DCC's own limit for names and codes


def shc_bundle(records: Any) -> dict[str, Any]:
    """The ``fhirBundle`` for one holder's vaccination record(s), doses in date order.

    ``records`` is one DCC (its JSON object, or a model with ``to_json()``) or a list of
    several of the same holder.  Raises :class:`~vaxcert.shc.ShcIssuanceError`
    (``issue.shc_*``) for a record the card cannot carry and :class:`SchemaError` for
    one that is not a DCC object.  Messages name fields, never their values.
    """
    items = list(records) if isinstance(records, list | tuple) else [records]
    if not items:
        raise ShcIssuanceError("issue.shc_no_records", "a SMART Health Card needs at least one vaccination record")
    dccs = [_json(item) for item in items]
    holders = [_holder(dcc, index, len(dccs)) for index, dcc in enumerate(dccs)]
    if any(holder != holders[0] for holder in holders):
        raise ShcIssuanceError("issue.shc_holders_differ", "the records name different holders (name or birth)")
    doses = sorted(
        (
            _dose(dose, f"{_where(index, len(dccs))}v.{position}")
            for index, dcc in enumerate(dccs)
            for position, dose in enumerate(dcc["v"])
        ),
        key=lambda dose: dose[0],
    )
    if len(doses) > _MAX_DOSES:
        raise ShcIssuanceError("issue.shc_too_many_doses", f"a card carries at most {_MAX_DOSES} doses")
    entries = [_patient(*holders[0])] + [_immunization(day, codings) for day, codings in doses]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"resource:{index}", "resource": resource} for index, resource in enumerate(entries)],
    }


def vaccine_codings(product: str, vaccine_type: str) -> list[dict[str, str]]:
    """A dose's ``vaccineCode.coding``: CVX first (the profile's preferred system), then SNOMED CT."""
    codings = []
    cvx = EU_PRODUCT_TO_CVX.get(product)
    if cvx is not None:
        codings.append({"system": CVX_SYSTEM, "code": cvx})
    if vaccine_type not in _NOT_SNOMED and _SNOMED_ID.fullmatch(vaccine_type):
        codings.append({"system": SNOMED_SYSTEM, "code": vaccine_type})
    return codings


# -- reading the DCC JSON ------------------------------------------------------------------


def _json(record: Any) -> Mapping[str, Any]:
    to_json = getattr(record, "to_json", None)
    if not isinstance(record, Mapping) and callable(to_json):  # a DigitalCovidCertificate
        record = to_json()
    if not isinstance(record, Mapping):
        raise SchemaError("schema.not_an_object", "the certificate payload must be a JSON object")
    if "v" not in record and ("t" in record or "r" in record):
        kind = "test" if "t" in record else "recovery"
        raise ShcIssuanceError(
            "issue.shc_not_vaccination", f"SMART Health Cards are issued for vaccinations only; this is a {kind} record"
        )
    doses = record.get("v")
    if not isinstance(doses, list) or not doses:
        raise ShcIssuanceError("issue.shc_bad_record", "v: a vaccination record has a non-empty list of doses")
    return record


def _where(index: int, count: int) -> str:
    return f"record {index}: " if count > 1 else ""


def _holder(dcc: Mapping[str, Any], index: int, count: int) -> tuple[str | None, str | None, str | None]:
    """(family, given, birth date) as the card shows them."""
    where = _where(index, count)
    name = dcc.get("nam")
    if not isinstance(name, Mapping):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}nam: the holder's name is missing")
    # The names as written (NFC); the ICAO forms only when the native one is missing.
    family = _text(name, "fn", where) or _readable(_text(name, "fnt", where))
    given = _text(name, "gn", where) or _readable(_text(name, "gnt", where))
    if not (family or given):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}nam: the holder has no name")
    birth = dcc.get("dob", "")
    if not isinstance(birth, str) or not _real_partial_date(birth):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}dob: not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return family, given, birth or None


def _text(mapping: Mapping[str, Any], key: str, where: str) -> str | None:
    value = mapping.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}{key}: not text of at most {_MAX_TEXT} characters")
    return unicodedata.normalize("NFC", value.strip()) or None


def _readable(transliterated: str | None) -> str | None:
    """An ICAO 9303 name (``THI<PHUONG``) as words."""
    if not transliterated:
        return None
    return " ".join(part for part in transliterated.split("<") if part) or None


def _real_partial_date(text: str) -> bool:
    if not text:
        return True  # an unknown birth date: the card leaves birthDate out
    match = _PARTIAL_DATE.fullmatch(text)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[3] or 1), int(match[5] or 1)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _dose(dose: Any, where: str) -> tuple[str, list[dict[str, str]]]:
    """(date, vaccine codings) of one ``v`` entry."""
    if not isinstance(dose, Mapping):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}: a dose is a JSON object")
    day = dose.get("dt")
    if not isinstance(day, str) or not _DAY.fullmatch(day) or not _real_partial_date(day):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}.dt: not a date (YYYY-MM-DD)")
    product, vaccine_type = dose.get("mp"), dose.get("vp")
    if not isinstance(product, str) or not isinstance(vaccine_type, str):
        raise ShcIssuanceError("issue.shc_bad_record", f"{where}: mp and vp name the vaccine")
    codings = vaccine_codings(product[:_MAX_TEXT], vaccine_type[:_MAX_TEXT])
    if not codings:
        raise ShcIssuanceError(
            "issue.shc_no_vaccine_code",
            f"{where}: vaccine product {product[:_MAX_TEXT]} has no CVX code and vaccine type "
            f"{vaccine_type[:_MAX_TEXT]} is not a SNOMED CT code",
        )
    return day, codings


# -- the FHIR resources --------------------------------------------------------------------


def _patient(family: str | None, given: str | None, birth: str | None) -> dict[str, Any]:
    name: dict[str, Any] = {}
    if family:
        name["family"] = family
    if given:
        name["given"] = [given]
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [name]}
    if birth:  # FHIR dates may be partial (YYYY, YYYY-MM), like the DCC's
        patient["birthDate"] = birth
    return patient


def _immunization(day: str, codings: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": codings},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": day,
    }
