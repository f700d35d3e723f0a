"""The issuer's key: the proof's DID looked up in the multi-framework registry (framework ``DIVOC``).

DIVOC proofs name the signer as ``verificationMethod`` (``did:india``); registries key
DIVOC issuers by that DID.  A method with a fragment (``did:x#key-1``) is looked up as
written first, then as its DID.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import TrustError as RegistryKeyError
from ..registry import RegistryPublicKey, TrustedKey, TrustRegistry
from ..summary import Status
from .credential import Proof
from .errors import DivocTrustError

_STATUS_CODES = {
    Status.TERMINATED_KEYS: "trust.terminated_key",
    Status.REVOKED_KEYS: "trust.revoked_key",
    Status.EXPIRED_KEYS: "trust.expired_key",
}


def find_key(proof: Proof, registry: TrustRegistry) -> TrustedKey:
    """The registry entry for the proof's DID; raises :class:`DivocTrustError` (``trust.unknown_did``)."""
    for candidate in dict.fromkeys((proof.verification_method, proof.did)):
        key = registry.key("DIVOC", candidate)
        if key is not None:
            return key
    raise DivocTrustError("trust.unknown_did", f"no trusted DIVOC key for {proof.verification_method[:120]!r}")


def key_failure(key: TrustedKey, at: datetime) -> tuple[Status, DivocTrustError] | None:
    """The status and error the key's registry state imposes at ``at``; None when the key is usable."""
    status = key.failure_at(at)
    if status is None:
        return None
    return status, DivocTrustError(_STATUS_CODES.get(status, "trust.unusable_key"), f"the DID's key is {status}")


def public_key(key: TrustedKey) -> RegistryPublicKey:
    try:
        return key.public_key
    except RegistryKeyError as exc:
        raise DivocTrustError("trust.bad_key", exc.message) from None
