"""Any code in, one report out: format detection and the multi-format corpus through the library."""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.multiformat_corpus import CorpusCase, corpus_cases
from vaxcert.dispatch import detect_format, verify_credential
from vaxcert.summary import CredentialReport, Status

EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "200"))
CASES = corpus_cases()


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        ("HC1:NCF", "hcert"),
        ("hc1:NCF", "hcert"),
        ("shc:/5676", "shc"),
        ("SHC:/garbage", "shc"),
        (["shc:/2/2/00", "shc:/1/2/00"], "shc"),
        ('{"data": {}, "sig": {}}', "icao-vds-nc"),
        ('{"data": {}}', "unknown"),
        ('{"data": {}, "sig"', "unknown"),
        (b"PK\x03\x04rest", "divoc"),
        ("HC2:NCF", "unknown"),
        ("https://example.org", "unknown"),
        (b"\xff\xfe", "unknown"),
        ([], "unknown"),
    ],
)
def test_detection_reads_only_the_envelope(scanned: str | bytes | list[str], expected: str) -> None:
    assert detect_format(scanned) == expected


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_public_corpus_case_through_one_call(case: CorpusCase) -> None:
    scanned: str | bytes | list[str] = (
        case.payload if case.qr_file else list(case.qr) if len(case.qr) > 1 else case.qr[0]
    )
    report = verify_credential(scanned, case.registry(), at=case.at)
    assert report.format == case.format
    assert report.status == case.expected["status"], report.to_json()
    _check_holder(report, case.expected.get("holder"))
    _check_events(report, case.expected.get("events"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200),
        st.builds(lambda body: "HC1:" + body, st.text(max_size=100)),
        st.builds(lambda body: "shc:/" + body, st.text("0123456789/", max_size=200)),
        st.builds(lambda body: '{"data":' + body + ',"sig":{}}', st.text(max_size=100)),
        st.builds(lambda body: b"PK\x03\x04" + body, st.binary(max_size=200)),
        st.lists(st.text(max_size=40), max_size=5),
    )
)
def test_any_input_gets_a_report_never_an_exception(scanned: str | bytes | list[str]) -> None:
    report = verify_credential(scanned)
    assert isinstance(report, CredentialReport)
    assert not report.valid and report.status is not Status.VERIFIED
    assert report.to_json()["status"] == str(report.status)


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).replace("đ", "d")
    return [token for token in re.split(r"[^0-9a-z]+", plain) if token]


def _check_holder(report: CredentialReport, expected: dict[str, str] | None) -> None:
    if expected is None:
        return
    assert report.holder is not None
    wanted = _tokens(" ".join(expected.get(key) or "" for key in ("family", "given", "name")))
    found = _tokens(report.holder.name)
    assert set(wanted) <= set(found), (wanted, found)
    optional = set(_tokens(" ".join(expected.get(key) or "" for key in ("prefix", "suffix", "optional"))))
    assert set(found) <= set(wanted) | optional, (wanted, found)
    birth = expected.get("birth_date")
    if birth:
        assert report.holder.birth_date is not None and report.holder.birth_date.startswith(birth)


def _check_events(report: CredentialReport, expected: list[dict[str, object]] | None) -> None:
    if expected is None:
        return
    assert sorted((e.type, e.date) for e in report.events) == sorted(
        (str(e["type"]), e.get("date"))
        for e in expected  # type: ignore[misc]
    )
    for wanted in expected:
        if wanted.get("dose") is not None:
            assert any(
                e.type == wanted["type"] and e.date == wanted.get("date") and e.dose == wanted["dose"]
                for e in report.events
            ), (wanted, report.events)
