from __future__ import annotations

import contextlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import CoseError, PemSigner, SignatureError, cose

STAGE_ERRORS = load_vector_file("stage-errors.json")


@given(payload=st.binary(max_size=512))
def test_sign_decode_verify_round_trip(signer: PemSigner, payload: bytes) -> None:
    message = cose.decode(cose.sign(payload, signer, signer.certificate.kid))
    assert message.payload == payload
    assert message.kid == signer.certificate.kid
    assert message.algorithm == cose.CoseAlgorithm.ES256
    cose.verify(message, signer.certificate.public_key)


def test_ps256_round_trip(rsa_signer: PemSigner) -> None:
    message = cose.decode(cose.sign(b"payload", rsa_signer, rsa_signer.certificate.kid))
    assert message.algorithm == cose.CoseAlgorithm.PS256
    cose.verify(message, rsa_signer.certificate.public_key)


def _rebuild(signed: bytes, edit: object, tag: int | None = 18) -> bytes:
    items = list(cbor2.loads(signed).value)
    edit(items)  # type: ignore[operator]
    return cbor2.dumps(cbor2.CBORTag(tag, items) if tag is not None else items)


def test_untagged_and_cwt_tagged_messages_decode(signer: PemSigner) -> None:
    signed = cose.sign(b"x", signer, signer.certificate.kid)
    untagged = _rebuild(signed, lambda items: None, tag=None)
    wrapped = cbor2.dumps(cbor2.CBORTag(61, cbor2.loads(signed)))
    for data in (untagged, wrapped):
        cose.verify(cose.decode(data), signer.certificate.public_key)


def test_kid_in_unprotected_header_is_used_and_protected_wins(signer: PemSigner) -> None:
    protected = cbor2.dumps({1: -7})
    message = cose.CoseSign1(protected, {1: -7}, {4: b"unprot"}, b"", b"sig")
    assert message.kid == b"unprot"
    both = cose.CoseSign1(cbor2.dumps({4: b"prot"}), {4: b"prot"}, {4: b"unprot"}, b"", b"sig")
    assert both.kid == b"prot"


def test_alg_must_match_key_type(signer: PemSigner, rsa_signer: PemSigner) -> None:
    message = cose.decode(cose.sign(b"x", signer, signer.certificate.kid))
    with pytest.raises(SignatureError) as info:
        cose.verify(message, rsa_signer.certificate.public_key)
    assert info.value.code == "signature.alg_mismatch"


def test_signature_over_other_protected_header_fails(signer: PemSigner) -> None:
    signed = cose.sign(b"x", signer, signer.certificate.kid)

    def add_header(items: list[object]) -> None:
        items[0] = cbor2.dumps({1: -7, 4: signer.certificate.kid, 99: 1})

    with pytest.raises(SignatureError) as info:
        cose.verify(cose.decode(_rebuild(signed, add_header)), signer.certificate.public_key)
    assert info.value.code == "signature.invalid"


@pytest.mark.parametrize("case", STAGE_ERRORS["cose"], ids=lambda case: case["code"] + ": " + case["why"])
def test_malformed_messages(case: dict[str, str]) -> None:
    with pytest.raises(CoseError) as info:
        cose.decode(bytes.fromhex(case["data_hex"]))
    assert info.value.code == case["code"]


@given(st.binary(max_size=300))
def test_random_bytes_never_escape_as_other_exceptions(data: bytes) -> None:
    with contextlib.suppress(CoseError):
        cose.decode(data)


@pytest.mark.parametrize(
    ("unprotected", "code"),
    [
        (cbor2.dumps({99: cbor2.CBORTag(28, [1])}), "cose.forbidden_tag"),
        (cbor2.dumps({99: cbor2.CBORTag(18, [])}), "cose.forbidden_tag"),
        (cbor2.dumps({99: cbor2.CBORTag(2**40, 1)}), "cose.forbidden_tag"),
        (cbor2.dumps({99: list(range(65))}), "cose.too_large"),
        (b"\xa1\x18\x63" + b"\x81" * 40 + b"\x00", "cose.too_deep"),
    ],
    ids=["sharing", "inner-sign1-tag", "unknown", "wide", "deep"],
)
def test_unprotected_header_is_bounded_and_untagged(unprotected: bytes, code: str) -> None:
    message = b"\xd2\x84" + cbor2.dumps(cbor2.dumps({1: -7})) + unprotected + cbor2.dumps(b"p") + cbor2.dumps(b"s")
    with pytest.raises(CoseError) as info:
        cose.decode(message)
    assert info.value.code == code


def test_envelope_tags_in_any_length_encoding(signer: PemSigner) -> None:
    signed = cose.sign(b"x", signer, signer.certificate.kid)
    body = signed[1:]  # drop the one-byte tag 18
    for head in (b"\xd8\x12", b"\xd9\x00\x12", b"\xda\x00\x00\x00\x12", b"\xd8\x3d\xd2", b"\xd9\x00\x3d\xd2"):
        cose.verify(cose.decode(head + body), signer.certificate.public_key)
    broken = {
        b"\xdc" + body: "cose.bad_cbor",
        b"\xd9\x00": "cose.bad_cbor",
        b"\xd8\x3d\xd8\x3d" + body: "cose.wrong_tag",
    }
    for data, code in broken.items():
        with pytest.raises(CoseError) as info:
            cose.decode(data)
        assert info.value.code == code


@given(protected=st.binary(max_size=300), payload=st.binary(max_size=70_000))
def test_sig_structure_is_the_cbor_array_a_generic_encoder_writes(protected: bytes, payload: bytes) -> None:
    assert cose.sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])


@given(payload=st.binary(max_size=70_000))
def test_signed_message_is_the_tagged_array_a_generic_encoder_writes(signer: PemSigner, payload: bytes) -> None:
    signed = cose.sign(payload, signer, signer.certificate.kid)
    decoded = cbor2.loads(signed)
    assert decoded.tag == 18
    assert signed == cbor2.dumps(cbor2.CBORTag(18, decoded.value))
    protected, unprotected, carried, _ = decoded.value
    assert cbor2.loads(protected) == {1: -7, 4: signer.certificate.kid}
    assert unprotected == {}
    assert carried == payload


def test_protected_header_of_a_repeated_message_is_shared_read_only(signer: PemSigner) -> None:
    signed = cose.sign(b"x", signer, signer.certificate.kid)
    first, second = cose.decode(signed), cose.decode(signed)
    assert first.protected == second.protected == {1: -7, 4: signer.certificate.kid}
    with pytest.raises(TypeError):
        first.protected[4] = b"other"  # type: ignore[index]
    assert second.kid == signer.certificate.kid


def test_protected_header_with_a_container_is_decoded_afresh_for_each_message(signer: PemSigner) -> None:
    signed = _rebuild(
        cose.sign(b"x", signer, signer.certificate.kid),
        lambda items: items.__setitem__(0, cbor2.dumps({1: -7, 4: b"k", 99: [1]})),
    )
    first, second = cose.decode(signed), cose.decode(signed)
    first.protected[99].append(2)
    assert second.protected[99] == [1]
