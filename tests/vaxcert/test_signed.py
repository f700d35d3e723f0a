"""Signed documents: a payload in a COSE_Sign1 by a pinned anchor, refused with typed codes otherwise."""

from __future__ import annotations

import cbor2
import pytest

from vaxcert import PemSigner, TrustError, cose, signed
from vaxcert.signed import SignedDocumentError

CONTENT_TYPE = "application/vnd.example+cbor"


def test_a_signed_payload_comes_back_with_its_anchor(signer: PemSigner, rsa_signer: PemSigner) -> None:
    data = signed.sign(b"payload bytes", CONTENT_TYPE, signer)
    payload, anchor = signed.verify(data, CONTENT_TYPE, [rsa_signer.certificate, signer.certificate], "list")
    assert payload == b"payload bytes" and anchor == signer.certificate


def test_the_content_type_and_kid_are_protected(signer: PemSigner) -> None:
    message = cose.decode(signed.sign(b"x", CONTENT_TYPE, signer))
    assert message.protected[signed.HEADER_CONTENT_TYPE] == CONTENT_TYPE
    assert message.protected[cose.HEADER_KID] == signer.certificate.kid


def _refusal(data: bytes, anchors: list[PemSigner], content_type: str = CONTENT_TYPE) -> SignedDocumentError:
    with pytest.raises(SignedDocumentError) as raised:
        signed.verify(data, content_type, [anchor.certificate for anchor in anchors], "list")
    return raised.value


def test_refusals_carry_the_callers_code_prefix(signer: PemSigner, rsa_signer: PemSigner) -> None:
    data = signed.sign(b"x", CONTENT_TYPE, signer)
    assert _refusal(data, []).code == "list.no_anchor"
    assert _refusal(b"\x00not cose", [signer]).code == "list.bad_format"
    assert _refusal(data, [signer], "application/other").code == "list.bad_format"
    assert _refusal(data, [rsa_signer]).code == "list.unknown_signer"


def test_a_changed_payload_fails_the_signature(signer: PemSigner) -> None:
    protected, unprotected, _, signature = cbor2.loads(signed.sign(b"original", CONTENT_TYPE, signer)).value
    forged = cbor2.dumps(cbor2.CBORTag(cose.COSE_SIGN1_TAG, [protected, unprotected, b"forged!!", signature]))
    error = _refusal(forged, [signer])
    assert error.code == "list.bad_signature"
    assert isinstance(error, TrustError)  # a list that must not be used is a trust failure to callers


def test_only_the_protected_kid_selects_the_anchor(signer: PemSigner) -> None:
    protected, _, payload, signature = cbor2.loads(signed.sign(b"x", CONTENT_TYPE, signer)).value
    header = cbor2.loads(protected)
    del header[cose.HEADER_KID]
    unprotected = {cose.HEADER_KID: signer.certificate.kid}
    moved = cbor2.dumps(cbor2.CBORTag(cose.COSE_SIGN1_TAG, [cbor2.dumps(header), unprotected, payload, signature]))
    assert _refusal(moved, [signer]).code == "list.unknown_signer"
