"""Signed documents (trust lists, revocation lists): a CBOR payload in a COSE_Sign1 by a pinned anchor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cbor2

from . import cose
from .errors import TrustError, VaxcertError
from .keys import Signer
from .trust import DocumentSignerCertificate

HEADER_CONTENT_TYPE = 3


class SignedDocumentError(TrustError):
    """A signed list that must not be used: malformed, unsigned by a pinned anchor, or rolled back."""

    stage = "trust"


def sign(payload: bytes, content_type: str, signer: Signer) -> bytes:
    protected = cbor2.dumps(
        {
            cose.HEADER_ALG: int(signer.algorithm),
            HEADER_CONTENT_TYPE: content_type,
            cose.HEADER_KID: signer.certificate.kid,
        },
        canonical=True,
    )
    signature = signer.sign(cose.sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(cose.COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def verify(
    data: bytes, content_type: str, anchors: Sequence[DocumentSignerCertificate], code_prefix: str
) -> tuple[bytes, DocumentSignerCertificate]:
    """The payload and the anchor that signed it; raises ``<code_prefix>.*`` errors otherwise."""
    if not anchors:
        raise SignedDocumentError(f"{code_prefix}.no_anchor", "no trust anchor is pinned")
    try:
        message = cose.decode(data)
    except VaxcertError as exc:
        raise SignedDocumentError(f"{code_prefix}.bad_format", f"not a signed list ({exc.message})") from None
    if message.protected.get(HEADER_CONTENT_TYPE) != content_type:
        raise SignedDocumentError(f"{code_prefix}.bad_format", f"the signed object is not a {content_type}")
    kid: Any = message.protected.get(cose.HEADER_KID)  # only the protected kid counts here
    candidates = [anchor for anchor in anchors if anchor.kid == kid]
    if not candidates:
        raise SignedDocumentError(f"{code_prefix}.unknown_signer", "the list is not signed by a pinned anchor")
    for anchor in candidates:
        try:
            cose.verify(message, anchor.public_key)
        except VaxcertError:
            continue
        return message.payload, anchor
    raise SignedDocumentError(f"{code_prefix}.bad_signature", "the list's signature does not verify")
