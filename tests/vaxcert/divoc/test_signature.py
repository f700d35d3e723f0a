"""sign/verify of the Linked Data proof: round trips for both suites, and what must not verify."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.divoc import DivocSignatureError, sign_divoc
from vaxcert.divoc.credential import from_document
from vaxcert.divoc.signature import verify

from .support import CREATED, ED_DID, OTHER_LABEL, RSA_DID, ed25519_key, rsa_key, template

FUZZ = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
_RSA = rsa_key()
_ED = ed25519_key()


@given(
    name=st.text(min_size=1, max_size=30).filter(str.strip),
    dose=st.integers(1, 9),
    day=st.dates(),
    suite=st.sampled_from(["rsa", "ed25519"]),
)
@settings(max_examples=min(FUZZ, 40), deadline=None)
def test_sign_then_verify_round_trip(name: str, dose: int, day: Any, suite: str) -> None:
    credential = template()
    credential["credentialSubject"]["name"] = name
    credential["evidence"][0]["dose"] = dose
    credential["evidence"][0]["date"] = day.isoformat()
    key, did = (_RSA, RSA_DID) if suite == "rsa" else (_ED, ED_DID)
    signed = sign_divoc(credential, key, did, created=CREATED)
    canonical = verify(from_document(signed), key.public_key())
    assert name in canonical.literals and day.isoformat() in canonical.literals


def test_suite_follows_the_key() -> None:
    assert sign_divoc(template(), _RSA, RSA_DID, created=CREATED)["proof"]["type"] == "RsaSignature2018"
    assert sign_divoc(template(), _ED, ED_DID, created=CREATED)["proof"]["type"] == "Ed25519Signature2018"


def test_signing_replaces_an_existing_proof() -> None:
    once = sign_divoc(template(), _ED, ED_DID, created=CREATED)
    twice = sign_divoc(once, _ED, ED_DID, created="2024-05-03T00:00:00Z")
    verify(from_document(twice), _ED.public_key())
    assert twice["proof"]["created"] == "2024-05-03T00:00:00Z"


@pytest.mark.parametrize(
    ("key", "public", "code"),
    [
        ("ed", lambda: ed25519_key(OTHER_LABEL).public_key(), "signature.mismatch"),
        ("ed", lambda: _RSA.public_key(), "signature.key_type_mismatch"),
        ("rsa", lambda: _ED.public_key(), "signature.key_type_mismatch"),
        ("rsa", lambda: ec.generate_private_key(ec.SECP256R1()).public_key(), "signature.key_type_mismatch"),
        (
            "rsa",
            lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
            "signature.mismatch",
        ),
    ],
)
def test_wrong_keys(key: str, public: Any, code: str) -> None:
    signer = _ED if key == "ed" else _RSA
    signed = sign_divoc(template(), signer, ED_DID, created=CREATED)
    with pytest.raises(DivocSignatureError) as raised:
        verify(from_document(signed), public())
    assert raised.value.code == code


def test_a_pkcs1_v15_signature_is_not_ps256() -> None:
    """RsaSignature2018 here is PS256: an RS256 signature over the same input does not pass."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from vaxcert.divoc.canonical import signing_digests

    signed = sign_divoc(template(), _RSA, RSA_DID, created=CREATED)
    proof = signed["proof"]
    protected = proof["jws"].split(".")[0]
    message = protected.encode() + b"." + signing_digests(signed, proof)
    rs256 = _RSA.sign(message, padding.PKCS1v15(), hashes.SHA256())
    proof["jws"] = protected + ".." + base64.urlsafe_b64encode(rs256).rstrip(b"=").decode()
    with pytest.raises(DivocSignatureError):
        verify(from_document(signed), _RSA.public_key())


def test_the_newer_proof_context_also_verifies() -> None:
    """jsonld-signatures after 2019 put the proof options under the credential's own context."""
    import base64
    import json

    from vaxcert.divoc.canonical import canonicalize, proof_options, unsigned_document

    credential = template()
    proof = {
        "type": "Ed25519Signature2018",
        "created": CREATED,
        "verificationMethod": ED_DID,
        "proofPurpose": "assertionMethod",
    }
    protected = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "b64": False, "crit": ["b64"]}).encode()).rstrip(
        b"="
    )
    message = protected + b"." + canonicalize(proof_options(proof, credential["@context"])).digest
    message += canonicalize(unsigned_document(credential)).digest
    signature = base64.urlsafe_b64encode(_ED.sign(message)).rstrip(b"=").decode()
    signed = {**credential, "proof": {**proof, "jws": f"{protected.decode()}..{signature}"}}
    verify(from_document(signed), _ED.public_key())


def test_ed25519_key_type_is_checked_before_any_canonical_work() -> None:
    signed = sign_divoc(template(), _ED, ED_DID, created=CREATED)
    signed["@context"] = ["https://example.org/unknown"]  # would fail canonicalisation if it were reached
    with pytest.raises(DivocSignatureError) as raised:
        verify(from_document(signed), _RSA.public_key())
    assert raised.value.code == "signature.key_type_mismatch"
