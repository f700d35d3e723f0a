"""Is the barcode signer on its CSCA's CRL?

Only a CRL that the signer's own CSCA signed counts (the key that verified the
chain); any other CRL in the registry is ignored, so a forged CRL can neither
revoke nor clear a signer.  A listed signer gives ``revoked_keys``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..registry import TrustRegistry
from .certificate import ParsedCertificate, parse_crl
from .errors import SignerRevocationError


def check(signer: ParsedCertificate, registry: TrustRegistry, csca_keys: Iterable[bytes]) -> bool:
    """True when a CRL of the signer's CSCA was consulted and does not list it, False when none applies.

    Raises :class:`SignerRevocationError` (``revocation.revoked``) when the signer is listed.
    """
    keys = tuple(dict.fromkeys(csca_keys))
    consulted = False
    for der in registry.x509_crls:
        crl = parse_crl(der)
        if crl is None or crl.issuer_key != signer.issuer_key:
            continue
        if not any(crl.signed_by(spki) for spki in keys):
            continue
        consulted = True
        if signer.serial in crl.revoked_serials:
            raise SignerRevocationError("revocation.revoked", "the barcode signer certificate is on its CSCA's CRL")
    return consulted
