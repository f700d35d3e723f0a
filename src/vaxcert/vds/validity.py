"""Is the barcode signer certificate valid at the verification time?  Outside its window: ``expired_keys``."""

from __future__ import annotations

from datetime import datetime

from .certificate import ParsedCertificate
from .errors import SignerValidityError


def check(signer: ParsedCertificate, *, at: datetime) -> None:
    if signer.not_before is not None and at < signer.not_before:
        raise SignerValidityError("validity.not_yet_valid", "the barcode signer certificate is not valid yet")
    if signer.not_after is not None and at > signer.not_after:
        raise SignerValidityError("validity.expired", "the barcode signer certificate has expired")
