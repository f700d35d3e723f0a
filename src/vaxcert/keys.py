"""Key providers: where the DSC's private key lives and how it signs.

A :class:`Signer` turns the COSE ``Sig_structure`` bytes into a raw COSE
signature (64-byte r||s for ES256, the PSS block for PS256).  The issuer
never needs more than that, so a PEM file today and an HSM over PKCS#11
tomorrow plug in behind the same three members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .cose import CoseAlgorithm, expected_algorithm
from .errors import KeyProviderError, VaxcertError
from .trust import DocumentSignerCertificate

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # immutable; built once rather than on every signature


@runtime_checkable
class Signer(Protocol):
    """A DSC private key that can sign, wherever it is kept."""

    @property
    def algorithm(self) -> CoseAlgorithm:
        """ES256 for a P-256 key, PS256 for an RSA key."""

    @property
    def certificate(self) -> DocumentSignerCertificate:
        """The DSC whose public key verifies this signer's signatures."""

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (hashing it with SHA-256) and return the raw COSE signature."""


class CertifiedSigner:
    """Shared by signers: the DSC and the one algorithm its key type allows."""

    _algorithm: CoseAlgorithm
    _certificate: DocumentSignerCertificate

    @property
    def algorithm(self) -> CoseAlgorithm:
        return self._algorithm

    @property
    def certificate(self) -> DocumentSignerCertificate:
        return self._certificate


class PemSigner(CertifiedSigner):
    """A signer whose private key is held in process memory (loaded from a PEM file).

    Fine for development and tests; production keys belong in an HSM.
    """

    def __init__(self, private_key: PrivateKey, certificate: DocumentSignerCertificate) -> None:
        if not isinstance(private_key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise KeyProviderError("keys.unsupported", f"unsupported key type {type(private_key).__name__}")
        if private_key.public_key().public_numbers() != certificate.public_key.public_numbers():
            raise KeyProviderError("keys.mismatch", "the private key does not belong to the DSC certificate")
        try:
            self._algorithm = expected_algorithm(certificate.public_key)
        except VaxcertError as exc:
            raise KeyProviderError("keys.unsupported", exc.message) from None
        self._key = private_key
        self._certificate = certificate

    @classmethod
    def from_files(cls, key_path: str | Path, certificate_path: str | Path, password: bytes | None = None) -> PemSigner:
        try:
            data = Path(key_path).read_bytes()
        except OSError as exc:
            raise KeyProviderError("keys.unreadable", f"cannot read key {key_path}: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise KeyProviderError("keys.bad_key", f"{key_path} is not a usable PEM private key ({exc})") from None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise KeyProviderError("keys.unsupported", f"unsupported key type {type(key).__name__}")
        return cls(key, DocumentSignerCertificate.load(certificate_path))

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self._key.sign(data, _ECDSA_SHA256))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
