"""ES256 over the JWS signing input (``header.payload``), with the signature as raw r||s (RFC 7518 §3.4)."""

from __future__ import annotations

import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ..errors import TrustError
from ..registry import TrustedKey, load_spki
from .errors import ShcSignatureError

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def raw_from_der(der: bytes) -> bytes:
    """A DER ECDSA-Sig-Value as the 64-byte r||s a JWS carries."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(signing_input: bytes, signature: bytes, key: TrustedKey) -> None:
    """Raise :class:`ShcSignatureError` unless ``signature`` (raw r||s) verifies with ``key``."""
    try:
        public = _p256_key(key.spki)
    except TrustError:
        raise ShcSignatureError("signature.bad_key", "the trusted key is not a usable public key") from None
    if public is None or len(signature) != 64:
        raise ShcSignatureError("signature.wrong_key_type", "the trusted key is not a P-256 key, as ES256 needs")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, signing_input, _ECDSA_SHA256)
    except InvalidSignature:
        raise ShcSignatureError("signature.mismatch", "the signature does not match the card") from None


@functools.lru_cache(maxsize=1024)
def _p256_key(spki: bytes) -> ec.EllipticCurvePublicKey | None:
    """The key of ``spki`` when it is a P-256 key, else None; judged once per key, as its parsing is."""
    public = load_spki(spki)
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        return public
    return None
