"""The FHIR Bundle of a SMART Health Card, built from the vaccination record HCERT issuance signs.

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

from collections.abc import Mapping, Sequence
from typing import Any

from ..dcc import DigitalCovidCertificate, Vaccination
from ..errors import IssuanceError, SchemaError
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

BundleInput = DigitalCovidCertificate | Mapping[str, Any]


def shc_bundle(records: BundleInput | Sequence[BundleInput]) -> dict[str, Any]:
    """The ``fhirBundle`` for one holder's vaccination record(s), doses in date order.

    ``records`` is one DCC (model or JSON object) or several of the same holder.
    Raises :class:`~vaxcert.shc.ShcIssuanceError` (``issue.shc_*``) for a record the card cannot carry,
    :class:`IssuanceError` for one no issuer should sign (the DCC model's checks)
    and :class:`SchemaError` for a payload that is not a valid DCC.
    """
    models = [_model(record) for record in _as_list(records)]
    if not models:
        raise ShcIssuanceError("issue.shc_no_records", "a SMART Health Card needs at least one vaccination record")
    first = models[0]
    for model in models:
        if model.certificate_type != "v" or not model.v:
            raise ShcIssuanceError(
                "issue.shc_not_vaccination",
                "SMART Health Cards are issued for vaccinations only; this is a "
                f"{'test' if model.certificate_type == 't' else 'recovery'} record",
            )
        if model.nam != first.nam or model.dob != first.dob:
            # Messages reach API callers and logs: say what differs, never the values.
            raise ShcIssuanceError("issue.shc_holders_differ", "the records name different holders (name or birth)")
    doses = sorted((dose for model in models for dose in model.v or ()), key=lambda dose: (dose.dt, dose.dn))
    entries = [_patient(first)] + [_immunization(dose) for dose in doses]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"resource:{index}", "resource": resource} for index, resource in enumerate(entries)],
    }


def vaccine_codings(dose: Vaccination) -> list[dict[str, str]]:
    """The dose's ``vaccineCode.coding``: CVX first (the profile's preferred system), then SNOMED CT."""
    codings = []
    cvx = EU_PRODUCT_TO_CVX.get(dose.mp)
    if cvx is not None:
        codings.append({"system": CVX_SYSTEM, "code": cvx})
    if dose.vp.isdigit() and dose.vp not in _NOT_SNOMED:
        codings.append({"system": SNOMED_SYSTEM, "code": dose.vp})
    return codings


def _as_list(records: BundleInput | Sequence[BundleInput]) -> list[Any]:
    # Anything but a list or tuple is one record (and _model refuses what is not one).
    return list(records) if isinstance(records, list | tuple) else [records]


def _model(record: BundleInput) -> DigitalCovidCertificate:
    if isinstance(record, DigitalCovidCertificate):
        return record
    if not isinstance(record, Mapping):
        raise SchemaError("schema.not_an_object", "the certificate payload must be a JSON object")
    from pydantic import ValidationError

    from ..pipeline import describe_validation_error

    try:
        return DigitalCovidCertificate.model_validate(record)
    except ValidationError as exc:
        kinds = {item["type"] for item in exc.errors()}
        if all(kind.startswith("issue.") for kind in kinds):  # the model's issuing checks
            raise IssuanceError(exc.errors()[0]["type"], describe_validation_error(exc)) from None
        raise SchemaError("schema.invalid", f"invalid certificate: {describe_validation_error(exc)}") from None


def _patient(model: DigitalCovidCertificate) -> dict[str, Any]:
    name: dict[str, Any] = {}
    # The names as written (NFC); the ICAO forms only when the native one is missing.
    family = model.nam.fn or _readable(model.nam.fnt)
    given = model.nam.gn or _readable(model.nam.gnt)
    if family:
        name["family"] = family
    if given:
        name["given"] = [given]
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [name]}
    if model.dob:  # FHIR dates may be partial (YYYY, YYYY-MM), like the DCC's
        patient["birthDate"] = model.dob
    return patient


def _readable(transliterated: str | None) -> str | None:
    """An ICAO 9303 name (``THI<PHUONG``) as words."""
    if not transliterated:
        return None
    return " ".join(part for part in transliterated.split("<") if part) or None


def _immunization(dose: Vaccination) -> dict[str, Any]:
    codings = vaccine_codings(dose)
    if not codings:
        raise ShcIssuanceError(
            "issue.shc_no_vaccine_code",
            f"vaccine product {dose.mp} has no CVX code and vaccine type {dose.vp} is not a SNOMED CT code",
        )
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": codings},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": dose.dt.isoformat(),
    }
