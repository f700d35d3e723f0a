from __future__ import annotations

import json
from pathlib import Path

import pytest

from vaxcert import SchemaError, ValueSets
from vaxcert.hcert.valuesets import VACCINE_PRODUCT

SHARED_VALUESETS = Path(__file__).resolve().parents[4] / "shared" / "reference" / "valuesets"


def test_bundled_sets_cover_every_coded_field() -> None:
    bundled = ValueSets.bundled()
    for value_set_id in (
        "disease-agent-targeted",
        "sct-vaccines-covid-19",
        "vaccines-covid-19-names",
        "vaccines-covid-19-auth-holders",
        "country-2-codes",
        "covid-19-lab-test-type",
        "covid-19-lab-result",
    ):
        assert bundled.get(value_set_id) is not None, value_set_id
    product = bundled.get(VACCINE_PRODUCT)
    assert product is not None and product.entries["EU/1/20/1528"].display == "Comirnaty"
    assert product.entries["Inactivated-SARS-CoV-2-Vero-Cell"].active is False


def test_loading_a_newer_official_file_adds_codes(tmp_path: Path) -> None:
    newer = {
        "valueSetId": VACCINE_PRODUCT,
        "valueSetDate": "2099-01-01",
        "valueSetValues": {
            "Nanocovax": {"display": "Nanocovax", "lang": "en", "active": True, "system": "x", "version": ""}
        },
    }
    path = tmp_path / "vaccine-medicinal-product.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    updated = ValueSets.bundled().with_file(path)
    dcc = {"v": [{"mp": "Nanocovax"}]}
    assert ValueSets.bundled().check(dcc) and not updated.check(dcc)


@pytest.mark.skipif(not SHARED_VALUESETS.exists(), reason="shared reference folder not beside the checkout")
def test_official_files_load() -> None:
    sets = ValueSets()
    for path in SHARED_VALUESETS.glob("*.json"):
        if path.name != "vaccine-encoding-instructions.json":
            sets = sets.with_file(path)
    assert "country-2-codes" in sets.codes()


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        ValueSets().with_file(path)
    assert info.value.code == "valueset.bad_file"
    path.write_text('{"valueSetId": 3}', encoding="utf-8")
    with pytest.raises(SchemaError):
        ValueSets().with_file(path)
