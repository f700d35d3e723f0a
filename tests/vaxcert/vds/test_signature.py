"""The seal signature: sign/verify round trips per algorithm, and the forms that are refused."""

from __future__ import annotations

import base64
import copy
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vaxcert.vds.pki import Issued
from vaxcert.vds import ALGORITHMS, SealSignatureError, parse_certificate, sign, sign_seal
from vaxcert.vds.jcs import canonicalize
from vaxcert.vds.signature import read, verify

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_each_algorithm_round_trips(alg: str, signers: dict[str, Issued], vaccination: dict[str, Any]) -> None:
    signer = signers[alg]
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    seal = sign_seal(vaccination, signer.key, signer.der)
    assert seal.sig["alg"] == alg
    assert len(read(seal.sig).value) == ALGORITHMS[alg].signature_size
    verify(seal, parse_certificate(signer.der))


def test_the_signature_is_raw_r_s_over_the_canonical_data(signer: Issued, vaccination: dict[str, Any]) -> None:
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    alg, sigvl = sign(vaccination, signer.key)
    raw = base64.urlsafe_b64decode(sigvl + "==")
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signer.certificate.public_key().verify(der, canonicalize(vaccination), ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg,union-attr]
    assert alg == "ES256"


@settings(max_examples=max(20, FUZZ_EXAMPLES // 5), deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=6), st.integers(-1000, 1000)), max_size=6))
def test_sign_then_verify_any_data(signer: Issued, data: dict[str, Any]) -> None:
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    seal = sign_seal(data, signer.key, signer.der)
    verify(seal, parse_certificate(signer.der))
    if data:
        edited = copy.deepcopy(data)
        key = sorted(edited)[0]
        edited[key] = [edited[key]]
        with pytest.raises(SealSignatureError) as raised:
            verify(type(seal)(data=edited, sig=seal.sig), parse_certificate(signer.der))
        assert raised.value.code == "signature.mismatch"


@pytest.mark.parametrize(
    ("sig", "code"),
    [
        ({"sigvl": _b64url(bytes(64))}, "signature.unsupported_alg"),
        ({"alg": "none", "sigvl": ""}, "signature.unsupported_alg"),
        ({"alg": "ES 256", "sigvl": _b64url(bytes(64))}, "signature.unsupported_alg"),
        ({"alg": "ES256"}, "signature.missing"),
        ({"alg": "ES256", "sigvl": 5}, "signature.missing"),
        ({"alg": "ES256", "sigvl": "**"}, "signature.bad_base64"),
        ({"alg": "ES256", "sigvl": _b64url(bytes(63))}, "signature.bad_length"),
        ({"alg": "ES256", "sigvl": _b64url(bytes(72))}, "signature.bad_length"),  # a DER signature's size
        ({"alg": "ES384", "sigvl": _b64url(bytes(64))}, "signature.bad_length"),
        ({"alg": "ES512", "sigvl": _b64url(bytes(128))}, "signature.bad_length"),
        ({"alg": "ES256", "sigvl": "A" * 2000}, "signature.bad_length"),
    ],
)
def test_malformed_signatures(sig: dict[str, Any], code: str) -> None:
    with pytest.raises(SealSignatureError) as raised:
        read(sig)
    assert raised.value.code == code


def test_data_without_a_canonical_form(signer: Issued) -> None:
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    with pytest.raises(SealSignatureError) as raised:
        sign({"x": float("inf")}, signer.key)
    assert raised.value.code == "signature.not_canonical"
    seal = sign_seal({"x": 1}, signer.key, signer.der)
    with pytest.raises(SealSignatureError) as raised:
        verify(type(seal)(data={"x": "\ud800"}, sig=seal.sig), parse_certificate(signer.der))
    assert raised.value.code == "signature.not_canonical"


def test_a_key_that_does_not_fit_the_algorithm(signers: dict[str, Issued], vaccination: dict[str, Any]) -> None:
    p384 = signers["ES384"]
    assert isinstance(p384.key, ec.EllipticCurvePrivateKey)
    seal = sign_seal(vaccination, p384.key, p384.der)
    with pytest.raises(SealSignatureError) as raised:
        verify(seal, parse_certificate(signers["ES256"].der))
    assert raised.value.code == "signature.key_mismatch"


def test_high_s_signatures_verify(signer: Issued, vaccination: dict[str, Any]) -> None:
    # ECDSA (r, n - s) is as valid as (r, s); VDS-NC does not require low s, so both verify.
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    seal = sign_seal(vaccination, signer.key, signer.der)
    raw = base64.urlsafe_b64decode(seal.sig["sigvl"] + "==")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    flipped = raw[:32] + (order - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    verify(type(seal)(data=seal.data, sig={**seal.sig, "sigvl": _b64url(flipped)}), parse_certificate(signer.der))
