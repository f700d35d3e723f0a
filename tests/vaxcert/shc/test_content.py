"""A card's FHIR bundle as holder and events, and the health-card check, through verify_shc."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_vector_file
from tests.vaxcert.shc.conftest import AT, card_claims, signed_card
from vaxcert.registry import TrustRegistry
from vaxcert.shc import PemJwsSigner, verify_shc
from vaxcert.summary import CredentialReport, HealthEvent, Holder


def _verify(bundle: Any, signer: PemJwsSigner, registry: TrustRegistry) -> CredentialReport:
    report = verify_shc(signed_card(signer, card_claims(bundle)), registry, at=AT)
    assert report.valid, report.code
    return report


def test_lab_result_is_a_test_event_dated_as_written(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    report = _verify(load_vector_file("shc/bundle-lab.json"), shc_signer, shc_registry)
    assert report.holder == Holder("Quốc Huy Phạm", "2001-09-09")
    assert report.events == (HealthEvent("test", "2024-02-28", None, "VN", "LOINC:94558-4", "negative"),)


def test_edge_cases_of_names_doses_and_statuses(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    report = _verify(load_vector_file("shc/bundle-edge.json"), shc_signer, shc_registry)
    # The official name, given names then family; prefixes and suffixes are left out.
    assert report.holder == Holder("Thu Thảo Đặng", "1978")
    assert report.events == (
        HealthEvent("vaccination", "2021-07-01", 3, "JP", "ICD-11:XM68M6"),
        HealthEvent("vaccination", None, None, None, "SNOMED:1119349007"),
        HealthEvent("test", "2022-01-02", None, None, "LOINC:94309-2", "Detected"),
    )


def test_name_text_when_there_are_no_parts(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "Patient", "name": [{"text": " Nguyễn Văn A "}]}}],
    }
    report = _verify(bundle, shc_signer, shc_registry)
    assert report.holder == Holder("Nguyễn Văn A", None) and report.events == ()


def test_bundle_without_patient_or_entries_has_no_holder(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    for bundle in ({"resourceType": "Bundle"}, {"resourceType": "Bundle", "entry": {"x": 1}}):
        report = _verify(bundle, shc_signer, shc_registry)
        assert report.holder is None and report.events == ()
    nameless = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "name": [{}]}}]}
    assert _verify(nameless, shc_signer, shc_registry).holder is None


def test_a_reference_or_code_system_that_is_not_text_is_ignored_not_raised(
    shc_signer: PemJwsSigner, shc_registry: TrustRegistry, vaccination_bundle: dict[str, Any]
) -> None:
    # Both used to reach a dictionary lookup and raise TypeError (unhashable) out of verify_shc.
    immunization = vaccination_bundle["entry"][3]["resource"]
    immunization["location"] = {"reference": ["urn:uuid:0b7e2f14-2c55-4d1e-8a8f-3f0e9b6c1d02"]}
    immunization["vaccineCode"]["coding"][0]["system"] = {"url": "http://hl7.org/fhir/sid/cvx"}
    report = _verify(vaccination_bundle, shc_signer, shc_registry)
    assert report.events[1] == HealthEvent("vaccination", "2021-09-20", 2, None, "208")
    assert report.events[0] == HealthEvent("vaccination", "2021-08-23", 1, None, "CVX:208")
