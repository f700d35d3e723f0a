"""``certificate.json``: a W3C Verifiable Credential with a Linked Data proof (detached JWS).

This stage reads the JSON (bounded) and checks the proof's shape before any key is
looked up: a supported suite, a ``verificationMethod``, a detached JWS whose protected
header says ``b64: false`` (RFC 7797, so ``crit`` names ``b64``) with the algorithm
the suite prescribes.  Whether the signature verifies is :mod:`.signature`'s question.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._json import JsonFormatError, JsonLimits, loads_bounded
from .envelope import MAX_CERTIFICATE_BYTES
from .errors import CredentialError

# A credential in one QR code: shallow (about 6 levels) and small.
CREDENTIAL_JSON = JsonLimits(max_bytes=MAX_CERTIFICATE_BYTES, max_depth=24, max_items=512, max_total_items=8192)
_HEADER_JSON = JsonLimits(max_bytes=1024, max_depth=4, max_items=16, max_total_items=64)

# Linked Data signature suite -> the JWS algorithm it signs with.
SUITES: Mapping[str, str] = {"RsaSignature2018": "PS256", "Ed25519Signature2018": "EdDSA"}
SUPPORTED_PURPOSES = frozenset({"assertionMethod"})
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_JWS_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Proof:
    """The proof's members a verifier uses; ``document`` keeps the whole proof object for canonicalisation."""

    type: str
    verification_method: str
    algorithm: str
    protected: str  # the JWS protected header exactly as written (base64url), part of the signing input
    signature: bytes
    document: Mapping[str, Any]

    @property
    def did(self) -> str:
        """The DID the verification method belongs to (``did:india#key-1`` -> ``did:india``)."""
        return self.verification_method.split("#", 1)[0]


@dataclass(frozen=True, slots=True)
class Credential:
    document: Mapping[str, Any]
    proof: Proof

    @property
    def issuer(self) -> str | None:
        issuer = self.document.get("issuer")
        if isinstance(issuer, Mapping):
            issuer = issuer.get("id")
        return issuer if isinstance(issuer, str) else None


def parse_json(raw: bytes) -> dict[str, Any]:
    """``certificate.json`` as a JSON object; raises :class:`CredentialError` (``credential.not_json``...)."""
    try:
        document = loads_bounded(raw, CREDENTIAL_JSON)
    except JsonFormatError as exc:
        raise CredentialError(f"credential.{exc.reason}", f"certificate.json: {exc}") from None
    if not isinstance(document, dict):
        raise CredentialError("credential.not_object", "certificate.json is not a JSON object")
    return document


def decode(raw: bytes) -> Credential:
    """Parse ``certificate.json`` and its proof; raises :class:`CredentialError`."""
    return from_document(parse_json(raw))


def from_document(document: dict[str, Any]) -> Credential:
    proof = document.get("proof")
    if proof is None:
        raise CredentialError("credential.no_proof", "the credential has no proof")
    if isinstance(proof, list):
        # A proof set: every DIVOC issuer signs once; several proofs are not a DIVOC credential.
        raise CredentialError("credential.several_proofs", "the credential carries a proof set, not one proof")
    if not isinstance(proof, dict):
        raise CredentialError("credential.bad_proof", "the credential's proof is not an object")
    suite = proof.get("type")
    if not isinstance(suite, str) or suite not in SUITES:
        raise CredentialError(
            "credential.unsupported_proof_type",
            f"proof type {str(suite)[:60]!r} is not supported (RsaSignature2018, Ed25519Signature2018)",
        )
    method = proof.get("verificationMethod", proof.get("creator"))
    if not isinstance(method, str) or not method.strip():
        raise CredentialError("credential.no_verification_method", "the proof names no verificationMethod")
    purpose = proof.get("proofPurpose")
    if purpose is not None and purpose not in SUPPORTED_PURPOSES:
        raise CredentialError("credential.bad_purpose", f"proof purpose {str(purpose)[:40]!r} is not assertionMethod")
    jws = proof.get("jws")
    if not isinstance(jws, str) or not jws:
        raise CredentialError("credential.no_jws", "the proof has no jws")
    protected, algorithm, signature = _detached_jws(jws)
    if algorithm != SUITES[suite]:
        raise CredentialError(
            "credential.alg_mismatch", f"{suite} signs with {SUITES[suite]}, but the JWS header says {algorithm[:20]!r}"
        )
    return Credential(
        document=document,
        proof=Proof(
            type=suite,
            verification_method=method,
            algorithm=algorithm,
            protected=protected,
            signature=signature,
            document=proof,
        ),
    )


def _detached_jws(jws: str) -> tuple[str, str, bytes]:
    if len(jws) > MAX_JWS_CHARS:
        raise CredentialError("credential.bad_jws", "the proof's jws is too long")
    parts = jws.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise CredentialError("credential.bad_jws", "the proof's jws is not a detached JWS (header..signature)")
    protected, _, encoded_signature = parts
    header = _header(protected)
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise CredentialError("credential.bad_jws_header", "the JWS header has no alg")
    if algorithm.lower() == "none":
        raise CredentialError("credential.alg_none", "the JWS header says alg none")
    # RFC 7797: b64 false detaches the unencoded payload, and a verifier must find it in crit.
    crit = header.get("crit")
    if header.get("b64") is not False or not isinstance(crit, list) or "b64" not in crit:
        raise CredentialError("credential.bad_jws_header", "the JWS header lacks b64: false with crit [b64]")
    if any(name != "b64" for name in crit):
        raise CredentialError("credential.bad_jws_header", "the JWS header names critical parameters not understood")
    signature = _b64url(encoded_signature, "credential.bad_jws")
    if not signature:
        raise CredentialError("credential.bad_jws", "the JWS signature is empty")
    return protected, algorithm, signature


def _header(protected: str) -> dict[str, Any]:
    try:
        header = loads_bounded(_b64url(protected, "credential.bad_jws_header"), _HEADER_JSON)
    except JsonFormatError as exc:
        raise CredentialError("credential.bad_jws_header", f"the JWS header is not JSON ({exc.reason})") from None
    if not isinstance(header, dict):
        raise CredentialError("credential.bad_jws_header", "the JWS header is not a JSON object")
    return header


def _b64url(text: str, code: str) -> bytes:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise CredentialError(code, "not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CredentialError(code, "not base64url text") from None
