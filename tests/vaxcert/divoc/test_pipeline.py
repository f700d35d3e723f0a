"""verify_divoc end to end: the shared corpus, our vectors, forgeries, hostile payloads, and no network."""

from __future__ import annotations

import copy
import json
import os
import socket
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.multiformat_corpus import corpus_cases
from vaxcert.divoc import STAGES, DivocDetail, DivocError, encode_envelope, sign_divoc, verify_divoc
from vaxcert.registry import TrustRegistry
from vaxcert.summary import CredentialReport, Status

from .support import AT, CREATED, ED_DID, OTHER_LABEL, RSA_DID, cases, ed25519_key, payload, registry, rsa_key, template

FUZZ = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
CORPUS = corpus_cases("divoc")
VECTORS = cases()


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [token for token in "".join(ch if ch.isalnum() else " " for ch in plain).split() if token]


def _assert_shape(report: CredentialReport) -> None:
    assert report.format == "divoc"
    assert [outcome.name for outcome in report.outcomes] == list(STAGES)
    assert isinstance(report.detail, DivocDetail)
    assert report.valid == (report.status is Status.VERIFIED)
    assert (report.code is None) == report.valid or report.status is Status.VERIFIED
    for outcome in report.outcomes:
        if outcome.passed is False:  # every code is <stage>.<reason>, raised as that stage's error class
            assert outcome.code is not None and outcome.code.startswith(f"{outcome.name}.")
            error = outcome.error()
            assert isinstance(error, DivocError) and isinstance(error, ValueError) and error.stage == outcome.name
    json.dumps(report.to_json())


def test_the_corpus_has_divoc_cases() -> None:
    assert len(CORPUS) >= 17


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_corpus_case(case: Any) -> None:
    report = verify_divoc(case.payload, case.registry(), at=case.at)
    _assert_shape(report)
    assert str(report.status) == case.expected["status"], (report.code, report.message)
    holder = case.expected.get("holder")
    if holder:
        assert report.holder is not None
        expected = _tokens(" ".join(holder.get(part) or "" for part in ("family", "given", "name")))
        assert sorted(_tokens(report.holder.name)) == sorted(expected)
        if holder.get("birth_date"):
            assert (report.holder.birth_date or "").startswith(holder["birth_date"])
    events = case.expected.get("events")
    if events is not None:
        assert sorted((e.type, e.date) for e in report.events) == sorted((e["type"], e["date"]) for e in events)
        for expected_event in events:
            if expected_event.get("dose") is not None:
                match = [
                    e for e in report.events if (e.type, e.date) == (expected_event["type"], expected_event["date"])
                ]
                assert any(e.dose == expected_event["dose"] for e in match)


@pytest.mark.parametrize("case", VECTORS, ids=[case["id"] for case in VECTORS])
def test_vector(case: dict[str, Any]) -> None:
    from datetime import datetime

    report = verify_divoc(payload(case), registry(), at=datetime.fromisoformat(case["at"]))
    _assert_shape(report)
    assert (str(report.status), report.code) == (case["expected"]["status"], case["expected"]["code"]), report.message
    if "holder" in case["expected"]:
        assert report.holder is not None and report.holder.to_json() == case["expected"]["holder"]
    if "events" in case["expected"]:
        assert [event.to_json() for event in report.events] == case["expected"]["events"]


def test_vectors_cover_both_suites_and_the_forgeries() -> None:
    ids = {case["id"] for case in VECTORS}
    assert {"valid-rsa-v2", "valid-ed25519-v2", "forged-name", "forged-dose", "forged-alg-none"} <= ids
    assert "forged-other-issuers-key" in ids and "unknown-context" in ids


def test_an_unsigned_dob_is_reported_as_left_out() -> None:
    case = next(case for case in VECTORS if case["id"] == "v1-dob-edited")
    report = verify_divoc(payload(case), registry(), at=AT)
    assert report.valid and report.holder is not None and report.holder.birth_date is None
    assert report.detail.unsigned_fields == ("credentialSubject.dob",)


# -- forgeries made here, with the test issuers' keys ---------------------------------------------


def _signed(version: str = "v2", key: Any = None, did: str = ED_DID) -> dict[str, Any]:
    return sign_divoc(template(version), key or ed25519_key(), did, created=CREATED)


def _verify(credential: dict[str, Any], trust: TrustRegistry | None = None) -> CredentialReport:
    return verify_divoc(encode_envelope(json.dumps(credential).encode()), trust or registry(), at=AT)


def test_fresh_credentials_of_both_suites_verify() -> None:
    assert _verify(_signed()).valid
    assert _verify(_signed(key=rsa_key(), did=RSA_DID)).valid


@pytest.mark.parametrize(
    "path",
    [
        ("credentialSubject", "name"),
        ("credentialSubject", "nationality"),
        ("evidence", 0, "dose"),
        ("evidence", 0, "vaccine"),
        ("evidence", 0, "facility", "address", "addressCountry"),
        ("issuanceDate",),
        ("proof", "verificationMethod"),
    ],
)
def test_any_signed_member_edited_after_signing_breaks_the_signature(path: tuple[Any, ...]) -> None:
    credential = _signed()
    forged = copy.deepcopy(credential)
    target = forged
    for step in path[:-1]:
        target = target[step]
    original = target[path[-1]]
    target[path[-1]] = (original + 1) if isinstance(original, int) else f"{original}x"
    report = _verify(forged, registry().merged(_registry_for(forged)))
    assert report.status is Status.INVALID_SIGNATURE, report.code


def _registry_for(credential: dict[str, Any]) -> TrustRegistry:
    # A forged verificationMethod must still find a key (the Ed25519 issuer's) to reach the signature check.
    did = credential["proof"]["verificationMethod"]
    return TrustRegistry(keys={("DIVOC", did): registry().key("DIVOC", ED_DID)})  # type: ignore[dict-item]


def test_a_key_from_another_trusted_issuer_does_not_verify_for_this_did() -> None:
    report = _verify(_signed(key=ed25519_key(OTHER_LABEL), did=ED_DID))
    assert report.status is Status.INVALID_SIGNATURE and report.code == "signature.mismatch"


def test_an_rsa_suite_naming_an_ed25519_did_is_a_key_type_mismatch() -> None:
    report = _verify(_signed(key=rsa_key(), did=ED_DID))
    assert report.status is Status.INVALID_SIGNATURE and report.code == "signature.key_type_mismatch"


def test_removing_the_proof_is_a_signing_format_error_that_still_shows_the_holder() -> None:
    credential = _signed()
    del credential["proof"]
    report = _verify(credential)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == "credential.no_proof"
    assert report.holder is not None and report.events


def test_trust_failure_still_runs_no_json_ld() -> None:
    report = _verify(_signed(did="did:vaxcert-test:nobody"))
    assert report.status is Status.ISSUER_NOT_TRUSTED and report.checks["canonical"] is None


# -- offline ------------------------------------------------------------------------------------


def test_nothing_is_fetched_for_an_unknown_context(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("network access during DIVOC verification")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    credential = _signed()
    credential["@context"] = [*credential["@context"], "https://contexts.vaxcert-test.example/other/v1"]
    report = _verify(credential)
    assert report.status is Status.INVALID_SIGNATURE and report.code == "canonical.unknown_context"
    assert "https://contexts.vaxcert-test.example/other/v1" in (report.message or "")
    assert _verify(_signed()).valid  # and a good credential needs no network either
    assert attempts == []


def test_a_context_pyld_itself_bundles_is_still_unknown_here() -> None:
    # pyld ships ed25519-2020; vaxcert does not, and the loader serves only vaxcert's copies.
    credential = _signed()
    credential["@context"] = [*credential["@context"], "https://w3id.org/security/suites/ed25519-2020/v1"]
    assert _verify(credential).code == "canonical.unknown_context"


# -- hostile input --------------------------------------------------------------------------------


@given(data=st.binary(max_size=3000))
@settings(max_examples=FUZZ, deadline=None)
def test_fuzz_random_payloads_get_a_report(data: bytes) -> None:
    for candidate in (data, b"PK\x03\x04" + data):
        report = verify_divoc(candidate, registry(), at=AT)
        _assert_shape(report)
        assert not report.valid


_VALID = encode_envelope(json.dumps(_signed()).encode())


@given(data=st.data())
@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_mutated_zips_get_a_report(data: st.DataObject) -> None:
    packed = bytearray(_VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        packed[data.draw(st.integers(0, len(packed) - 1))] = data.draw(st.integers(0, 255))
    report = verify_divoc(bytes(packed), registry(), at=AT)
    _assert_shape(report)


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["@id", "@type", "@context", "@graph", "@list", "_:b0", "did:x", "https://w3id.org/security/v2"]),
)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.one_of(
                st.sampled_from(["@id", "@type", "@context", "@value", "@list", "@graph", "name", "dose"]),
                st.text(max_size=6),
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=16,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@given(data=st.data())
@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_signed_credentials_with_any_member_replaced_get_a_report(data: st.DataObject) -> None:
    """Genuinely signed credentials whose JSON-LD holds anything anywhere: a report, never an exception."""
    credential = template()
    path = data.draw(st.sampled_from(_paths(credential)[1:]))
    target: Any = credential
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(_JSON)
    try:
        signed = sign_divoc(credential, ed25519_key(), ED_DID, created=CREATED)
    except ValueError:
        signed = {**credential, "proof": _signed()["proof"]}  # the canonical form failed: verify still must not
    report = _verify(signed)
    _assert_shape(report)


def test_deeply_nested_json_is_refused_before_parsing() -> None:
    report = verify_divoc(encode_envelope(b'{"a":' * 3000 + b"1" + b"}" * 3000), registry(), at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == "credential.too_deep"


def test_a_poison_graph_hits_the_canonicalisation_bound() -> None:
    """Blank nodes nobody can tell apart (the URDNA2015 worst case): refused, quickly, not hung."""
    credential = _signed()
    # A clique of identical anonymous nodes, each pointing at every other one through @id blank node labels.
    labels = [f"_:n{i}" for i in range(6)]
    # Absolute IRIs: a term the contexts do not define would be dropped before it reached the graph.
    credential["credentialSubject"]["https://schema.org/knows"] = [
        {"@id": label, "https://schema.org/knows": [{"@id": other} for other in labels if other != label]}
        for label in labels
    ]
    report = _verify(credential)
    assert report.status is Status.INVALID_SIGNATURE
    assert report.code in ("canonical.too_complex", "canonical.too_large")


def test_swapping_dose_and_total_doses_keeps_the_signature_but_shows_no_dose() -> None:
    credential = _signed()  # dose 1 of 2
    evidence = credential["evidence"][0]
    evidence["dose"], evidence["totalDoses"] = evidence["totalDoses"], evidence["dose"]
    report = _verify(credential)
    assert report.valid  # the RDF is the same: the limit of what DIVOC's contexts sign
    assert report.events[0].dose is None and report.detail.ambiguous_fields == ("evidence[0].dose",)


def test_a_binary_code_read_as_latin_1_text_verifies_like_its_bytes() -> None:
    zipped = encode_envelope(json.dumps(_signed()).encode())
    assert verify_divoc(zipped.decode("latin-1"), registry(), at=AT).valid
    report = verify_divoc("PK\x03\x04 ☃", registry(), at=AT)
    assert report.status is Status.INVALID_COMPRESSION and report.code == "envelope.not_zip"
