"""The SMART Health Card FHIR bundle built from EU DCC vaccination records (spec/vectors/shc-bundle.json)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import load_vector_file
from vaxcert import DigitalCovidCertificate, VaxcertError
from vaxcert.shc.bundle import EU_PRODUCT_TO_CVX, shc_bundle

CASES = load_vector_file("shc-bundle.json")
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


def test_refusals_name_no_personal_data() -> None:
    first = _record({"base": "vaccination", "set": {}})
    other = copy.deepcopy(first)
    other["dob"] = "1991-05-16"
    with pytest.raises(VaxcertError) as refused:
        shc_bundle([first, other])
    for value in ("Nguyễn", "Thị Phương", "1990-04-15", "1991-05-16"):
        assert value not in refused.value.message


@pytest.mark.parametrize("product", sorted(EU_PRODUCT_TO_CVX))
def test_every_mapped_product_is_an_eu_value_set_entry_and_a_covid_cvx_code(product: str) -> None:
    from vaxcert import ValueSets
    from vaxcert.valuesets import VACCINE_PRODUCT

    products = ValueSets.bundled().get(VACCINE_PRODUCT)
    assert products is not None and product in products.entries
    # CDC's COVID-19 CVX codes: 207-230 (US), 500-519 (non-US).
    assert 207 <= int(EU_PRODUCT_TO_CVX[product]) <= 230 or 500 <= int(EU_PRODUCT_TO_CVX[product]) <= 519
