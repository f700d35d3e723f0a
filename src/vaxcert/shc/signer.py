"""Who signs a SMART Health Card: any ES256 key behind a small :class:`JwsSigner` protocol.

A JWS ES256 signature is the same raw r||s a COSE ES256 signature is, so the DSC
signers vaxcert already has (:class:`vaxcert.keys.PemSigner`, the PKCS#11
:class:`vaxcert.hsm.Pkcs11Signer`) sign health cards through :class:`CoseSignerAdapter`
without the private key leaving where it lives.  The kid is the key's RFC 7638 JWK
thumbprint, as the SMART Health Cards specification requires.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..cose import CoseAlgorithm
from ..errors import KeyProviderError
from ..keys import Signer
from .jws import b64url_encode
from .signature import raw_from_der


@runtime_checkable
class JwsSigner(Protocol):
    """An ES256 key that signs JWS signing inputs."""

    @property
    def kid(self) -> str:
        """The base64url SHA-256 JWK thumbprint of the public key."""

    def sign(self, data: bytes) -> bytes:
        """ES256 over ``data``: the 64-byte raw r||s."""

    def public_jwk(self) -> dict[str, Any]:
        """The public key as the JWK an issuer publishes in ``/.well-known/jwks.json``."""


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The published JWK of a P-256 key (``use: sig``, ``alg: ES256``, ``kid`` = thumbprint)."""
    if public_key.curve.name != "secp256r1":
        raise KeyProviderError("keys.unsupported", "SMART Health Cards are signed with P-256 (ES256) keys only")
    numbers = public_key.public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }
    return {"kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": thumbprint(members), **members}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC JWK: its required members, sorted, without whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode("ascii")
    return b64url_encode(hashlib.sha256(canonical).digest())


class PemJwsSigner:
    """An ES256 signer whose P-256 private key is in process memory (a PEM file)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise KeyProviderError("keys.unsupported", "SMART Health Cards need a P-256 private key")
        self._jwk = public_jwk(private_key.public_key())
        self._key = private_key

    @classmethod
    def from_file(cls, path: str | Path, password: bytes | None = None) -> PemJwsSigner:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeyProviderError("keys.unreadable", f"cannot read key {path}: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError):
            raise KeyProviderError("keys.bad_key", f"{path} is not a usable PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyProviderError("keys.unsupported", "SMART Health Cards need a P-256 private key")
        return cls(key)

    @property
    def kid(self) -> str:
        return str(self._jwk["kid"])

    def sign(self, data: bytes) -> bytes:
        return raw_from_der(self._key.sign(data, ec.ECDSA(hashes.SHA256())))

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._jwk)


class CoseSignerAdapter:
    """A DSC signer (PEM or PKCS#11) used as a :class:`JwsSigner`; ES256 (P-256) keys only."""

    def __init__(self, signer: Signer) -> None:
        public = signer.certificate.public_key
        if signer.algorithm != CoseAlgorithm.ES256 or not isinstance(public, ec.EllipticCurvePublicKey):
            raise KeyProviderError("keys.unsupported", "SMART Health Cards need an ES256 (P-256) signing key")
        self._signer = signer
        self._jwk = public_jwk(public)

    @property
    def kid(self) -> str:
        return str(self._jwk["kid"])

    def sign(self, data: bytes) -> bytes:
        return self._signer.sign(data)

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._jwk)


def jwks_for(signers: Iterable[JwsSigner]) -> dict[str, Any]:
    """The ``/.well-known/jwks.json`` document for ``signers`` (one entry per kid, in order)."""
    keys: dict[str, dict[str, Any]] = {}
    for signer in signers:
        keys.setdefault(signer.kid, signer.public_jwk())
    return {"keys": list(keys.values())}
