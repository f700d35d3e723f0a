"""The shared verdict: status precedence and the report built from stage outcomes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vaxcert.errors import SignatureError
from vaxcert.outcome import StageOutcome
from vaxcert.summary import STATUS_PRECEDENCE, STATUS_TEXT, Holder, Status, first_status, report_from_outcomes


@given(st.lists(st.sampled_from(list(Status))))
def test_the_earliest_fault_in_precedence_wins(statuses: list[Status]) -> None:
    faults = [status for status in statuses if status is not Status.VERIFIED]
    expected = min(faults, key=STATUS_PRECEDENCE.index) if faults else Status.VERIFIED
    assert first_status(statuses) is expected


def test_the_order_is_the_one_the_multiformat_contract_states() -> None:
    assert [str(status) for status in STATUS_PRECEDENCE[:11]] == [
        "not_supported",
        "invalid_encoding",
        "invalid_compression",
        "invalid_signing_format",
        "issuer_not_trusted",
        "terminated_keys",
        "revoked_keys",
        "expired_keys",
        "invalid_signature",
        "revoked",
        "expired",
    ]
    assert set(STATUS_TEXT) == set(Status)


def test_a_report_names_the_deciding_failure_and_keeps_every_stage() -> None:
    bad_signature = StageOutcome.failed("signature", SignatureError("signature.invalid", "does not match"))
    terminated = StageOutcome.failed("key_status", SignatureError("key_status.terminated", "terminated"))
    informative = StageOutcome.failed("value_sets", SignatureError("signature.note", "unknown code"))
    report = report_from_outcomes(
        "shc",
        [
            (StageOutcome("numeric", True), None),
            (bad_signature, Status.INVALID_SIGNATURE),
            (terminated, Status.TERMINATED_KEYS),
            (informative, None),
        ],
        holder=Holder("Nguyễn Văn An", "1990-04-01"),
    )
    assert report.status is Status.TERMINATED_KEYS and not report.valid
    assert report.code == "key_status.terminated" and report.stage == "key_status"
    document = report.to_json()
    assert document["status"] == "terminated_keys" and document["valid"] is False
    assert set(document["errors"]) == {"signature", "key_status", "value_sets"}
    assert document["holder"] == {"name": "Nguyễn Văn An", "birth_date": "1990-04-01"}


def test_only_failures_with_a_status_decide() -> None:
    note = StageOutcome.failed("value_sets", SignatureError("signature.note", "unknown code"))
    report = report_from_outcomes("hcert", [(StageOutcome("signature", True), None), (note, None)])
    assert report.valid and report.stage == "ok" and report.code is None
