"""certificate.json and its proof's shape, checked before any key is looked up."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from vaxcert.divoc import CredentialError
from vaxcert.divoc.credential import decode, from_document

from .support import CREATED, ED_DID


def _header(header: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()


GOOD_HEADER = _header({"alg": "EdDSA", "b64": False, "crit": ["b64"]})
SIGNATURE = base64.urlsafe_b64encode(b"\1" * 64).rstrip(b"=").decode()


def _credential(**proof: Any) -> dict[str, Any]:
    base = {
        "type": "Ed25519Signature2018",
        "created": CREATED,
        "verificationMethod": ED_DID,
        "proofPurpose": "assertionMethod",
        "jws": f"{GOOD_HEADER}..{SIGNATURE}",
    }
    base.update(proof)
    return {"@context": [], "proof": {key: value for key, value in base.items() if value is not None}}


def test_a_well_formed_proof() -> None:
    parsed = from_document(_credential(verificationMethod=ED_DID + "#key-1"))
    assert parsed.proof.algorithm == "EdDSA" and parsed.proof.signature == b"\1" * 64
    assert parsed.proof.did == ED_DID and parsed.proof.protected == GOOD_HEADER


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "credential.not_json"),
        (b"\xff\xfe{}", "credential.not_json"),
        (b"[]", "credential.not_object"),
        (b"{" * 100 + b"}" * 100, "credential.too_deep"),
        (b'{"a": ' + b"9" * 500 + b"}", "credential.too_large"),
        (b'{"a": NaN}', "credential.not_json"),
    ],
)
def test_json_errors(raw: bytes, code: str) -> None:
    with pytest.raises(CredentialError) as raised:
        decode(raw)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ({"@context": []}, "credential.no_proof"),
        ({"proof": "x"}, "credential.bad_proof"),
        ({"proof": [{}, {}]}, "credential.several_proofs"),
        (_credential(type="EcdsaSecp256k1Signature2019"), "credential.unsupported_proof_type"),
        (_credential(type=None), "credential.unsupported_proof_type"),
        (_credential(type=["Ed25519Signature2018"]), "credential.unsupported_proof_type"),
        (_credential(verificationMethod=None), "credential.no_verification_method"),
        (_credential(verificationMethod={"id": ED_DID}), "credential.no_verification_method"),
        (_credential(verificationMethod="  "), "credential.no_verification_method"),
        (_credential(proofPurpose="authentication"), "credential.bad_purpose"),
        (_credential(jws=None), "credential.no_jws"),
        (_credential(jws=""), "credential.no_jws"),
        (_credential(jws=f"{GOOD_HEADER}.{SIGNATURE}"), "credential.bad_jws"),
        (_credential(jws=f"{GOOD_HEADER}.e30.{SIGNATURE}"), "credential.bad_jws"),
        (_credential(jws=f"{GOOD_HEADER}..not base64!"), "credential.bad_jws"),
        (_credential(jws=f"{GOOD_HEADER}.."), "credential.bad_jws"),
        (_credential(jws="x" * 5000), "credential.bad_jws"),
        (_credential(jws=f"%%%..{SIGNATURE}"), "credential.bad_jws_header"),
        (_credential(jws=f"{_header([1])}..{SIGNATURE}"), "credential.bad_jws_header"),
        (_credential(jws=f"{_header({'b64': False, 'crit': ['b64']})}..{SIGNATURE}"), "credential.bad_jws_header"),
        (
            _credential(jws=f"{_header({'alg': 'none', 'b64': False, 'crit': ['b64']})}..{SIGNATURE}"),
            "credential.alg_none",
        ),
        (
            _credential(jws=f"{_header({'alg': 'NONE', 'b64': False, 'crit': ['b64']})}..{SIGNATURE}"),
            "credential.alg_none",
        ),
        (_credential(jws=f"{_header({'alg': 'EdDSA'})}..{SIGNATURE}"), "credential.bad_jws_header"),
        (_credential(jws=f"{_header({'alg': 'EdDSA', 'b64': False})}..{SIGNATURE}"), "credential.bad_jws_header"),
        (
            _credential(jws=f"{_header({'alg': 'EdDSA', 'b64': False, 'crit': ['b64', 'zip']})}..{SIGNATURE}"),
            "credential.bad_jws_header",
        ),
        (
            _credential(jws=f"{_header({'alg': 'PS256', 'b64': False, 'crit': ['b64']})}..{SIGNATURE}"),
            "credential.alg_mismatch",
        ),
        (_credential(type="RsaSignature2018"), "credential.alg_mismatch"),
        (
            _credential(jws=f"{_header({'alg': 'ES256', 'b64': False, 'crit': ['b64']})}..{SIGNATURE}"),
            "credential.alg_mismatch",
        ),
    ],
)
def test_proof_shape_errors(document: dict[str, Any], code: str) -> None:
    with pytest.raises(CredentialError) as raised:
        from_document(document)
    assert raised.value.code == code
