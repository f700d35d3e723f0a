"""The SMART Health Card FHIR bundle built from EU DCC vaccination records (spec/vectors/shc/bundle-from-dcc.json)."""

from __future__ import annotations

import copy
import os
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from tests.vaxcert.shc.conftest import AT, ISSUED_AT, ISSUER
from vaxcert import DigitalCovidCertificate, VaxcertError
from vaxcert.registry import TrustRegistry
from vaxcert.shc import PemJwsSigner, ShcIssuanceError, issue_shc, verify_shc
from vaxcert.shc.bundle import EU_PRODUCT_TO_CVX, shc_bundle
from vaxcert.summary import Holder

CASES = load_vector_file("shc/bundle-from-dcc.json")
_BASES = {"vaccination": "vn-vaccination.json", "test": "vn-test.json", "recovery": "vn-recovery.json"}


def _record(change: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = load_vector_file(f"payloads/{_BASES[change['base']]}")
    for path, value in change["set"].items():
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return payload


@pytest.mark.parametrize("case", CASES["bundles"], ids=lambda case: case["name"])
def test_records_give_the_minimal_bundle(case: dict[str, Any]) -> None:
    records = [_record(change) for change in case["records"]]
    assert shc_bundle(records if len(records) > 1 else records[0]) == case["bundle"]


@pytest.mark.parametrize("case", CASES["bundles"], ids=lambda case: case["name"])
def test_models_and_json_give_the_same_bundle(case: dict[str, Any]) -> None:
    records = [_record(change) for change in case["records"]]
    models = [DigitalCovidCertificate.model_validate(record) for record in records]
    assert shc_bundle(models) == shc_bundle(records)


@pytest.mark.parametrize("case", CASES["refused"], ids=lambda case: case["name"])
def test_records_the_card_cannot_carry_are_refused_with_a_code(case: dict[str, Any]) -> None:
    records = [_record(change) for change in case["records"]]
    with pytest.raises(VaxcertError) as refused:
        shc_bundle(records)
    assert refused.value.code == case["code"]
    # The card's refusals are SHC issuance errors; only what is not a DCC object at all is a schema error.
    assert isinstance(refused.value, ShcIssuanceError) == case["code"].startswith("issue.shc_")


def test_refusals_name_no_personal_data() -> None:
    first = _record({"base": "vaccination", "set": {}})
    other = copy.deepcopy(first)
    other["dob"] = "1991-05-16"
    with pytest.raises(VaxcertError) as refused:
        shc_bundle([first, other])
    for value in ("Nguyễn", "Thị Phương", "1990-04-15", "1991-05-16"):
        assert value not in refused.value.message
    other["dob"] = "1991-02-30"
    with pytest.raises(VaxcertError) as refused:
        shc_bundle(other)
    assert refused.value.message.startswith("dob:") and "1991" not in refused.value.message


@pytest.mark.parametrize("product", sorted(EU_PRODUCT_TO_CVX))
def test_every_mapped_product_is_an_eu_value_set_entry_and_a_covid_cvx_code(product: str) -> None:
    from vaxcert import ValueSets
    from vaxcert.hcert.valuesets import VACCINE_PRODUCT

    products = ValueSets.bundled().get(VACCINE_PRODUCT)
    assert products is not None and product in products.entries
    # CDC's COVID-19 CVX codes: 207-230 (US), 500-519 (non-US).
    assert 207 <= int(EU_PRODUCT_TO_CVX[product]) <= 230 or 500 <= int(EU_PRODUCT_TO_CVX[product]) <= 519


def test_one_record_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(VaxcertError) as refused:
        shc_bundle(5)  # type: ignore[arg-type]
    assert refused.value.code == "schema.not_an_object"


# ------------------------------------------------------------ properties over generated records

_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
_WORDS = st.text(alphabet=_LETTERS, min_size=1, max_size=8).map(str.capitalize)
NAMES = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)
DAYS = st.dates(min_value=date(2020, 12, 1), max_value=date(2023, 12, 31))
PRODUCTS = st.sampled_from(sorted(EU_PRODUCT_TO_CVX))


@st.composite
def holders_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to three vaccination records of one holder, as an issuer would send them."""
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 11, 30)))
    dob = draw(st.sampled_from([born.isoformat(), born.isoformat()[:7], born.isoformat()[:4], ""]))
    name = {"fn": draw(NAMES), "gn": draw(NAMES)}
    count = draw(st.integers(1, 3))
    return [
        {
            "ver": "1.3.0",
            "nam": name,
            "dob": dob,
            "v": [
                {
                    "tg": "840539006",
                    "vp": draw(st.sampled_from(["1119349007", "1119305005", "J07BX03"])),
                    "mp": draw(PRODUCTS),
                    "ma": "ORG-100030215",
                    "dn": dose,
                    "sd": count,
                    "dt": draw(DAYS).isoformat(),
                    "co": "VN",
                    "is": "Ministry of Health of Viet Nam",
                }
            ],
        }
        for dose in range(1, count + 1)
    ]


_PATIENT_MEMBERS = {"resourceType", "name", "birthDate"}
_IMMUNIZATION_MEMBERS = {"resourceType", "status", "vaccineCode", "patient", "occurrenceDateTime"}


@given(records=holders_records())
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "200")), deadline=None)
def test_the_bundle_is_minimal_and_keeps_every_dose(records: list[dict[str, Any]]) -> None:
    bundle = shc_bundle(records)
    entries = bundle["entry"]
    assert [entry["fullUrl"] for entry in entries] == [f"resource:{i}" for i in range(len(entries))]
    patient, *doses = (entry["resource"] for entry in entries)
    assert set(patient) <= _PATIENT_MEMBERS and patient["name"] == [
        {"family": records[0]["nam"]["fn"], "given": [records[0]["nam"]["gn"]]}
    ]
    assert patient.get("birthDate", "") == records[0]["dob"]
    assert all(set(dose) == _IMMUNIZATION_MEMBERS for dose in doses)
    assert [dose["occurrenceDateTime"] for dose in doses] == sorted(r["v"][0]["dt"] for r in records)
    assert all(dose["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx" for dose in doses)


@given(records=holders_records())
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "100")), deadline=None)
def test_record_bundle_card_verify_keeps_the_holder_and_the_events(
    records: list[dict[str, Any]], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    """The issue's round trip: what a verifier reads from the card is what the EU records say."""
    card = issue_shc(shc_bundle(records), shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    report = verify_shc(card.text, shc_registry, at=AT)
    assert report.valid, (report.status, report.code, report.message)
    name = records[0]["nam"]
    assert report.holder == Holder(name=f"{name['gn']} {name['fn']}", birth_date=records[0]["dob"] or None)
    doses = sorted(records, key=lambda record: record["v"][0]["dt"])
    assert [(event.type, event.date) for event in report.events] == [
        ("vaccination", record["v"][0]["dt"]) for record in doses
    ]
    # The product a verifier shows is the CVX code of the EU product.
    for event, record in zip(report.events, doses, strict=True):
        assert EU_PRODUCT_TO_CVX[record["v"][0]["mp"]] in (event.product or "")
