"""Signed trust lists: round trip, tampering, rollback, rotation, staleness, chains, imports."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PKI_START, PKI_VALIDITY, QUIET_HEALTH_CHECKS, VECTORS, load_vector_file
from tests.mutations import paths, replace_at
from vaxcert import PemSigner, TrustStore, issue, trustlist, verify
from vaxcert.errors import TrustError
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from vaxcert.registry import FRAMEWORKS, KeyStatus, ShcRevocationList, TrustedKey
from vaxcert.summary import Status
from vaxcert.trust import DocumentSignerCertificate, kid_for
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
                    "keys",
                    "framework",
                    "id",
                    "key",
                    "status",
                    "x5c",
                    "crl_version",
                    "x509_crls",
                    "shc_revocations",
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
        (
            trustlist.CONTENT_TYPE,
            _multi_framework_content(signer).encode(),
            lambda d: trustlist.verify(d, [anchors[0].certificate]),
        ),
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
        registry = checked.registry()  # whatever was accepted must form a registry whose keys decode
        for key in registry.keys.values():
            assert key.public_key is not None


def test_an_entry_made_from_a_parsed_certificate_equals_one_made_from_its_der(signer: PemSigner) -> None:
    parsed = TrustListEntry.for_certificate("VN", signer.certificate, frozenset({"v"}))
    from_der = TrustListEntry("VN", signer.certificate.der, frozenset({"v"}))
    assert parsed == from_der and hash(parsed) == hash(from_der) and repr(parsed) == repr(from_der)
    assert parsed.certificate is signer.certificate  # reused, not parsed again
    assert from_der.certificate == signer.certificate and from_der.certificate is from_der.certificate
    assert parsed.trusted_certificate().allowed_types == frozenset({"v"})


# ---------------------------------------------------------------- format 2: every framework

V1 = load_vector_file("trust-list-v1.json")
IMPORTS = load_vector_file("trust-imports.json")


def _spki(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _vector_certificate(name: str) -> DocumentSignerCertificate:
    return DocumentSignerCertificate.load(VECTORS / name)


def _icao_key() -> TrustedKey:
    imported = trustlist.keys_from_icao_certificates([("csca", (VECTORS / "keys/csca.pem").read_bytes())])
    assert not imported.rejected
    return imported.keys[0]


def _multi_framework_content(signer: PemSigner) -> trustlist.TrustListContent:
    """A list with a DSC and one key of every framework, an SHC revocation list and no X.509 CRL."""
    imported = trustlist.keys_from_registry((VECTORS / "trust-registry.json").read_bytes())
    revocations = trustlist.crls_from_files([("crl", (VECTORS / "trust-shc-crl.json").read_bytes())])
    return trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate)],
        sequence=9,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(days=2),
        keys=[*imported.keys, _icao_key()],
        shc_revocations=revocations.shc_revocations,
    )


def test_a_list_signed_in_format_1_still_loads(vaccination_payload: dict[str, Any]) -> None:
    anchor = _vector_certificate(V1["anchor"])
    checked = trustlist.verify((VECTORS / "trust-list-v1.cose").read_bytes(), [anchor])
    content = checked.content
    assert content.format_version == 1 and checked.sequence == V1["sequence"] and not checked.rejected
    assert content.issued_at.isoformat() == V1["issued_at"] and content.next_update.isoformat() == V1["next_update"]
    assert content.cscas == tuple(_vector_certificate(name).der for name in V1["cscas"])
    assert [
        (
            entry.der,
            entry.country,
            sorted(entry.types),
            entry.valid_until.isoformat() if entry.valid_until else None,
        )
        for entry in content.entries
    ] == [
        (_vector_certificate(e["certificate"]).der, e["country"], e["types"], e["valid_until"]) for e in V1["entries"]
    ]
    assert content.keys == () and content.counts()["DCC"] == len(V1["entries"])
    # The HCERT view still verifies codes; the registry view holds the same DSCs as DCC keys.
    es256 = PemSigner.from_files(VECTORS / "keys/dsc-es256-all-key.pem", VECTORS / "keys/dsc-es256-all.pem")
    code = issue(vaccination_payload, es256, issued_at=datetime(2026, 3, 2, tzinfo=UTC)).text
    report = verify(code, checked.trust_store(fail_when_stale=False), at=datetime(2026, 3, 4, tzinfo=UTC))
    assert report.valid
    registry = checked.registry()
    assert registry.frameworks()["DCC"] == len(V1["entries"])
    key = registry.key("DCC", es256.certificate.kid_b64)
    assert key is not None and key.spki == _spki(es256.certificate.public_key)
    restricted = _vector_certificate(V1["entries"][1]["certificate"])
    narrowed = registry.key("DCC", restricted.kid_b64)
    assert narrowed is not None and narrowed.valid_until is not None
    assert narrowed.valid_until.isoformat() == V1["entries"][1]["valid_until"]


def test_every_framework_round_trips_through_a_signed_list(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner
) -> None:
    content = _multi_framework_content(signer)
    checked = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate])
    assert checked.content.format_version == trustlist.FORMAT_VERSION and not checked.rejected
    assert checked.content.keys == content.keys and checked.content.shc_revocations == content.shc_revocations
    registry = checked.registry()
    expected = {(framework, key_id) for framework, key_id in IMPORTS["registry"]["keys"]}
    assert expected | {("ICAO", _icao_key().key_id), ("DCC", signer.certificate.kid_b64)} == set(registry.keys)
    assert registry.anchors == _icao_key().certificate_chain  # ICAO CSCAs can be chained to
    crl = registry.shc_revocation(IMPORTS["shc_crl"]["kid"])
    assert crl is not None and crl.ctr == IMPORTS["shc_crl"]["ctr"]
    assert all(crl.revokes(rid, None) for rid in IMPORTS["shc_crl"]["revoked"])
    for rid, cutoff in IMPORTS["shc_crl"]["revoked_before"].items():
        moment = datetime.fromtimestamp(cutoff, UTC)
        assert crl.revokes(rid, moment - timedelta(seconds=1)) and not crl.revokes(rid, moment)
    terminated = registry.key("SHC", f"{IMPORTS['issuer']}#vector-kid-terminated")
    assert terminated is not None and terminated.failure_at(NOW) is Status.TERMINATED_KEYS
    assert checked.content.counts() == registry.frameworks()


_SPKIS = [
    _spki(ec.generate_private_key(ec.SECP256R1()).public_key()),
    _spki(ec.generate_private_key(ec.SECP384R1()).public_key()),
    _spki(ed25519.Ed25519PrivateKey.generate().public_key()),
]
_SECONDS = st.integers(min_value=0, max_value=4_000_000_000).map(lambda s: datetime.fromtimestamp(s, UTC))
_KEYS = st.builds(
    TrustedKey,
    framework=st.sampled_from(FRAMEWORKS),
    key_id=st.text(min_size=1, max_size=40),
    spki=st.sampled_from(_SPKIS),
    status=st.sampled_from(list(KeyStatus)),
    valid_from=st.none() | _SECONDS,
    valid_until=st.none() | _SECONDS,
    name=st.none() | st.text(min_size=1, max_size=40),
    crl_version=st.none() | st.integers(min_value=0, max_value=2**40),
)
_REVOCATIONS = st.builds(
    ShcRevocationList,
    kid=st.text(min_size=1, max_size=20),
    ctr=st.integers(min_value=0, max_value=2**31),
    rids=st.dictionaries(st.text(alphabet="abcXYZ019-_", min_size=1, max_size=12), st.none() | _SECONDS, max_size=4),
)


@given(keys=st.lists(_KEYS, max_size=6), revocations=st.lists(_REVOCATIONS, max_size=3))
@settings(max_examples=60, suppress_health_check=[*QUIET_HEALTH_CHECKS, HealthCheck.function_scoped_fixture])
def test_keys_and_revocation_lists_round_trip(
    keys: list[TrustedKey], revocations: list[ShcRevocationList], anchors: tuple[PemSigner, PemSigner]
) -> None:
    content = trustlist.build([], sequence=1, issued_at=ISSUED, next_update=NOW, keys=keys, shc_revocations=revocations)
    checked = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate])
    assert not checked.rejected
    assert {(k.framework, k.key_id): k for k in checked.content.keys} == {(k.framework, k.key_id): k for k in keys}
    assert {c.kid: c for c in checked.content.shc_revocations} == {c.kid: c for c in revocations}


def test_a_list_edited_after_signing_is_refused(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    signed_list = trustlist.sign(_multi_framework_content(signer), anchors[0])
    message = cbor2.loads(signed_list)
    document = cbor2.loads(message.value[2])
    document["keys"][0]["key"] = _SPKIS[0]  # another issuer's key under a trusted id
    protected, unprotected, _, signature = message.value
    edited = cbor2.CBORTag(message.tag, [protected, unprotected, cbor2.dumps(document, canonical=True), signature])
    with pytest.raises(TrustListError) as info:
        trustlist.verify(cbor2.dumps(edited), [anchors[0].certificate])
    assert info.value.code == "trustlist.bad_signature"


def _signed_document(document: dict[str, Any], anchor: PemSigner) -> bytes:
    from vaxcert import signed

    return signed.sign(cbor2.dumps(document, canonical=True), trustlist.CONTENT_TYPE, anchor)


def test_a_bad_key_is_rejected_alone(anchors: tuple[PemSigner, PemSigner], signer: PemSigner) -> None:
    document = cbor2.loads(_multi_framework_content(signer).encode())
    good = len(document["keys"])
    template = document["keys"][0]
    other = _spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    document["keys"] += [
        {**template, "id": "not-a-key", "key": b"\x30\x03\x02\x01\x00"},
        {**template, "id": "unknown-framework", "framework": "XYZ"},
        {**template, "id": "bad-status", "status": "suspended"},
        {**template, "id": "", "key": other},
        {"framework": "ICAO", "id": "VN#wrong-cert", "key": other, "x5c": [_icao_key().certificate_chain[0]]},
        dict(template),  # the same framework and id again
        "not a map",
    ]
    document["x509_crls"] = [b"not a CRL"]
    document["shc_revocations"] = [{"kid": "k", "method": "bloom", "ctr": 1, "rids": []}]
    checked = trustlist.verify(_signed_document(document, anchors[0]), [anchors[0].certificate])
    assert len(checked.content.keys) == good and len(checked.content.entries) == 1
    reasons = {item.description: item.reason for item in checked.rejected}
    assert len(reasons) == 9, reasons
    assert reasons[f"{template['framework']} key not-a-key"] == "the trusted key is not a usable public key"
    assert "different public key" in reasons["ICAO key VN#wrong-cert"]
    assert "second" in reasons[f"{template['framework']} key {template['id']}"]
    assert checked.registry().key(template["framework"], template["id"]) == checked.content.keys[0]


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: d.update(format=3), "trustlist.unsupported_format"),
        (lambda d: d.update(format=True), "trustlist.unsupported_format"),
        (lambda d: d.update(keys={"not": "an array"}), "trustlist.bad_format"),
        (lambda d: d["keys"][0].update(name=[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]), "trustlist.bad_format"),
    ],
)
def test_malformed_format_2_content_is_refused(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner, edit: Any, code: str
) -> None:
    document = cbor2.loads(_multi_framework_content(signer).encode())
    edit(document)
    with pytest.raises(TrustListError) as info:
        trustlist.verify(_signed_document(document, anchors[0]), [anchors[0].certificate])
    assert info.value.code == code


def test_a_format_1_list_ignores_members_of_later_formats(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner
) -> None:
    document = cbor2.loads(_multi_framework_content(signer).encode())
    document["format"] = 1
    checked = trustlist.verify(_signed_document(document, anchors[0]), [anchors[0].certificate])
    assert checked.content.keys == () and checked.content.shc_revocations == () and len(checked.content.entries) == 1


def test_a_listed_key_wins_over_a_dsc_with_the_same_kid(
    anchors: tuple[PemSigner, PemSigner], signer: PemSigner
) -> None:
    listed = TrustedKey("DCC", signer.certificate.kid_b64, _SPKIS[0], status=KeyStatus.REVOKED)
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate)],
        sequence=1,
        issued_at=ISSUED,
        next_update=NOW,
        keys=[listed],
    )
    checked = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate])
    assert checked.registry().key("DCC", signer.certificate.kid_b64) == listed
    assert checked.trust_store().candidates(signer.certificate.kid)  # HCERT still trusts the DSC entry


def test_registry_import_rejects_entries_one_by_one() -> None:
    imported = trustlist.keys_from_registry((VECTORS / "trust-registry.json").read_bytes())
    assert sorted([key.framework, key.key_id] for key in imported.keys) == IMPORTS["registry"]["keys"]
    assert sorted(item.description for item in imported.rejected) == IMPORTS["registry"]["rejected"]
    with pytest.raises(TrustListError) as info:
        trustlist.keys_from_registry(b"[" * 100)
    assert info.value.code == "trustlist.bad_import"


def test_jwks_import_needs_an_issuer() -> None:
    imported = trustlist.keys_from_jwks((VECTORS / "trust-jwks.json").read_bytes())
    assert [[k.framework, k.key_id, k.crl_version] for k in imported.keys] == IMPORTS["jwks"]["keys"]
    assert [item.description for item in imported.rejected] == IMPORTS["jwks"]["rejected"]
    no_issuer = (VECTORS / "trust-jwks-no-iss.json").read_bytes()
    with pytest.raises(TrustListError) as info:
        trustlist.keys_from_jwks(no_issuer)
    assert info.value.code == "trustlist.bad_import"
    given_issuer = trustlist.keys_from_jwks(no_issuer, "https://other.example")
    assert [key.key_id for key in given_issuer.keys] == ["https://other.example#jwks-kid-1"]


def test_icao_certificate_import(csca: IssuedKeyPair) -> None:
    vector = _vector_certificate("keys/csca.pem")
    key = _icao_key()
    ski = x509.load_der_x509_certificate(vector.der).extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert key.key_id == "VN#" + base64.b64encode(ski.value.digest).decode()
    assert key.spki == _spki(vector.public_key) and key.certificate_chain == (vector.der,)
    assert (key.valid_from, key.valid_until) == (vector.not_before, vector.not_after)
    imported = trustlist.keys_from_icao_certificates(
        [("der", csca.certificate.public_bytes(serialization.Encoding.DER)), ("junk", b"junk")]
    )
    assert len(imported.keys) == 1 and [item.description for item in imported.rejected] == ["junk"]


def test_crl_import(csca: IssuedKeyPair) -> None:
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.certificate.subject)
        .last_update(ISSUED)
        .next_update(NOW)
        .sign(csca.private_key, hashes.SHA256())
    )
    pem = crl.public_bytes(serialization.Encoding.PEM)
    imported = trustlist.crls_from_files(
        [("x509", pem), ("shc", (VECTORS / "trust-shc-crl.json").read_bytes()), ("junk", b"junk")]
    )
    assert imported.x509_crls == (crl.public_bytes(serialization.Encoding.DER),)
    assert [c.kid for c in imported.shc_revocations] == [IMPORTS["shc_crl"]["kid"]]
    assert [item.description for item in imported.rejected] == ["junk"]


def test_an_unreadable_dsc_is_a_dcc_key_that_fails_on_use(anchors: tuple[PemSigner, PemSigner]) -> None:
    content = trustlist.build(
        [TrustListEntry("VN", b"not a certificate")], sequence=1, issued_at=ISSUED, next_update=NOW
    )
    checked = trustlist.verify(trustlist.sign(content, anchors[0]), [anchors[0].certificate])
    registry = checked.registry()
    kid = base64.b64encode(kid_for(b"not a certificate")).decode()
    assert ("DCC", kid) in registry.keys and len(registry.keys) == 1
    key = registry.key("DCC", kid)
    assert key is not None
    with pytest.raises(TrustError) as info:
        key.public_key  # noqa: B018 - the property decodes the key
    assert info.value.code == "trust.bad_key"
