from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import load_vector_file
from vaxcert import DigitalCovidCertificate, IssuanceError, PemSigner, PersonName, TrustStore, issue, verify
from vaxcert.hcert import schema, uvci


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


# ------------------------------------------------------------ issuing checks (spec/vectors/issue-refusals.json)

REFUSALS = load_vector_file("issue-refusals.json")
CLOCK = datetime.fromisoformat(REFUSALS["clock"])
_BASES = {"vaccination": "vn-vaccination.json", "test": "vn-test.json", "recovery": "vn-recovery.json"}


def _case_payload(case: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = load_vector_file(f"payloads/{_BASES[case['base']]}")
    for path, value in case["set"].items():
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return payload


def _located(error: ValidationError) -> dict[str, str]:
    return {".".join(str(part) for part in item["loc"]): item["type"] for item in error.errors()}


@pytest.mark.parametrize("case", REFUSALS["refused"], ids=lambda case: case["name"])
def test_implausible_payloads_are_refused_naming_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        DigitalCovidCertificate.model_validate(_case_payload(case), context={"now": CLOCK})
    assert _located(info.value).get(case["field"]) == case["code"], info.value.errors()


@pytest.mark.parametrize("case", REFUSALS["accepted"], ids=lambda case: case["name"])
def test_plausible_payloads_are_accepted(case: dict[str, Any]) -> None:
    DigitalCovidCertificate.model_validate(_case_payload(case), context={"now": CLOCK})


@pytest.mark.parametrize("case", REFUSALS["refused"][:1] + REFUSALS["refused"][-8:], ids=lambda case: case["name"])
def test_library_issue_refuses_with_a_typed_field_named_error(case: dict[str, Any], signer: PemSigner) -> None:
    payload = _case_payload(case)
    if case["code"] == "issue.implausible":  # against the real clock: move the date far into the future
        payload["dob"] = "2099"
    with pytest.raises(IssuanceError) as info:
        issue(payload, signer)
    assert info.value.code == case["code"] and info.value.message.startswith(case["field"] + ":")


def test_the_clock_is_the_validation_context(vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["dt"] = "2026-06-10"
    with pytest.raises(ValidationError, match="in the future"):
        DigitalCovidCertificate.model_validate(vaccination_payload, context={"now": CLOCK})
    later = datetime(2026, 6, 10, 1, tzinfo=UTC)
    model = DigitalCovidCertificate.model_validate(vaccination_payload, context={"now": later})
    assert model.entry.dt == date(2026, 6, 10)


def test_a_payload_refused_at_issuance_still_verifies(signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
    """The checks guard issuing only; verifying never builds these models."""
    issued = issue(vaccination_payload, signer, issued_at=datetime(2026, 3, 1, tzinfo=UTC))
    vaccination_payload["v"][0]["dt"] = "2026-06-10"  # future at CLOCK
    with pytest.raises(ValidationError):
        DigitalCovidCertificate.model_validate(vaccination_payload, context={"now": CLOCK})
    assert verify(issued.text, TrustStore.of([signer.certificate]), at=CLOCK).valid


_VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
_VIETNAMESE_NAMES = st.text(
    alphabet=st.sampled_from(_VIETNAMESE_LETTERS + _VIETNAMESE_LETTERS.upper() + " -'’"), min_size=1, max_size=40
).filter(lambda name: any(ch.isalpha() for ch in name))


@given(family=_VIETNAMESE_NAMES, given_name=_VIETNAMESE_NAMES, nfd=st.booleans())
def test_vietnamese_names_pass_the_character_check(family: str, given_name: str, nfd: bool) -> None:
    form = "NFD" if nfd else "NFC"  # macOS keyboards send decomposed text; it must pass too
    name = PersonName.model_validate(
        {"fn": unicodedata.normalize(form, family), "gn": unicodedata.normalize(form, given_name)}
    )
    assert name.fn == unicodedata.normalize("NFC", family).strip()
    assert name.fnt is None or set(name.fnt) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


@given(
    name=_VIETNAMESE_NAMES,
    # Not whitespace: leading and trailing whitespace is stripped before any check, harmlessly.
    intruder=st.characters(categories=["Cc", "Cf", "Co", "So", "Sm", "Sc", "Sk"]).filter(lambda c: not c.isspace()),
    at=st.integers(0, 40),
)
def test_one_control_character_or_symbol_anywhere_is_refused(name: str, intruder: str, at: int) -> None:
    spoiled = name[:at] + intruder + name[at:]
    with pytest.raises(ValidationError) as info:
        PersonName.model_validate({"fn": spoiled})
    assert _located(info.value) == {"fn": "issue.bad_name_character"}
