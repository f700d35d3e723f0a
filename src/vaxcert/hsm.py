"""PKCS#11 key provider: DSC keys that never leave the HSM.

The issuer hashes the COSE ``Sig_structure`` itself and asks the token for a
bare ``CKM_ECDSA`` signature over the digest, which PKCS#11 returns as the raw
r||s pair COSE wants; many HSMs (SoftHSM among them) offer no combined
ECDSA-with-SHA-256 mechanism.  RSA keys sign with ``CKM_SHA256_RSA_PKCS_PSS``
(MGF1-SHA-256, 32-byte salt), i.e. PS256.

Tokens are chosen by label, never by slot number (slot ids change when a
token is re-initialised).  The PIN comes from the caller (usually read with
:func:`read_pin` from an environment variable or a file) and is never logged,
stored or shown in a ``repr``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .cose import CoseAlgorithm, PublicKey, expected_algorithm
from .errors import KeyProviderError, VaxcertError
from .keys import CertifiedSigner
from .trust import DocumentSignerCertificate

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN_ENV = "VAXCERT_HSM_PIN"
PIN_FILE_ENV = "VAXCERT_HSM_PIN_FILE"

_LIBRARIES: dict[str, Any] = {}
_LIBRARIES_LOCK = threading.Lock()

# PKCS#11 login state belongs to the whole process, not to one session: while
# any session is logged in, another C_Login fails with UserAlreadyLoggedIn.
# We remember which PIN logged each token in (as a digest) so a second session
# with a different PIN is still refused instead of riding on the first login.
_LOGINS: dict[tuple[str, str], tuple[bytes, int]] = {}


def read_pin(env_var: str = PIN_ENV, file_env_var: str = PIN_FILE_ENV) -> str:
    """The user PIN from ``$VAXCERT_HSM_PIN``, else from the file ``$VAXCERT_HSM_PIN_FILE``."""
    pin = os.environ.get(env_var)
    if pin:
        return pin
    path = os.environ.get(file_env_var)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KeyProviderError(
                "keys.pin_unreadable", f"cannot read the PIN file named by {file_env_var}: {exc.strerror}"
            ) from None
    raise KeyProviderError("keys.no_pin", f"no HSM PIN: set {env_var} or {file_env_var}")


@dataclass(frozen=True)
class HsmConfig:
    """Where the key lives: PKCS#11 module, token label and the user PIN."""

    token_label: str
    pin: str = field(repr=False)
    module: str = DEFAULT_MODULE

    @classmethod
    def from_env(cls, token_label: str | None = None, module: str | None = None) -> HsmConfig:
        label = token_label or os.environ.get("VAXCERT_HSM_TOKEN")
        if not label:
            raise KeyProviderError("keys.no_token", "no HSM token label: pass one or set VAXCERT_HSM_TOKEN")
        return cls(label, read_pin(), module or os.environ.get("VAXCERT_HSM_MODULE", DEFAULT_MODULE))


def _library(module: str) -> Any:
    # A PKCS#11 module may be initialised once per process; share it.
    with _LIBRARIES_LOCK:
        if module not in _LIBRARIES:
            import pkcs11

            if not Path(module).exists():
                raise KeyProviderError("keys.pkcs11_module", f"PKCS#11 module {module} does not exist")
            try:
                _LIBRARIES[module] = pkcs11.lib(module)
            except (RuntimeError, OSError) as exc:
                raise KeyProviderError("keys.pkcs11_module", f"cannot load PKCS#11 module {module}: {exc}") from None
        return _LIBRARIES[module]


class HsmSession:
    """A logged-in session on one token; use as a context manager."""

    def __init__(self, config: HsmConfig, *, read_write: bool = False) -> None:
        import pkcs11
        from pkcs11 import exceptions as p11

        self._pkcs11 = pkcs11
        library = _library(config.module)
        try:
            token = library.get_token(token_label=config.token_label)
        except p11.NoSuchToken:
            raise KeyProviderError("keys.token_not_found", f"no HSM token labelled {config.token_label!r}") from None
        except p11.MultipleTokensReturned:
            raise KeyProviderError(
                "keys.token_ambiguous", f"several tokens are labelled {config.token_label!r}"
            ) from None
        self._login_key = (config.module, config.token_label)
        pin_digest = hashlib.sha256(config.pin.encode()).digest()
        try:
            with _LIBRARIES_LOCK:
                known = _LOGINS.get(self._login_key)
                if known is None:
                    self._session = token.open(rw=read_write, user_pin=config.pin)
                elif hmac.compare_digest(known[0], pin_digest):
                    self._session = token.open(rw=read_write)
                else:
                    raise p11.PinIncorrect()
                _LOGINS[self._login_key] = (pin_digest, (known[1] if known else 0) + 1)
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
            raise KeyProviderError("keys.wrong_pin", f"the PIN for token {config.token_label!r} was refused") from None
        except p11.PinLocked:
            raise KeyProviderError("keys.pin_locked", f"the PIN of token {config.token_label!r} is locked") from None
        except p11.PKCS11Error as exc:
            raise KeyProviderError(
                "keys.hsm_unavailable", f"cannot open token {config.token_label!r}: {type(exc).__name__}"
            ) from None
        self.token_label = config.token_label
        self._closed = False

    def __enter__(self) -> HsmSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _LIBRARIES_LOCK:
            digest, count = _LOGINS.get(self._login_key, (b"", 1))
            if count <= 1:
                _LOGINS.pop(self._login_key, None)
            else:
                _LOGINS[self._login_key] = (digest, count - 1)
        # Closing a dead session must not mask the error that killed it.
        with contextlib.suppress(self._pkcs11.PKCS11Error):
            self._session.close()

    def _key(self, label: str, object_class: Any) -> Any:
        from pkcs11 import exceptions as p11

        try:
            return self._session.get_key(object_class=object_class, label=label)
        except p11.NoSuchKey:
            kind = "private" if object_class == self._pkcs11.ObjectClass.PRIVATE_KEY else "public"
            raise KeyProviderError(
                "keys.key_not_found", f"no {kind} key labelled {label!r} on token {self.token_label!r}"
            ) from None
        except p11.MultipleObjectsReturned:
            raise KeyProviderError("keys.key_ambiguous", f"several keys are labelled {label!r}") from None

    def generate_key(self, label: str, algorithm: str = "ES256", key_id: bytes | None = None) -> PublicKey:
        """Create a non-extractable signing key pair inside the token; return its public key."""
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_named_curve_parameters

        existing = list(
            self._session.get_objects({Attribute.LABEL: label, Attribute.CLASS: self._pkcs11.ObjectClass.PRIVATE_KEY})
        )
        if existing:
            raise KeyProviderError(
                "keys.key_exists", f"token {self.token_label!r} already holds a key labelled {label!r}"
            )
        key_id = key_id or hashlib.sha256(label.encode()).digest()[:8]
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True}
        if algorithm == "ES256":
            params = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
            )
            params.generate_keypair(store=True, label=label, id=key_id, private_template=private_template)
        elif algorithm == "PS256":
            self._session.generate_keypair(
                KeyType.RSA, 3072, store=True, label=label, id=key_id, private_template=private_template
            )
        else:
            raise KeyProviderError("keys.unsupported", f"unsupported algorithm {algorithm!r} (ES256 or PS256)")
        return self.public_key(label)

    def public_key(self, label: str) -> PublicKey:
        from pkcs11 import Attribute, KeyType, ObjectClass
        from pkcs11.util.ec import encode_ec_public_key

        key = self._key(label, ObjectClass.PUBLIC_KEY)
        if key.key_type == KeyType.EC:
            loaded = serialization.load_der_public_key(encode_ec_public_key(key))
        elif key.key_type == KeyType.RSA:
            loaded = rsa.RSAPublicNumbers(
                int.from_bytes(key[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(key[Attribute.MODULUS], "big")
            ).public_key()
        else:
            raise KeyProviderError("keys.unsupported", f"key {label!r} is neither EC nor RSA")
        if not isinstance(loaded, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
            raise KeyProviderError("keys.unsupported", f"key {label!r} is neither EC nor RSA")
        return loaded

    def private_key_handle(self, label: str) -> Any:
        return self._key(label, self._pkcs11.ObjectClass.PRIVATE_KEY)

    def sign(self, handle: Any, algorithm: CoseAlgorithm, data: bytes) -> bytes:
        """A raw COSE signature over ``data`` (hashed here for ES256)."""
        from pkcs11 import MGF, Mechanism
        from pkcs11 import exceptions as p11

        try:
            if algorithm is CoseAlgorithm.ES256:
                return bytes(handle.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA))
            return bytes(
                handle.sign(
                    data, mechanism=Mechanism.SHA256_RSA_PKCS_PSS, mechanism_param=(Mechanism.SHA256, MGF.SHA256, 32)
                )
            )
        except p11.PKCS11Error as exc:
            raise KeyProviderError("keys.hsm_unavailable", f"the HSM refused to sign: {type(exc).__name__}") from None

    def sign_pkcs1(self, handle: Any, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 with SHA-256 (used only to sign CSRs)."""
        from pkcs11 import Mechanism

        return bytes(handle.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))

    def store_certificate(self, label: str, certificate: DocumentSignerCertificate) -> None:
        """Import a DSC next to its key, after checking that it belongs to that key."""
        from pkcs11 import Attribute, CertificateType, ObjectClass

        if self.public_key(label).public_numbers() != certificate.public_key.public_numbers():
            raise KeyProviderError("keys.mismatch", f"the certificate does not belong to HSM key {label!r}")
        handle = self.private_key_handle(label)
        for old in self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}):
            old.destroy()
        self._session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: handle[Attribute.ID],
                Attribute.VALUE: certificate.der,
                Attribute.SUBJECT: b"",
            }
        )

    def certificate(self, label: str) -> DocumentSignerCertificate | None:
        from pkcs11 import Attribute, ObjectClass

        for item in self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}):
            return DocumentSignerCertificate.from_der(bytes(item[Attribute.VALUE]))
        return None


class Pkcs11Signer(CertifiedSigner):
    """A :class:`~vaxcert.keys.Signer` whose DSC key lives in a PKCS#11 token.

    Keeps one logged-in session; signing is serialised with a lock because a
    PKCS#11 session must not run two operations at once.  Open it after any
    fork (PKCS#11 handles do not survive one).
    """

    def __init__(self, config: HsmConfig, key_label: str, certificate: DocumentSignerCertificate | None = None) -> None:
        self._session = HsmSession(config)
        try:
            self._handle = self._session.private_key_handle(key_label)
            certificate = certificate or self._session.certificate(key_label)
            if certificate is None:
                raise KeyProviderError(
                    "keys.no_certificate", f"no DSC stored with HSM key {key_label!r}; import one or pass it in"
                )
            if self._session.public_key(key_label).public_numbers() != certificate.public_key.public_numbers():
                raise KeyProviderError("keys.mismatch", f"the DSC does not belong to HSM key {key_label!r}")
            try:
                self._algorithm = expected_algorithm(certificate.public_key)
            except VaxcertError as exc:
                raise KeyProviderError("keys.unsupported", exc.message) from None
        except BaseException:
            self._session.close()
            raise
        self._certificate = certificate
        self._lock = threading.Lock()
        self.key_label = key_label

    def sign(self, data: bytes) -> bytes:
        with self._lock:
            return self._session.sign(self._handle, self._algorithm, data)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
