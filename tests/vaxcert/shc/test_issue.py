"""Issuing SMART Health Cards: what goes into the card, what is refused, and that vaxcert's verifier accepts it."""

from __future__ import annotations

import json
import os
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vaxcert.shc.conftest import AT, ISSUED_AT, ISSUER
from vaxcert import qr
from vaxcert.errors import IssuanceError
from vaxcert.registry import TrustRegistry
from vaxcert.shc import PemJwsSigner, ShcIssuanceError, issue_shc, minimise_bundle, verify_shc
from vaxcert.shc.jws import b64url_decode
from vaxcert.summary import Status


def _claims(jws: str) -> dict[str, Any]:
    _, body, _ = jws.split(".")
    claims: dict[str, Any] = json.loads(zlib.decompress(b64url_decode(body), -15))
    return claims


def test_issued_card_verifies_with_holder_and_events(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT, rid="r1D-x_9")
    assert issued.text.startswith("shc:/") and issued.text[5:].isdigit()
    assert issued.kid == shc_signer.kid
    report = verify_shc(issued.text, shc_registry, at=AT)
    assert report.status is Status.VERIFIED, report.code
    assert report.holder is not None and report.holder.name == "Thị Phương Nguyễn"
    assert report.holder.birth_date == "1990-04-15"
    assert [(e.type, e.date, e.dose, e.country, e.product) for e in report.events] == [
        ("vaccination", "2021-08-23", 1, "VN", "CVX:208"),
        ("vaccination", "2021-09-20", 2, "VN", "CVX:208"),
    ]
    assert report.detail.rid == "r1D-x_9" and report.detail.nbf == ISSUED_AT


def test_payload_is_minified_and_minimised(vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    header, body, _ = issued.jws.split(".")
    raw = zlib.decompress(b64url_decode(body), -15)
    assert raw == json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()
    claims = json.loads(raw)
    assert claims["iss"] == ISSUER and claims["nbf"] == int(ISSUED_AT.timestamp())
    assert claims["vc"]["type"] == ["https://smarthealth.cards#health-card"]
    assert "rid" not in claims["vc"]
    bundle = claims["vc"]["credentialSubject"]["fhirBundle"]
    text = json.dumps(bundle)
    for dropped in ('"id"', '"meta"', '"display"', '"div"', "Comirnaty", "urn:uuid", "Patient/", "Location/"):
        assert dropped not in text
    assert [entry["fullUrl"] for entry in bundle["entry"]] == [f"resource:{i}" for i in range(4)]
    immunizations = [entry["resource"] for entry in bundle["entry"][2:]]
    assert [item["patient"]["reference"] for item in immunizations] == ["resource:0", "resource:0"]
    assert [item["location"]["reference"] for item in immunizations] == ["resource:1", "resource:1"]
    assert json.loads(b64url_decode(header)) == {"alg": "ES256", "zip": "DEF", "kid": shc_signer.kid}


def test_minimisation_keeps_meta_security_and_name_text() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "meta": {"security": [{"system": "s", "code": "IAL1.2"}], "lastUpdated": "2024"},
                    "name": [{"text": "Mononym"}],
                }
            }
        ],
    }
    patient = minimise_bundle(bundle)["entry"][0]["resource"]
    assert patient["meta"] == {"security": [{"system": "s", "code": "IAL1.2"}]}
    assert patient["name"] == [{"text": "Mononym"}]


def test_too_large_for_one_qr_is_refused_not_chunked(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    # Lot numbers of random-looking text do not compress: enough of them overflow one QR.
    immunization = vaccination_bundle["entry"][2]
    for index in range(40):
        extra = json.loads(json.dumps(immunization))
        extra["resource"]["lotNumber"] = os.urandom(12).hex()
        extra["fullUrl"] = f"urn:uuid:extra-{index}"
        vaccination_bundle["entry"].append(extra)
    with pytest.raises(ShcIssuanceError) as caught:
        issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert caught.value.code == "issue.too_large"
    assert isinstance(caught.value, IssuanceError)


@pytest.mark.parametrize(
    "issuer", ["http://vaxcert.example/shc", "https://vaxcert.example/shc/", "vaxcert.example", "https://?x=1"]
)
def test_issuer_must_be_an_https_url_without_trailing_slash(
    issuer: str, vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    with pytest.raises(ShcIssuanceError) as caught:
        issue_shc(vaccination_bundle, shc_signer, issuer=issuer, issued_at=ISSUED_AT)
    assert caught.value.code == "issue.bad_issuer"


@pytest.mark.parametrize("rid", ["", "has space", "x" * 25, "dot.ted"])
def test_rid_must_be_short_base64url(rid: str, vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    with pytest.raises(ShcIssuanceError) as caught:
        issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT, rid=rid)
    assert caught.value.code == "issue.bad_rid"


@pytest.mark.parametrize(
    "bundle",
    [{}, {"resourceType": "Patient"}, {"resourceType": "Bundle"}, {"resourceType": "Bundle", "entry": [{"x": 1}]}],
)
def test_not_a_bundle_is_refused(bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    with pytest.raises(ShcIssuanceError) as caught:
        issue_shc(bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert caught.value.code == "issue.bad_bundle"


def test_naive_issue_time_is_refused(vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    with pytest.raises(ShcIssuanceError) as caught:
        issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=datetime(2024, 1, 1))
    assert caught.value.code == "issue.naive_time"


def test_png_and_svg_hold_the_card_in_a_version_22_symbol(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert qr.decode(issued.png(scale=3)) == issued.text
    assert issued.svg().lstrip().startswith("<")
    assert qr.symbol_version(issued.text, issued.error_correction) <= 22


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzĐđÂâÊêÔôƯưăằẵếộụ", min_size=1, max_size=12)
_DAY = st.dates(min_value=datetime(2020, 1, 1).date(), max_value=datetime(2024, 1, 1).date())


@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")) // 3 or 1, deadline=None)
@given(
    given_names=st.lists(_NAME, min_size=1, max_size=3),
    family=_NAME,
    birth=_DAY,
    doses=st.lists(st.tuples(_DAY, st.integers(1, 9), st.sampled_from(["207", "208", "210", "212"])), max_size=4),
    rid=st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True),
    offset=st.integers(0, 10**6),
)
def test_issue_then_verify_round_trip(
    shc_signer: PemJwsSigner,
    shc_registry: TrustRegistry,
    given_names: list[str],
    family: str,
    birth: Any,
    doses: list[tuple[Any, int, str]],
    rid: str | None,
    offset: int,
) -> None:
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": "urn:uuid:p",
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": family, "given": given_names}],
                "birthDate": birth.isoformat(),
            },
        }
    ]
    for day, number, cvx in doses:
        entries.append(
            {
                "resource": {
                    "resourceType": "Immunization",
                    "status": "completed",
                    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": cvx}]},
                    "patient": {"reference": "urn:uuid:p"},
                    "occurrenceDateTime": day.isoformat(),
                    "protocolApplied": [{"doseNumberPositiveInt": number}],
                }
            }
        )
    issued_at = ISSUED_AT + timedelta(seconds=offset)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    issued = issue_shc(bundle, shc_signer, issuer=ISSUER, issued_at=issued_at, rid=rid)
    report = verify_shc(issued.text, shc_registry, at=issued_at + timedelta(days=1))
    assert report.status is Status.VERIFIED, report.code
    assert report.holder is not None
    assert report.holder.name == " ".join([*given_names, family])
    assert report.holder.birth_date == birth.isoformat()
    assert [(e.date, e.dose, e.product) for e in report.events] == [
        (day.isoformat(), number, f"CVX:{cvx}") for day, number, cvx in doses
    ]
    assert report.detail.rid == rid and report.detail.nbf == issued_at.replace(microsecond=0)


def test_issued_at_is_recorded(vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=moment)
    assert issued.issued_at == moment and issued.issuer == ISSUER
    assert _claims(issued.jws)["nbf"] == int(moment.timestamp())
