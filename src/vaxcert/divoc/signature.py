"""Sign and verify a DIVOC credential's Linked Data proof (RsaSignature2018 / Ed25519Signature2018).

The detached JWS (RFC 7797, ``b64: false``) signs ``ASCII(protected header) '.'
SHA-256(canonical proof options) ‖ SHA-256(canonical credential)``.  ``RsaSignature2018``
signs with PS256 (RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt),
``Ed25519Signature2018`` with EdDSA over Ed25519.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from ..registry import RegistryPublicKey
from .canonical import SECURITY_V2, Canonical, canonicalize, proof_options, unsigned_document
from .credential import SUITES, Credential
from .errors import CanonicalError, DivocSignatureError

MIN_RSA_BITS = 2048
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
SigningKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(
    credential: Mapping[str, Any],
    key: SigningKey,
    verification_method: str,
    *,
    created: str,
    purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """``credential`` (without a proof) with a new proof by ``key``; the suite follows the key type."""
    suite = "RsaSignature2018" if isinstance(key, rsa.RSAPrivateKey) else "Ed25519Signature2018"
    proof: dict[str, Any] = {
        "type": suite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    header = {"alg": SUITES[suite], "b64": False, "crit": ["b64"]}
    protected = _b64url(json.dumps(header, separators=(",", ":")).encode("ascii"))
    document = unsigned_document(credential)
    message = protected.encode("ascii") + b"." + canonicalize(proof_options(proof)).digest
    message += canonicalize(document).digest
    signature = key.sign(message, _PSS, hashes.SHA256()) if isinstance(key, rsa.RSAPrivateKey) else key.sign(message)
    return {**document, "proof": {**proof, "jws": f"{protected}..{_b64url(signature)}"}}


def verify(credential: Credential, key: RegistryPublicKey) -> Canonical:
    """Check the proof with ``key``; returns the credential's canonical form (what the signature covers).

    Raises :class:`DivocSignatureError` (``signature.mismatch``, ``signature.key_type_mismatch``,
    ``signature.weak_key``) or :class:`~.errors.CanonicalError`.
    """
    proof = credential.proof
    if proof.type == "RsaSignature2018" and not isinstance(key, rsa.RSAPublicKey):
        raise DivocSignatureError("signature.key_type_mismatch", "RsaSignature2018 needs an RSA key; the DID's is not")
    if proof.type == "Ed25519Signature2018" and not isinstance(key, ed25519.Ed25519PublicKey):
        raise DivocSignatureError(
            "signature.key_type_mismatch", "Ed25519Signature2018 needs an Ed25519 key; the DID's is not"
        )
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise DivocSignatureError("signature.weak_key", f"the DID's RSA key has {key.key_size} bits")
    document = canonicalize(unsigned_document(credential.document))
    prefix = proof.protected.encode("ascii") + b"."
    # The 2018 suites put the proof options under security v2; later jsonld-signatures
    # releases use the credential's own context.  Both are the same signed proof read two
    # ways, so trying the second only costs time on a failure.
    contexts: list[Any] = [SECURITY_V2]
    own = credential.document.get("@context")
    if own is not None and own != SECURITY_V2:
        contexts.append(own)
    for attempt, context in enumerate(contexts):
        try:
            options = canonicalize(proof_options(proof.document, context))
        except CanonicalError:
            if attempt == 0:
                raise
            break
        if _valid(key, proof.signature, prefix + options.digest + document.digest):
            return document
    raise DivocSignatureError("signature.mismatch", "the signature does not verify: the credential was altered")


def _valid(key: RegistryPublicKey, signature: bytes, message: bytes) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, _PSS, hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:  # pragma: no cover - verify() refused other key types already
            return False
    except InvalidSignature:
        return False
    return True
