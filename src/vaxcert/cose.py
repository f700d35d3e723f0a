"""COSE_Sign1 stage (RFC 9052) for ES256 and PS256.

:func:`decode` only parses: it returns a :class:`CoseSign1` whose payload is
still unauthenticated.  :func:`verify` checks the signature against one
public key; trying every trusted key for a kid is the pipeline's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ._cbor import HCERT_MESSAGE, MAP_TYPES, CborFormatError, CborLimits, dumps, loads_strict, read_tag
from .errors import CoseError, SignatureError

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HEADER_ALG = 1
HEADER_KID = 4

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_PSS_ANY_SALT = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)


class CoseAlgorithm(IntEnum):
    """The signature algorithms HCERT allows; every verifier must accept both."""

    ES256 = -7
    PS256 = -37


class RawSigner(Protocol):
    """Anything that turns bytes into a raw COSE signature (see ``vaxcert.keys``)."""

    @property
    def algorithm(self) -> CoseAlgorithm: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class CoseSign1:
    """A parsed COSE_Sign1 message.  Nothing in it has been verified."""

    protected_bytes: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def algorithm(self) -> int | None:
        """The alg header, protected first, then unprotected (lenient issuers)."""
        alg = self.protected.get(HEADER_ALG, self.unprotected.get(HEADER_ALG))
        return alg if isinstance(alg, int) and not isinstance(alg, bool) else None

    @property
    def kid(self) -> bytes | None:
        """The kid header; the protected one wins when both are present (HCERT §3.3.3)."""
        for headers in (self.protected, self.unprotected):
            kid = headers.get(HEADER_KID)
            if isinstance(kid, bytes) and kid:
                return kid
        return None

    def to_be_signed(self) -> bytes:
        """The Sig_structure bytes, built from the protected header exactly as received."""
        return sig_structure(self.protected_bytes, self.payload)


# The fixed opening of every Sig_structure: an array of four, then the text "Signature1".
_SIG_STRUCTURE_START = b"\x84\x6aSignature1"
# Tag 18 and an array of four: the opening of every tagged COSE_Sign1 built here.
_SIGN1_START = b"\xd2\x84"
_EMPTY_MAP = b"\xa0"
_EMPTY_BYTES = b"\x40"


def _byte_string(data: bytes) -> bytes:
    """A definite-length CBOR byte string (major type 2), head and content, as cbor2 writes it."""
    size = len(data)
    if size < 24:
        head = bytes((0x40 | size,))
    elif size < 0x100:
        head = bytes((0x58, size))
    elif size < 0x10000:
        head = b"\x59" + size.to_bytes(2, "big")
    elif size < 0x100000000:
        head = b"\x5a" + size.to_bytes(4, "big")
    else:
        head = b"\x5b" + size.to_bytes(8, "big")
    return head + data


def sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    """``["Signature1", protected, h'', payload]`` as CBOR, written directly: the same bytes
    cbor2 gives (tests compare them), at a fraction of its cost on the issuing hot path."""
    return b"".join((_SIG_STRUCTURE_START, _byte_string(protected_bytes), _EMPTY_BYTES, _byte_string(payload)))


_PROTECTED: dict[tuple[int, bytes], bytes] = {}


def protected_header(algorithm: int, kid: bytes) -> bytes:
    """The canonical protected header ``{1: alg, 4: kid}`` (remembered: an issuer has a few keys)."""
    known = _PROTECTED.get((algorithm, kid))
    if known is None:
        known = dumps({HEADER_ALG: algorithm, HEADER_KID: kid})
        if len(_PROTECTED) >= 256:
            _PROTECTED.clear()
        _PROTECTED[(algorithm, kid)] = known
    return known


def sign(payload: bytes, signer: RawSigner, kid: bytes) -> bytes:
    """Build a tagged COSE_Sign1 with alg and kid in the protected header."""
    protected = _byte_string(protected_header(int(signer.algorithm), kid))
    encoded_payload = _byte_string(payload)
    signature = signer.sign(b"".join((_SIG_STRUCTURE_START, protected, _EMPTY_BYTES, encoded_payload)))
    return b"".join((_SIGN1_START, protected, _EMPTY_MAP, encoded_payload, _byte_string(signature)))


def decode(data: bytes, limits: CborLimits = HCERT_MESSAGE) -> CoseSign1:
    """Parse a COSE_Sign1 (tag 18 optional, an outer CWT tag 61 stripped).

    The envelope tags are read here, so the CBOR decode itself accepts no tag at all;
    ``limits`` bounds the message's structure (its payload stays bytes).
    """
    try:
        tag, start = read_tag(data)
        if tag == CWT_TAG:
            tag, start = read_tag(data, start)
        if tag is not None and tag != COSE_SIGN1_TAG:
            raise CoseError("cose.wrong_tag", f"CBOR tag {tag} is not COSE_Sign1 (18)")
        item = loads_strict(data[start:] if start else data, limits)
    except CborFormatError as exc:
        raise CoseError(f"cose.{exc.reason}", f"the message is not valid HCERT CBOR ({exc})") from None
    if not isinstance(item, (list, tuple)) or len(item) != 4:
        raise CoseError("cose.not_sign1", "a COSE_Sign1 message is an array of four items")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        raise CoseError("cose.bad_protected", "the protected header is not a byte string")
    protected = _protected_header(protected_bytes, limits)
    if not isinstance(unprotected, MAP_TYPES):
        raise CoseError("cose.bad_unprotected", "the unprotected header is not a map")
    if not isinstance(payload, bytes):
        raise CoseError("cose.bad_payload", "the payload is missing or not a byte string")
    if not isinstance(signature, bytes) or not signature:
        raise CoseError("cose.bad_signature_field", "the signature is missing or not a byte string")
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature)


# Decoded protected headers by their bytes and profile: a verifier sees the same few issuers'
# headers on every scan.  Read-only views, so no message can edit another's header.
_PROTECTED_HEADERS: dict[tuple[bytes, CborLimits], Mapping[Any, Any]] = {}
_PROTECTED_CACHE_SIZE = 1024
_PROTECTED_CACHE_MAX_BYTES = 64  # alg and a kid take ~15: anything longer is decoded afresh
_SCALARS = frozenset({int, str, bytes, bool, type(None)})  # values a shared header may hold


def _protected_header(protected_bytes: bytes, limits: CborLimits) -> Mapping[Any, Any]:
    if not protected_bytes:
        return {}
    known = _PROTECTED_HEADERS.get((protected_bytes, limits))
    if known is not None:
        return known
    try:
        protected = loads_strict(protected_bytes, limits)
    except CborFormatError as exc:
        raise CoseError("cose.bad_protected", f"the protected header is not CBOR ({exc})") from None
    if not isinstance(protected, MAP_TYPES):
        raise CoseError("cose.bad_protected", "the protected header is not a map")
    if len(protected_bytes) <= _PROTECTED_CACHE_MAX_BYTES and all(
        type(value) in _SCALARS for value in protected.values()
    ):
        if len(_PROTECTED_HEADERS) >= _PROTECTED_CACHE_SIZE:
            _PROTECTED_HEADERS.clear()
        view = MappingProxyType(protected)
        _PROTECTED_HEADERS[(protected_bytes, limits)] = view
        return view
    return protected


_KNOWN_ALGORITHMS: dict[int, tuple[PublicKey, CoseAlgorithm]] = {}


def expected_algorithm(key: PublicKey) -> CoseAlgorithm:
    """The only algorithm a key of this type may be used with (remembered per key object:
    the same few trusted keys verify every scan)."""
    known = _KNOWN_ALGORITHMS.get(id(key))
    if known is not None and known[0] is key:
        return known[1]
    algorithm = _expected_algorithm(key)
    if len(_KNOWN_ALGORITHMS) >= 4096:
        _KNOWN_ALGORITHMS.clear()
    _KNOWN_ALGORITHMS[id(key)] = (key, algorithm)
    return algorithm


def _expected_algorithm(key: PublicKey) -> CoseAlgorithm:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name != "secp256r1":
            raise SignatureError("signature.unsupported_key", f"EC curve {key.curve.name} is not P-256")
        return CoseAlgorithm.ES256
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise SignatureError("signature.unsupported_key", f"RSA key of {key.key_size} bits is too small")
        return CoseAlgorithm.PS256
    raise SignatureError("signature.unsupported_key", f"key type {type(key).__name__} cannot sign HCERT")


def verify(message: CoseSign1, key: PublicKey) -> None:
    """Check the signature with one public key; raise :class:`SignatureError` if it fails.

    The alg header must match the key type: a header never chooses the
    algorithm on its own.
    """
    required = expected_algorithm(key)
    alg = message.algorithm
    if alg is None:
        raise SignatureError("signature.no_alg", "the message names no signature algorithm")
    if alg != required:
        raise SignatureError(
            "signature.alg_mismatch",
            f"alg {alg} does not match the signer's key type (expects {required.name})",
        )
    data = message.to_be_signed()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            raw = message.signature
            if len(raw) != 64:
                raise SignatureError("signature.bad_length", f"an ES256 signature is 64 bytes, got {len(raw)}")
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            key.verify(der, data, _ECDSA_SHA256)
        else:
            key.verify(message.signature, data, _PSS_ANY_SALT, hashes.SHA256())
    except InvalidSignature:
        raise SignatureError("signature.invalid", "the signature does not match the signed data") from None
