"""HCERT codes in the shared vocabulary: registry key status, anchors, and WHO DDCC data sets."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization

from tests.conftest import load_vector_file
from vaxcert import PemSigner, Status, TrustRegistry, issue, verify_credential
from vaxcert.cose import sign
from vaxcert.hcert import base45, compression

NOW = datetime(2026, 6, 1, tzinfo=UTC)  # inside the test DSCs' validity (conftest)
ISSUED = NOW - timedelta(days=10)
DDCC = {
    "name": "Trần Thị Bình",
    "birthDate": "1985-12-24",
    "vaccine": {"code": "XM68M6", "system": "http://id.who.int/icd11/mms"},
    "date": "2024-01-15",
    "dose": 1,
    "country": {"code": "VNM", "system": "urn:iso:std:iso:3166"},
}


def _registry(signer: PemSigner, status: str = "current", **validity: str) -> TrustRegistry:
    spki = signer.certificate.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    entry = {"status": status, "publicKey": base64.b64encode(spki).decode(), **validity}
    return TrustRegistry.from_registry({"DCC": {signer.certificate.kid_b64: entry}})


def _signed(claims: dict[Any, Any], signer: PemSigner) -> str:
    message = sign(cbor2.dumps(claims), signer, signer.certificate.kid)
    return "HC1:" + base45.encode(compression.encode(message))


@pytest.fixture(scope="module")
def eu_code(signer: PemSigner) -> str:
    return issue(load_vector_file("payloads/vn-vaccination.json"), signer, issued_at=ISSUED).text


def test_an_eu_code_verifies_through_a_registry_key_with_holder_and_events(eu_code: str, signer: PemSigner) -> None:
    report = verify_credential(eu_code, _registry(signer), at=NOW)
    assert report.format == "hcert" and report.status is Status.VERIFIED
    assert report.holder is not None and report.holder.birth_date
    assert [event.type for event in report.events] == ["vaccination"]
    assert report.events[0].dose is not None and report.events[0].date


@pytest.mark.parametrize(
    ("status", "validity", "expected", "code"),
    [
        ("terminated", {}, Status.TERMINATED_KEYS, "signature.key_terminated"),
        ("revoked", {}, Status.REVOKED_KEYS, "signature.key_revoked"),
        ("expired", {}, Status.EXPIRED_KEYS, "signature.key_expired"),
        ("current", {"validUntilDT": "2026-05-31T00:00:00Z"}, Status.EXPIRED_KEYS, "signature.key_expired"),
    ],
)
def test_the_registry_key_status_decides(
    eu_code: str, signer: PemSigner, status: str, validity: dict[str, str], expected: Status, code: str
) -> None:
    report = verify_credential(eu_code, _registry(signer, status, **validity), at=NOW)
    assert report.status is expected and report.code == code


def test_a_key_status_outranks_a_bad_signature(eu_code: str, signer: PemSigner) -> None:
    report = verify_credential(_flip_signature(eu_code), _registry(signer, "revoked"), at=NOW)
    assert report.status is Status.REVOKED_KEYS
    assert verify_credential(_flip_signature(eu_code), _registry(signer), at=NOW).status is Status.INVALID_SIGNATURE


def test_an_anchor_certificate_is_a_dsc_and_nothing_else_trusts(eu_code: str, signer: PemSigner) -> None:
    anchored = TrustRegistry.from_certificates([signer.certificate.der])
    assert verify_credential(eu_code, anchored, at=NOW).status is Status.VERIFIED
    assert verify_credential(eu_code, TrustRegistry(), at=NOW).status is Status.ISSUER_NOT_TRUSTED


def test_a_who_ddcc_data_set_is_read_and_verified(signer: PemSigner) -> None:
    report = verify_credential(_signed(DDCC, signer), _registry(signer), at=NOW)
    assert report.status is Status.VERIFIED, report.to_json()
    assert report.holder is not None and report.holder.name == DDCC["name"]
    assert report.events[0].country == "VNM" and report.events[0].dose == 1


def test_a_ddcc_past_its_exp_claim_is_expired_and_a_forged_one_invalid(
    signer: PemSigner, rsa_signer: PemSigner
) -> None:
    expired = _signed({4: int((NOW - timedelta(hours=1)).timestamp()), -260: {-6: DDCC}}, signer)
    assert verify_credential(expired, _registry(signer), at=NOW).status is Status.EXPIRED
    # Signed by another key under this key's kid.
    message = sign(cbor2.dumps(DDCC), rsa_signer, signer.certificate.kid)
    forged = "HC1:" + base45.encode(compression.encode(message))
    assert verify_credential(forged, _registry(signer), at=NOW).status is Status.INVALID_SIGNATURE


def test_a_signed_cwt_without_a_health_data_set_is_not_supported(signer: PemSigner) -> None:
    report = verify_credential(_signed({1: "VN", -70000: {"x": 1}}, signer), _registry(signer), at=NOW)
    assert report.status is Status.NOT_SUPPORTED and report.code == "content.not_health_certificate"


def _flip_signature(text: str) -> str:
    message = cbor2.loads(compression.decode(base45.decode(text[4:])))
    items = list(message.value)
    items[3] = bytes([items[3][0] ^ 1]) + items[3][1:]
    return "HC1:" + base45.encode(compression.encode(cbor2.dumps(cbor2.CBORTag(18, items))))
