from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from vaxcert import DigitalCovidCertificate, PersonName, schema, uvci


def test_person_name_from_native_names() -> None:
    name = PersonName.from_names("Đặng", "Văn Lưỡng")
    assert (name.fnt, name.gnt) == ("DANG", "VAN<LUONG")


def test_model_output_validates_against_official_schema(vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["ci"] = "URN:UVCI:01:VN:TESTVECTOR001#2"
    model = DigitalCovidCertificate.model_validate(vaccination_payload)
    document = model.to_json()
    assert document["v"][0]["is"] == "Ministry of Health of Viet Nam"
    assert schema.validate(document).schema_version == "1.3.0"
    assert model.certificate_type == "v" and model.uvci.endswith("#2")


@pytest.mark.parametrize("dob", ["1990-13", "1990-02-30", "19900101", "1899"])
def test_bad_dates_of_birth(dob: str, vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["ci"] = uvci.generate()
    vaccination_payload["dob"] = dob
    with pytest.raises(ValidationError):
        DigitalCovidCertificate.model_validate(vaccination_payload)


def test_exactly_one_entry_group(vaccination_payload: dict[str, Any], recovery_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["ci"] = uvci.generate()
    recovery_payload["r"][0]["ci"] = uvci.generate()
    with pytest.raises(ValidationError, match="exactly one"):
        DigitalCovidCertificate.model_validate({**vaccination_payload, "r": recovery_payload["r"]})


def test_unknown_fields_are_refused(vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["ci"] = uvci.generate()
    vaccination_payload["passport"] = "B1234567"
    with pytest.raises(ValidationError, match="passport"):
        DigitalCovidCertificate.model_validate(vaccination_payload)


def test_native_names_are_stored_nfc() -> None:
    name = PersonName.model_validate({"fn": "Nguye\u0302\u0303n", "gn": "Thi\u0323"})
    assert name.fn == "Nguyễn" and name.gn == "Thị" and name.fnt == "NGUYEN"
