"""The seal's signature: ECDSA, raw r‖s (``sig.sigvl``), over the RFC 8785 form of ``data``.

:func:`sign` and :func:`verify` are the pair; :func:`sign_seal` makes a whole seal
(issuing and tests).  Because the signature covers the canonical form, a seal
re-serialised with other spacing, key order or ``\\u`` escapes still verifies, and
any changed value does not.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .._base64url import decode_canonical
from ..registry import load_spki
from .certificate import ParsedCertificate
from .errors import SealSignatureError
from .jcs import CanonicalizationError, canonicalize
from .seal import Seal


@dataclass(frozen=True, slots=True)
class Algorithm:
    name: str
    curve: ec.EllipticCurve
    hash: type[hashes.HashAlgorithm]
    size: int  # bytes of r, and of s

    @property
    def signature_size(self) -> int:
        return 2 * self.size

    @property
    def ecdsa(self) -> ec.ECDSA:
        return _ECDSA[self.name]


ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm("ES256", ec.SECP256R1(), hashes.SHA256, 32),
        Algorithm("ES384", ec.SECP384R1(), hashes.SHA384, 48),
        Algorithm("ES512", ec.SECP521R1(), hashes.SHA512, 66),
    )
}
_BY_CURVE = {algorithm.curve.name: algorithm for algorithm in ALGORITHMS.values()}
# ECDSA parameter objects hold no state: one per algorithm serves every verification.
_ECDSA = {algorithm.name: ec.ECDSA(algorithm.hash()) for algorithm in ALGORITHMS.values()}


@dataclass(frozen=True, slots=True)
class SealSignature:
    """``sig.alg`` and the decoded ``sig.sigvl``, checked for form (not yet for validity)."""

    algorithm: Algorithm
    value: bytes


def read(sig: dict[str, Any]) -> SealSignature:
    """Check ``sig.alg`` and ``sig.sigvl`` for form: raises :class:`SealSignatureError` (invalid signing format)."""
    name = sig.get("alg")
    # Real seals have been issued with "ES 256": the name is outside the signed data, and the
    # signer's key fixes the curve anyway, so spacing inside the name is not a second algorithm.
    algorithm = ALGORITHMS.get(name.replace(" ", "")) if isinstance(name, str) else None
    if algorithm is None:
        shown = name[:16] if isinstance(name, str) else type(name).__name__
        raise SealSignatureError("signature.unsupported_alg", f"sig.alg {shown!r} is not ES256, ES384 or ES512")
    value = _b64url(sig.get("sigvl"))
    if len(value) != algorithm.signature_size:
        raise SealSignatureError(
            "signature.bad_length",
            f"sig.sigvl holds {len(value)} bytes; {algorithm.name} needs raw r‖s of {algorithm.signature_size}",
        )
    return SealSignature(algorithm, value)


def verify(seal: Seal, signer: ParsedCertificate) -> None:
    """Raise :class:`SealSignatureError` unless ``signer``'s key signed the canonical ``data``."""
    signature = read(seal.sig)
    algorithm = signature.algorithm
    key = signer.public_key
    if _curve_name(signer.spki) != algorithm.curve.name or not isinstance(key, ec.EllipticCurvePublicKey):
        raise SealSignatureError(
            "signature.key_mismatch", f"the signer certificate's key does not fit sig.alg {algorithm.name}"
        )
    try:
        signed = canonicalize(seal.data)
    except CanonicalizationError as exc:
        raise SealSignatureError("signature.not_canonical", f"the seal's data {exc}") from None
    r = int.from_bytes(signature.value[: algorithm.size], "big")
    s = int.from_bytes(signature.value[algorithm.size :], "big")
    try:
        key.verify(encode_dss_signature(r, s), signed, algorithm.ecdsa)
    except InvalidSignature:
        raise SealSignatureError("signature.mismatch", "the signature does not match the seal's data") from None


@functools.lru_cache(maxsize=1024)
def _curve_name(spki: bytes) -> str | None:
    """The curve of an EC key (None for other keys), read once per key as its parsing is."""
    key = load_spki(spki)
    return key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None


def sign(data: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    """(``alg``, ``sigvl``) for ``data`` signed with ``key`` (P-256, P-384 or P-521)."""
    algorithm = _BY_CURVE.get(key.curve.name)
    if algorithm is None:
        raise SealSignatureError("signature.unsupported_alg", f"no VDS-NC algorithm for curve {key.curve.name}")
    try:
        signed = canonicalize(data)
    except CanonicalizationError as exc:
        raise SealSignatureError("signature.not_canonical", f"the seal's data {exc}") from None
    r, s = decode_dss_signature(key.sign(signed, algorithm.ecdsa))
    raw = r.to_bytes(algorithm.size, "big") + s.to_bytes(algorithm.size, "big")
    return algorithm.name, _b64url_text(raw)


def sign_seal(data: dict[str, Any], key: ec.EllipticCurvePrivateKey, certificate_der: bytes) -> Seal:
    """A complete seal: ``data`` signed with ``key``, whose certificate (DER) travels in ``sig.cer``."""
    alg, sigvl = sign(data, key)
    return Seal(data=data, sig={"alg": alg, "cer": _b64url_text(certificate_der), "sigvl": sigvl})


def _b64url(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise SealSignatureError("signature.missing", "the seal's sig.sigvl is missing or not text")
    if len(value) > 1024:
        raise SealSignatureError("signature.bad_length", "the seal's sig.sigvl is far too long for a signature")
    # Padded or not, but only the one text that writes these bytes.
    text = value.rstrip("=")
    raw = decode_canonical(text.encode("ascii")) if text.isascii() else None
    if raw is None:
        raise SealSignatureError("signature.bad_base64", "the seal's sig.sigvl is not base64url")
    return raw


def _b64url_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
