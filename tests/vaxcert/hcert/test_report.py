"""The verification report: typed failures, the JSON form and its bounds."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest

from tests.conftest import VECTORS, load_vector_file
from vaxcert import (
    Base45Error,
    CompressionError,
    CoseError,
    CwtError,
    ExpiryError,
    KeyUsageError,
    PemSigner,
    PictureError,
    Policy,
    PrefixError,
    RevocationError,
    RulesError,
    SchemaError,
    SignatureError,
    TrustError,
    TrustStore,
    VaxcertError,
    VerificationReport,
    cose,
    decode_unverified,
    issue,
    verify,
    verify_image,
)
from vaxcert.errors import LEGACY_CODES, STAGE_ERRORS
from vaxcert.hcert import base45, cwt, revocation
from vaxcert.hcert.certlogic import CertLogicError
from vaxcert.hcert.report import CHECKS
from vaxcert.hcert.rules import RuleSet
from vaxcert.outcome import StageOutcome


def _report(dcc: dict[str, Any]) -> VerificationReport:
    outcomes = tuple(
        StageOutcome.failed(name, CwtError("cwt.too_large", "x")) if name == "cwt" else StageOutcome.not_run(name)
        for name in CHECKS
    )
    return VerificationReport(
        outcomes, datetime(2026, 1, 1, tzinfo=UTC), unverified_claims=cwt.CwtClaims("VN", 1, 10**5000, dcc)
    )


def test_to_json_survives_cycles_depth_and_size() -> None:
    deep: Any = "x"
    for _ in range(50_000):
        deep = {"d": deep}
    dcc: dict[str, Any] = {"ver": "1.3.0", "deep": deep}
    dcc["self"] = dcc
    dcc["v"] = [{}] * 200_000
    document = json.loads(json.dumps(_report(dcc).to_json()))
    hcert = document["payload"]["hcert"]
    assert document["errors"]["cwt"]["code"] == "cwt.too_large"
    assert hcert["self"] == cwt.CYCLE
    assert cwt.TOO_DEEP in json.dumps(hcert["deep"]) and json.dumps(hcert["deep"]).count("{") < cwt.JSON_MAX_DEPTH
    assert hcert["v"][-1] == cwt.TRUNCATED
    assert document["validation_clock"] == "2026-01-01T00:00:00+00:00"  # the payload's budget is its own
    assert document["payload"]["exp"].startswith("0x")  # too many digits for JSON text: printed in hex


# ------------------------------------------------ failures keep the class they were raised as

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUED = NOW - timedelta(days=10)
_RULES = RuleSet.load(VECTORS.parent / "rules-vn.json")


def _hc1(message: bytes) -> str:
    return "HC1:" + base45.encode(zlib.compress(message))


def _signed(claims: Any, signer: PemSigner) -> str:
    return _hc1(cose.sign(cbor2.dumps(claims), signer, signer.certificate.kid))


def _claims(dcc: dict[str, Any]) -> dict[int, Any]:
    return {1: "VN", 4: int(NOW.timestamp()) + 86400, 6: int(ISSUED.timestamp()), -260: {1: dcc}}


def _failing_report(stage: str, request: pytest.FixtureRequest) -> VerificationReport:
    """A real verification whose first failed check is ``stage`` (the second signature case
    fails a signature, not a kid lookup)."""
    signer: PemSigner = request.getfixturevalue("signer")
    trust: TrustStore = request.getfixturevalue("trust")
    payload: dict[str, Any] = request.getfixturevalue("vaccination_payload")
    valid = issue(payload, signer, issued_at=ISSUED).text
    if stage == "picture":
        return verify_image(b"not an image")
    if stage == "unprefix":
        return verify("XC1:ABC")
    if stage == "base45":
        return verify("HC1:ab")
    if stage == "decompress":
        return verify("HC1:" + base45.encode(zlib.compress(b"x")[:-2]))
    if stage == "cose":
        return verify(_hc1(b"\x00"), trust, at=NOW)
    if stage == "signature/kid":
        return verify(valid, TrustStore(), at=NOW)
    if stage == "signature/invalid":
        dcc = decode_unverified(valid).dcc
        message = bytearray(cose.sign(cbor2.dumps(_claims(dcc)), signer, signer.certificate.kid))
        message[-1] ^= 1  # the signature is the message's last byte string
        return verify(_hc1(bytes(message)), trust, at=NOW)
    if stage == "cwt":
        return verify(_hc1(cose.sign(b"\x01", signer, signer.certificate.kid)), trust, at=NOW)
    if stage == "schema":
        return verify(_signed(_claims({"ver": "1.3.0", "v": [{}]}), signer), trust, at=NOW)
    if stage == "expiry":
        return verify(valid, trust, at=ISSUED + timedelta(days=400))
    if stage == "key_usage":
        test_payload: dict[str, Any] = request.getfixturevalue("test_payload")
        vaccination_only: PemSigner = request.getfixturevalue("vaccination_signer")
        dcc = decode_unverified(issue(test_payload, signer, issued_at=ISSUED).text).dcc
        return verify(_signed(_claims(dcc), vaccination_only), trust, at=NOW)
    if stage == "revocation":
        kid, hashes = revocation.hashes_for_code(valid)
        assert kid is not None
        listed = revocation.build(
            [(kid, revocation.HashType.UCI, hashes[revocation.HashType.UCI])],
            sequence=1,
            issued_at=ISSUED,
            next_update=NOW + timedelta(days=1),
        )
        return verify(valid, trust, at=NOW, policy=Policy(revocations=listed))
    assert stage == "rules"
    payload["v"][0]["dt"] = ISSUED.date().isoformat()  # vaccinated 10 days ago: VN wants 14
    fresh = issue(payload, signer, issued_at=ISSUED).text
    return verify(fresh, trust, at=NOW, policy=Policy(rules=_RULES, arrival_country="VN"))


_RAISED_AS = {
    "picture": PictureError,
    "unprefix": PrefixError,
    "base45": Base45Error,
    "decompress": CompressionError,
    "cose": CoseError,
    "signature/kid": TrustError,
    "signature/invalid": SignatureError,
    "cwt": CwtError,
    "schema": SchemaError,
    "expiry": ExpiryError,
    "key_usage": KeyUsageError,
    "revocation": RevocationError,
    "rules": RulesError,
}


def test_every_stage_has_a_failing_case() -> None:
    assert {case.partition("/")[0] for case in _RAISED_AS} == set(CHECKS)


@pytest.mark.parametrize(("case", "expected"), _RAISED_AS.items(), ids=list(_RAISED_AS))
def test_raise_for_failure_raises_the_class_the_check_raised(
    case: str, expected: type[VaxcertError], request: pytest.FixtureRequest
) -> None:
    report = _failing_report(case, request)
    stage = case.partition("/")[0]
    assert report.stage == stage, report.failures
    outcome = report.outcome(stage)
    with pytest.raises(VaxcertError) as raised:
        report.raise_for_failure()
    assert type(raised.value) is expected
    assert (raised.value.code, raised.value.message) == (outcome.code, outcome.message)
    assert raised.value.stage == stage and outcome.code is not None and outcome.code.startswith(f"{stage}.")
    with pytest.raises(expected):
        report.certificate  # noqa: B018 - the property raises the same error


def test_an_unknown_kid_is_caught_as_a_trust_error(signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
    report = verify(issue(vaccination_payload, signer, issued_at=ISSUED).text, TrustStore(), at=NOW)
    try:
        report.raise_for_failure()
    except TrustError as exc:
        assert exc.code == "signature.kid_not_found" and exc.legacy_code == "trust.kid_not_found"
    else:
        pytest.fail("an unknown kid must raise TrustError")


@pytest.mark.parametrize("error_type", [*STAGE_ERRORS, TrustError, CertLogicError], ids=lambda t: t.__name__)
def test_an_outcome_rebuilds_its_error_with_the_same_class(error_type: type[VaxcertError]) -> None:
    original = (
        CertLogicError("unrecognised operator")
        if error_type is CertLogicError
        else error_type(f"{error_type.stage}.some_reason", "why it failed")
    )
    outcome = StageOutcome.failed(error_type.stage, original)
    rebuilt = outcome.error()
    assert type(rebuilt) is error_type and repr(rebuilt) == repr(original)
    assert StageOutcome.ok(error_type.stage).error() is None and StageOutcome.not_run(error_type.stage).error() is None


def test_a_valid_report_raises_nothing(signer: PemSigner, trust: TrustStore, test_payload: dict[str, Any]) -> None:
    report = verify(issue(test_payload, signer, issued_at=ISSUED).text, trust, at=NOW)
    report.raise_for_failure()
    assert report.valid and report.certificate.certificate_type == "t"


def test_a_report_without_a_signature_check_raises_a_signature_error() -> None:
    outcomes = tuple(StageOutcome.ok(name) if name != "signature" else StageOutcome.not_run(name) for name in CHECKS)
    report = VerificationReport(outcomes, NOW)
    assert not report.valid and report.stage == "signature"
    with pytest.raises(SignatureError) as raised:
        report.raise_for_failure()
    assert raised.value.code == "signature.not_checked"


# ------------------------------------------------ codes in the JSON report


def test_json_errors_carry_the_legacy_code_of_renamed_codes_only() -> None:
    outcomes = tuple(
        StageOutcome.failed(name, CompressionError("decompress.not_compressed", "plain"))
        if name == "decompress"
        else StageOutcome.failed(name, CoseError("cose.bad_payload", "detached"))
        if name == "cose"
        else StageOutcome.not_run(name)
        for name in CHECKS
    )
    errors = VerificationReport(outcomes, NOW).to_json()["errors"]
    assert errors["decompress"] == {
        "code": "decompress.not_compressed",
        "message": "plain",
        "legacy_code": "zlib.not_compressed",
    }
    assert errors["cose"] == {"code": "cose.bad_payload", "message": "detached"}


@pytest.mark.parametrize("vector_file", ["hostile.json", "vectors.json"])
def test_every_code_a_report_carries_starts_with_its_check(vector_file: str) -> None:
    document = load_vector_file(vector_file)
    cases = document["hostile"] if isinstance(document, dict) else document
    codes = set()
    for case in cases:
        trust = TrustStore.from_files(VECTORS / "keys" / name for name in case.get("trust", ()))
        at = datetime.fromisoformat(case["at"]) if "at" in case else NOW
        report = verify(case["hc1"], trust, at=at)
        for outcome in report.failures:
            assert outcome.code is not None and outcome.code.startswith(f"{outcome.name}."), outcome
            error = report.to_json()["errors"][outcome.name]
            assert error["code"] == outcome.code and error.get("legacy_code") == LEGACY_CODES.get(outcome.code)
            codes.add(outcome.code)
    assert len({code.partition(".")[0] for code in codes}) >= 2, codes  # the files exercise several checks
