"""verify_vds end to end: the shared corpus, seals made with our own PKI, forgeries, and hostile input."""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import time
import unicodedata
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.multiformat_corpus import CORPUS, corpus_cases
from tests.vaxcert.vds.pki import (
    AT,
    Issued,
    anchors,
    icao_registry,
    make_crl,
    make_csca,
    make_signer,
    seal_text,
    vector,
)
from vaxcert.registry import TrustRegistry
from vaxcert.summary import CredentialReport, Status
from vaxcert.vds import VdsDetail, verify_vds

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
CASES = corpus_cases("icao-vds-nc")


# -- the shared corpus --------------------------------------------------------------------------


def _tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return [token for token in "".join(ch if ch.isalnum() else " " for ch in plain).split() if token]


def test_the_corpus_is_there_when_the_shared_folder_is() -> None:
    if CORPUS.exists():
        assert len(CASES) >= 21


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_case(case: Any) -> None:
    report = verify_vds(case.qr[0], case.registry(), at=case.at)
    expected = case.expected
    assert report.format == "icao-vds-nc"
    assert report.status == expected["status"], (report.code, report.message)
    assert report.valid == (expected["status"] == "verified")
    if expected.get("holder"):
        assert report.holder is not None
        assert Counter(_tokens(report.holder.name)) == Counter(_tokens(expected["holder"]["name"]))
        if expected["holder"].get("birth_date"):
            assert report.holder.birth_date == expected["holder"]["birth_date"]
    if "events" in expected:
        assert Counter((e.type, e.date) for e in report.events) == Counter(
            (e["type"], e["date"]) for e in expected["events"]
        )
        doses = {(e["type"], e["date"]): e["dose"] for e in expected["events"] if e.get("dose") is not None}
        assert all(event.dose == doses[(event.type, event.date)] for event in report.events if event.date in doses)


# -- our own seals --------------------------------------------------------------------------------


def test_a_seal_verifies_through_each_kind_of_trust(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    text = seal_text(vaccination, signer)
    expected = vector("expected.json")["vaccination"]
    for registry, kind in ((icao_registry(csca), "registry"), (anchors(csca), "csca"), (anchors(signer), "signer")):
        report = verify_vds(text, registry, at=AT)
        assert report.status is Status.VERIFIED, (kind, report.code)
        assert report.holder is not None and report.holder.to_json() == expected["holder"]
        assert [event.to_json() for event in report.events] == expected["events"]
        assert report.issuer == "UTO"
        assert isinstance(report.detail, VdsDetail) and report.detail.trust_kind == kind
        assert report.checks == {
            "seal": True,
            "content": True,
            "certificate": True,
            "signature": True,
            "trust": True,
            "validity": True,
            "revocation": None,
        }


def test_registry_entries_keyed_by_the_seal_country_are_found(
    csca: Issued, signer: Issued, vaccination: dict[str, Any]
) -> None:
    text = seal_text(vaccination, signer)
    assert verify_vds(text, icao_registry(csca, country="UTO"), at=AT).valid
    assert verify_vds(text, icao_registry(csca, country="XX"), at=AT).status is Status.ISSUER_NOT_TRUSTED


def test_a_test_result_seal(csca: Issued, signer: Issued, test_result: dict[str, Any]) -> None:
    report = verify_vds(seal_text(test_result, signer), anchors(csca), at=AT)
    expected = vector("expected.json")["test"]
    assert report.valid
    assert report.holder is not None and report.holder.to_json() == expected["holder"]
    assert [event.to_json() for event in report.events] == expected["events"]


def test_a_naive_clock_is_utc(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    text = seal_text(vaccination, signer)
    assert verify_vds(text, anchors(csca), at=AT.replace(tzinfo=None)).valid
    expired = verify_vds(text, anchors(csca), at=AT.replace(year=2040, tzinfo=None))
    assert expired.status is Status.EXPIRED_KEYS


def test_seal_bytes_and_indented_text_verify(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    assert verify_vds(seal_text(vaccination, signer, indent=4).encode("utf-8"), anchors(csca), at=AT).valid


@settings(max_examples=max(10, FUZZ_EXAMPLES // 10), deadline=None)
@given(
    name=st.text(min_size=1, max_size=40).filter(str.strip),
    dob=st.dates().map(lambda day: day.isoformat()),
    doses=st.lists(st.tuples(st.dates(), st.integers(1, 9)), min_size=0, max_size=4),
    algorithm=st.sampled_from(["ES256", "ES384", "ES512"]),
    indent=st.sampled_from([None, 1, 4]),
)
def test_sign_then_verify_round_trip(
    csca: Issued,
    signers: dict[str, Issued],
    vaccination: dict[str, Any],
    name: str,
    dob: str,
    doses: list[Any],
    algorithm: str,
    indent: int | None,
) -> None:
    data = copy.deepcopy(vaccination)
    data["msg"]["pid"].update(n=name, dob=dob)
    data["msg"]["ve"][0]["vd"] = [{"dvc": day.isoformat(), "seq": seq, "ctr": "UTO"} for day, seq in doses]
    data["msg"]["ve"] = data["msg"]["ve"][:1]
    report = verify_vds(seal_text(data, signers[algorithm], indent=indent), icao_registry(csca), at=AT)
    assert report.status is Status.VERIFIED, report.code
    assert report.holder is not None and report.holder.name == name[:256]
    assert [(event.date, event.dose) for event in report.events] == [(day.isoformat(), seq) for day, seq in doses]


def test_reserialised_seals_verify(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    document = json.loads(seal_text(vaccination, signer))
    rng = random.Random(9)
    for _ in range(20):
        shuffled = _shuffled(document, rng)
        text = json.dumps(shuffled, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 0, 2, "\t"]))
        assert verify_vds(text, anchors(csca), at=AT).valid


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


# -- forgeries --------------------------------------------------------------------------------


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaf_paths(item, (*path, index))]
    return [path]


def test_any_value_edited_after_signing_fails(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    document = json.loads(seal_text(vaccination, signer))
    paths = _leaf_paths(document["data"])
    assert len(paths) > 20
    for path in paths:
        forged = copy.deepcopy(document)
        parent = forged["data"]
        for step in path[:-1]:
            parent = parent[step]
        old = parent[path[-1]]
        parent[path[-1]] = old + 1 if isinstance(old, int) else old + "X"
        report = verify_vds(json.dumps(forged), anchors(csca), at=AT)
        assert report.checks["signature"] is False, path
        # An edited seal type is no health proof any more, which outranks the signature.
        assert report.status is (Status.NOT_SUPPORTED if path == ("hdr", "t") else Status.INVALID_SIGNATURE), path


def test_a_member_added_after_signing_fails(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    document = json.loads(seal_text(vaccination, signer))
    document["data"]["msg"]["pid"]["ai"] = "EXTRA"
    assert verify_vds(json.dumps(document), anchors(csca), at=AT).status is Status.INVALID_SIGNATURE


def test_a_signer_from_an_untrusted_csca_is_refused(csca: Issued, vaccination: dict[str, Any]) -> None:
    rogue = make_csca(common_name="Rogue CSCA")
    text = seal_text(vaccination, make_signer(rogue))
    for registry in (icao_registry(csca), anchors(csca), TrustRegistry()):
        assert verify_vds(text, registry, at=AT).status is Status.ISSUER_NOT_TRUSTED


def test_a_rogue_csca_copying_the_trusted_name_and_key_id_is_refused(csca: Issued, vaccination: dict[str, Any]) -> None:
    # Same subject and SKI as the trusted CSCA: only the signature on the signer tells them apart.
    rogue = make_csca(common_name="Test CSCA", ski=csca.ski)
    text = seal_text(vaccination, make_signer(rogue))
    for registry in (icao_registry(csca), anchors(csca)):
        report = verify_vds(text, registry, at=AT)
        assert report.status is Status.ISSUER_NOT_TRUSTED
        assert report.code == "trust.untrusted_signer"


def test_a_signer_trusted_for_another_country_is_not_found_under_this_one(
    csca: Issued, signer: Issued, vaccination: dict[str, Any]
) -> None:
    registry = icao_registry(csca, country="ZZ")
    assert verify_vds(seal_text(vaccination, signer), registry, at=AT).status is Status.ISSUER_NOT_TRUSTED


@pytest.mark.parametrize("alg", ["none", "", "RS256", "HS256", "ES256K", "es256", None, 256])
def test_other_algorithms_are_refused(alg: Any, csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    document = json.loads(seal_text(vaccination, signer))
    document["sig"]["alg"] = alg
    report = verify_vds(json.dumps(document), anchors(csca), at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT
    assert report.code == "signature.unsupported_alg"


def test_an_algorithm_that_does_not_fit_the_key_is_refused(
    csca: Issued, signer: Issued, vaccination: dict[str, Any]
) -> None:
    document = json.loads(seal_text(vaccination, signer))
    document["sig"]["alg"] = "ES384"
    raw = base64.urlsafe_b64decode(document["sig"]["sigvl"] + "==")
    document["sig"]["sigvl"] = base64.urlsafe_b64encode(raw + bytes(32)).decode()  # 96 bytes: ES384's size
    report = verify_vds(json.dumps(document), anchors(csca), at=AT)
    assert (report.status, report.code) == (Status.INVALID_SIGNING_FORMAT, "signature.key_mismatch")


# -- key and certificate status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "status"),
    [
        ({"status": "terminated"}, Status.TERMINATED_KEYS),
        ({"status": "revoked"}, Status.REVOKED_KEYS),
        ({"status": "expired"}, Status.EXPIRED_KEYS),
        ({"valid_until": "2030-01-01T00:00:00Z"}, Status.EXPIRED_KEYS),
    ],
)
def test_the_csca_entry_status_decides(
    entry: dict[str, str], status: Status, csca: Issued, signer: Issued, vaccination: dict[str, Any]
) -> None:
    report = verify_vds(seal_text(vaccination, signer), icao_registry(csca, **entry), at=AT)
    assert report.status is status


def test_a_usable_path_wins_over_an_unusable_one(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    registry = icao_registry(csca, status="terminated").merged(anchors(csca))
    assert verify_vds(seal_text(vaccination, signer), registry, at=AT).valid


def test_an_expired_signer_certificate(csca: Issued, vaccination: dict[str, Any]) -> None:
    old = make_signer(csca, not_after=AT.replace(year=2029, month=6))
    report = verify_vds(seal_text(vaccination, old), icao_registry(csca), at=AT)
    assert (report.status, report.code) == (Status.EXPIRED_KEYS, "validity.expired")


def test_an_expired_csca_anchor(vaccination: dict[str, Any]) -> None:
    old = make_csca(not_after=AT.replace(year=2030, month=1))
    signer = make_signer(old, not_after=AT.replace(year=2031))
    report = verify_vds(seal_text(vaccination, signer), anchors(old), at=AT)
    assert (report.status, report.code) == (Status.EXPIRED_KEYS, "trust.expired_key")


def test_a_signer_on_its_cscas_crl_is_revoked(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    text = seal_text(vaccination, signer)
    revoked = icao_registry(csca).merged(
        TrustRegistry.from_x509_crl(make_crl(csca, [1, signer.certificate.serial_number]))
    )
    report = verify_vds(text, revoked, at=AT)
    assert (report.status, report.code) == (Status.REVOKED_KEYS, "revocation.revoked")
    clean = anchors(csca).merged(TrustRegistry.from_x509_crl(make_crl(csca, [1, 2])))
    report = verify_vds(text, clean, at=AT)
    assert report.valid and report.checks["revocation"] is True
    assert isinstance(report.detail, VdsDetail) and report.detail.crl_checked


def test_a_crl_not_signed_by_the_csca_is_ignored(csca: Issued, signer: Issued, vaccination: dict[str, Any]) -> None:
    forged = make_crl(csca, [signer.certificate.serial_number], signing_key=make_csca().key)
    report = verify_vds(
        seal_text(vaccination, signer), anchors(csca).merged(TrustRegistry.from_x509_crl(forged)), at=AT
    )
    assert report.valid and report.checks["revocation"] is None


@pytest.mark.parametrize("pss", [False, True])
def test_rsa_cscas_chain(pss: bool, vaccination: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_csca = make_csca(key=rsa.generate_private_key(public_exponent=65537, key_size=2048), pss=pss)
    signer = make_signer(rsa_csca, pss=pss)
    text = seal_text(vaccination, signer)
    assert verify_vds(text, icao_registry(rsa_csca), at=AT).valid
    assert verify_vds(text, anchors(rsa_csca), at=AT).valid


def test_a_signer_without_key_identifier_chains_by_name(csca: Issued, vaccination: dict[str, Any]) -> None:
    signer = make_signer(csca, with_aki=False)
    text = seal_text(vaccination, signer)
    assert verify_vds(text, anchors(csca), at=AT).valid
    assert verify_vds(text, icao_registry(csca), at=AT).status is Status.ISSUER_NOT_TRUSTED  # nothing to look up


# -- hostile input --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", vector("hostile.json")["cases"], ids=lambda case: case["name"])
def test_hostile_vectors(case: dict[str, Any]) -> None:
    text = case["prefix"] + case["repeat"] * case["times"] + case["suffix"]
    started = time.perf_counter()
    report = verify_vds(text, TrustRegistry(), at=AT)
    assert time.perf_counter() - started < 2.0
    assert (report.format, report.status) == (case["format"], case["status"])
    assert report.code is not None and report.code.partition(".")[0] in dict(report.checks)


def _assert_reported(report: CredentialReport) -> None:
    assert isinstance(report.status, Status)
    assert report.valid == (report.status is Status.VERIFIED)
    json.dumps(report.to_json())


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_input_gets_a_report(text: str | bytes) -> None:
    report = verify_vds(text, TrustRegistry(), at=AT)
    _assert_reported(report)
    assert not report.valid


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=JSON_VALUES, sig=JSON_VALUES, hdr=JSON_VALUES, msg=JSON_VALUES)
def test_random_seal_shapes_get_a_report(data: Any, sig: Any, hdr: Any, msg: Any) -> None:
    for document in ({"data": data, "sig": sig}, {"data": {"hdr": hdr, "msg": msg}, "sig": sig}):
        _assert_reported(verify_vds(json.dumps(document), TrustRegistry(), at=AT))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.data())
def test_mutated_seals_get_a_report(csca: Issued, signer: Issued, data: st.DataObject) -> None:
    text = seal_text(vector("vaccination.json"), signer)
    raw = bytearray(text.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        operation = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if operation == "flip":
            raw[position] ^= 1 << data.draw(st.integers(0, 7))
        elif operation == "delete":
            del raw[position]
        elif operation == "insert":
            raw.insert(position, data.draw(st.integers(0, 255)))
        else:
            del raw[position:]
        if not raw:
            raw.append(0x7B)
    report = verify_vds(bytes(raw), anchors(csca), at=AT)
    _assert_reported(report)
    if bytes(raw) != text.encode("utf-8") and report.valid:
        # A change can only keep the seal valid if it left the parsed data and signature intact.
        assert json.loads(bytes(raw))["data"] == json.loads(text)["data"]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    alg=st.one_of(st.sampled_from(["ES256", "ES384", "ES512", "none"]), st.text(max_size=8), st.integers()),
    sigvl=st.one_of(
        st.binary(max_size=140).map(lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()),
        st.text(max_size=20),
    ),
)
def test_random_signatures_under_a_trusted_signer_get_a_report(
    csca: Issued, signer: Issued, alg: Any, sigvl: str
) -> None:
    document = json.loads(seal_text(vector("vaccination.json"), signer))
    document["sig"].update(alg=alg, sigvl=sigvl)
    report = verify_vds(json.dumps(document), anchors(csca), at=AT)
    _assert_reported(report)
    assert report.status in (Status.INVALID_SIGNING_FORMAT, Status.INVALID_SIGNATURE)
