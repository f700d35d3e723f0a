"""Signed trust lists: round trip, tampering, rollback, rotation, staleness, chains, imports."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PKI_START, PKI_VALIDITY, QUIET_HEALTH_CHECKS
from tests.mutations import paths, replace_at
from vaxcert import PemSigner, TrustStore, issue, trustlist, verify
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from vaxcert.trust import DocumentSignerCertificate
from vaxcert.trustlist import TrustListEntry, TrustListError

ISSUED = datetime(2026, 5, 1, tzinfo=UTC)
NOW = datetime(2026, 5, 2, tzinfo=UTC)


def _pem_signer(pair: IssuedKeyPair, folder: Any, name: str) -> PemSigner:
    (folder / f"{name}.pem").write_bytes(pair.certificate_pem())
    (folder / f"{name}-key.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / f"{name}-key.pem", folder / f"{name}.pem")


@pytest.fixture(scope="module")
def anchors(tmp_path_factory: pytest.TempPathFactory) -> tuple[PemSigner, PemSigner]:
    folder = tmp_path_factory.mktemp("anchors")
    first = create_csca(common_name="TL signer A", valid_from=PKI_START, validity=PKI_VALIDITY)
    second = create_csca(common_name="TL signer B", valid_from=PKI_START, validity=PKI_VALIDITY)
    return _pem_signer(first, folder, "a"), _pem_signer(second, folder, "b")


def _content(signers: list[PemSigner], sequence: int = 7, cscas: tuple[bytes, ...] = ()) -> trustlist.TrustListContent:
    entries = [TrustListEntry.for_certificate("VN", s.certificate) for s in signers]
    return trustlist.build(
        entries, sequence=sequence, issued_at=ISSUED, next_update=ISSUED + timedelta(days=2), cscas=cscas
    )


def test_round_trip_and_verification_through_the_list(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    signed = trustlist.sign(_content([signer]), anchors[0])
    checked = trustlist.verify(signed, [anchors[0].certificate])
    assert checked.sequence == 7 and checked.signer.kid == anchors[0].certificate.kid
    store = checked.trust_store()
    assert store.source is not None and store.source.sequence == 7
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    assert verify(code, store, at=NOW).valid


def test_every_single_bit_flip_is_rejected(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    signed = trustlist.sign(_content([signer]), anchors[0])
    for position in range(len(signed)):
        for bit in (0, 7):
            tampered = bytearray(signed)
            tampered[position] ^= 1 << bit
            with pytest.raises(TrustListError):
                trustlist.verify(bytes(tampered), [anchors[0].certificate])


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.99])
def test_truncated_list_is_rejected(anchors: tuple[PemSigner, PemSigner], signer: PemSigner, keep: float) -> None:
    signed = trustlist.sign(_content([signer]), anchors[0])
    with pytest.raises(TrustListError):
        trustlist.verify(signed[: int(len(signed) * keep)], [anchors[0].certificate])


def test_unpinned_signer_is_rejected(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    signed = trustlist.sign(_content([signer]), anchors[1])
    with pytest.raises(TrustListError) as info:
        trustlist.verify(signed, [anchors[0].certificate])
    assert info.value.code == "trustlist.unknown_signer"


def test_a_dsc_cannot_sign_a_list_for_a_pinned_anchor_kid(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner
) -> None:
    """Claiming the anchor's kid does not help without the anchor's key."""
    import cbor2

    signed = trustlist.sign(_content([signer]), signer)
    items = list(cbor2.loads(signed).value)
    header = dict(cbor2.loads(items[0]))
    header[4] = anchors[0].certificate.kid
    items[0] = cbor2.dumps(header)
    with pytest.raises(TrustListError) as info:
        trustlist.verify(cbor2.dumps(cbor2.CBORTag(18, items)), [anchors[0].certificate])
    assert info.value.code == "trustlist.bad_signature"


def test_anchor_rotation(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    pinned = [anchors[0].certificate, anchors[1].certificate]
    assert trustlist.verify(trustlist.sign(_content([signer], 1), anchors[0]), pinned).sequence == 1
    assert trustlist.verify(trustlist.sign(_content([signer], 2), anchors[1]), pinned).sequence == 2


def test_rollback_is_rejected(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    old = trustlist.sign(_content([signer], sequence=3), anchors[0])
    with pytest.raises(TrustListError) as info:
        trustlist.verify(old, [anchors[0].certificate], minimum_sequence=4)
    assert info.value.code == "trustlist.rollback"
    assert trustlist.verify(old, [anchors[0].certificate], minimum_sequence=3).sequence == 3


def test_stale_list_fails_closed_by_default(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    checked = trustlist.verify(trustlist.sign(_content([signer]), anchors[0]), [anchors[0].certificate])
    due = ISSUED + timedelta(days=2)
    assert not checked.is_stale(due) and checked.is_stale(due + timedelta(seconds=1))
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    late = due + timedelta(hours=1)
    closed = verify(code, checked.trust_store(), at=late)
    assert not closed.valid and closed.outcome("signature").code == "signature.list_stale"
    warned = verify(code, checked.trust_store(fail_when_stale=False), at=late)
    assert warned.valid and "stale" in warned.notes[0]


def test_list_types_restrict_the_dsc(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, test_payload: dict[str, Any]
) -> None:
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate, frozenset("v"))],
        sequence=1,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(days=2),
    )
    store = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate]).trust_store()
    report = verify(issue(test_payload, signer, issued_at=ISSUED).text, store, at=NOW)
    assert report.checks["signature"] is True and report.checks["key_usage"] is False


def test_entry_validity_window_is_applied(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate, valid_until=ISSUED + timedelta(hours=12))],
        sequence=1,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(days=2),
    )
    store = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate]).trust_store()
    report = verify(issue(vaccination_payload, signer, issued_at=ISSUED).text, store, at=NOW)
    assert report.outcome("expiry").code == "expiry.dsc_expired"


def test_chain_check_against_listed_cscas(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, csca: IssuedKeyPair
) -> None:
    stranger_csca = create_csca(common_name="Other CSCA")
    stranger = create_dsc(stranger_csca, common_name="Other DSC")
    assert isinstance(stranger, IssuedKeyPair)
    stranger_dsc = stranger.document_signer()
    csca_der = csca.certificate.public_bytes(serialization.Encoding.DER)
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate), TrustListEntry.for_certificate("XX", stranger_dsc)],
        sequence=1,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(days=2),
        cscas=[csca_der],
    )
    checked = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate])
    assert [entry.kid for entry in checked.content.entries] == [signer.certificate.kid]
    assert len(checked.rejected) == 1 and "not issued by any CSCA" in checked.rejected[0].reason


def test_gateway_json_import(signer: PemSigner, csca: IssuedKeyPair, vaccination_signer: PemSigner) -> None:
    def item(dsc: DocumentSignerCertificate, kid: bytes) -> dict[str, str]:
        return {
            "kid": base64.b64encode(kid).decode(),
            "country": "VN",
            "certificateType": "DSC",
            "rawData": base64.b64encode(dsc.der).decode(),
            "timestamp": "2026-01-01T00:00:00Z",
        }

    items = [
        item(signer.certificate, signer.certificate.kid),
        item(vaccination_signer.certificate, b"12345678"),  # wrong kid
        {
            "certificateType": "CSCA",
            "country": "VN",
            "rawData": base64.b64encode(csca.certificate.public_bytes(serialization.Encoding.DER)).decode(),
        },
        {"certificateType": "DSC", "kid": "AAAAAAAAAAA=", "country": "VN", "rawData": None},  # deleted
        {"certificateType": "DSC", "kid": "!!", "rawData": "not base64"},
    ]
    for document in (items, {"certificates": items}):
        result = trustlist.entries_from_gateway_json(json.dumps(document).encode())
        assert [entry.kid for entry in result.entries] == [signer.certificate.kid]
        assert len(result.cscas) == 1
        assert len(result.rejected) == 2 and "kid" in result.rejected[0].reason


def test_gateway_json_garbage() -> None:
    with pytest.raises(TrustListError):
        trustlist.entries_from_gateway_json(b"{not json")
    with pytest.raises(TrustListError):
        trustlist.entries_from_gateway_json(b'{"certificates": 3}')


def test_certificate_folder_import(signer: PemSigner) -> None:
    result = trustlist.entries_from_certificates([("good.der", signer.certificate.der), ("bad.der", b"garbage")])
    assert len(result.entries) == 1 and result.rejected[0].description == "bad.der"


def test_build_refuses_bad_windows(signer: PemSigner) -> None:
    with pytest.raises(TrustListError):
        trustlist.build([], sequence=1, issued_at=ISSUED, next_update=ISSUED)
    with pytest.raises(TrustListError):
        trustlist.build([], sequence=-1, issued_at=ISSUED, next_update=NOW)


def test_trust_store_lookup_is_by_kid(signer: PemSigner, vaccination_signer: PemSigner) -> None:
    store = TrustStore.of([signer.certificate, vaccination_signer.certificate])
    assert store.candidates(signer.certificate.kid) == (signer.certificate,)


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=40),
    st.text(max_size=8),
    st.sampled_from(["VN", "UCI", "SIGNATURE", "v", "vtr"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "format",
                    "sequence",
                    "issued_at",
                    "next_update",
                    "entries",
                    "cscas",
                    "batches",
                    "kid",
                    "country",
                    "certificate",
                    "hash_type",
                    "hashes",
                    "types",
                    "dsc",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=14,
)


@given(document=_VALUES)
@settings(max_examples=200, suppress_health_check=[*QUIET_HEALTH_CHECKS, HealthCheck.function_scoped_fixture])
def test_signed_lists_with_any_content_are_refused_cleanly(document: Any, anchors: tuple[PemSigner, PemSigner]) -> None:
    """Genuinely signed by a pinned anchor, with any CBOR inside: a typed error or a valid list."""
    from vaxcert import signed
    from vaxcert.hcert import revocation

    payload = cbor2.dumps(document)
    for content_type, check in (
        (trustlist.CONTENT_TYPE, lambda data: trustlist.verify(data, [anchors[0].certificate])),
        (revocation.CONTENT_TYPE, lambda data: revocation.verify(data, [anchors[0].certificate])),
    ):
        data = signed.sign(payload, content_type, anchors[0])
        try:
            check(data)
        except signed.SignedDocumentError as exc:  # about the content: the signature is genuine
            assert exc.code.split(".")[1] in ("bad_format", "unsupported_format"), exc.code


@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[*QUIET_HEALTH_CHECKS, HealthCheck.function_scoped_fixture])
def test_signed_real_lists_with_one_field_replaced_are_refused_or_read_cleanly(
    data: st.DataObject, anchors: tuple[PemSigner, PemSigner], signer: PemSigner
) -> None:
    from vaxcert import signed
    from vaxcert.hcert import revocation

    revocations = revocation.build(
        [
            (signer.certificate.kid, revocation.HashType.UCI, bytes(16)),
            (b"k" * 8, revocation.HashType.SIGNATURE, bytes(16)),
        ],
        sequence=3,
        issued_at=ISSUED,
        next_update=NOW,
    )
    lists = [
        (trustlist.CONTENT_TYPE, _content([signer]).encode(), lambda d: trustlist.verify(d, [anchors[0].certificate])),
        (revocation.CONTENT_TYPE, revocations.encode(), lambda d: revocation.verify(d, [anchors[0].certificate])),
    ]
    content_type, encoded, check = data.draw(st.sampled_from(lists))
    document = cbor2.loads(encoded)
    replace_at(document, data.draw(st.sampled_from(paths(document)[1:])), data.draw(_VALUES))
    try:
        checked = check(signed.sign(cbor2.dumps(document), content_type, anchors[0]))
    except signed.SignedDocumentError as exc:
        assert exc.code.split(".")[1] in ("bad_format", "unsupported_format"), exc.code
        return
    if isinstance(checked, revocation.RevocationList):
        for batch in checked.batches:  # whatever was accepted must answer lookups exactly
            assert all(batch.packed[i : i + 16] in batch for i in range(0, len(batch.packed), 16))
    else:
        checked.trust_store().candidates(signer.certificate.kid)


def test_an_entry_made_from_a_parsed_certificate_equals_one_made_from_its_der(signer: PemSigner) -> None:
    parsed = TrustListEntry.for_certificate("VN", signer.certificate, frozenset({"v"}))
    from_der = TrustListEntry("VN", signer.certificate.der, frozenset({"v"}))
    assert parsed == from_der and hash(parsed) == hash(from_der) and repr(parsed) == repr(from_der)
    assert parsed.certificate is signer.certificate  # reused, not parsed again
    assert from_der.certificate == signer.certificate and from_der.certificate is from_der.certificate
    assert parsed.trusted_certificate().allowed_types == frozenset({"v"})
