"""Does the barcode signer chain to a trusted CSCA of the issuing country?

Trust comes from three places, all in one :class:`~vaxcert.registry.TrustRegistry`:

* the signer certificate itself given as an anchor (``--trust-cert sig.pem``);
* a CSCA certificate given as an anchor that issued the signer: matched by key
  identifier or name, then proved by checking its signature on the signer;
* a registry entry ``ICAO`` ``<country>#<base64 AuthorityKeyIdentifier>`` holding the
  CSCA's key, where the country is the signer's issuer ``C`` (``UT``) or the seal's
  ``hdr.is`` (``AUS``): registries key their entries either way.  The AKI only finds
  the entry; the CSCA's signature on the signer is what proves the link, so a signer
  that copies a trusted CSCA's name and AKI is still refused.

A link that verifies may still be unusable now: the registry entry's status and
validity window (:meth:`TrustedKey.failure_at`), or a CSCA certificate outside its
validity, give the ``*_keys`` statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..registry import TrustRegistry
from ..summary import Status
from .certificate import ParsedCertificate, parse_certificate
from .errors import CertificateError, SignerTrustError

_FAILURE_CODES = {
    Status.TERMINATED_KEYS: ("trust.terminated_key", "the CSCA's key is terminated in the trust registry"),
    Status.REVOKED_KEYS: ("trust.revoked_key", "the CSCA's key is revoked in the trust registry"),
    Status.EXPIRED_KEYS: ("trust.expired_key", "the CSCA's key is not valid at the verification time"),
}


@dataclass(frozen=True, slots=True)
class TrustPath:
    """One way the signer is trusted: ``kind`` is ``signer`` (itself an anchor), ``csca`` or ``registry``."""

    kind: str
    name: str  # the anchor's subject or the registry key id
    csca_spki: bytes | None  # the key that signed the signer certificate; None for ``signer``
    failure: Status | None  # what the anchor's state imposes at the verification time

    @property
    def usable(self) -> bool:
        return self.failure is None


def trust_paths(
    signer: ParsedCertificate, registry: TrustRegistry, *, at: datetime, issuing_country: str | None
) -> tuple[TrustPath, ...]:
    """Every trust path that verifies (usable or not), anchors first."""
    paths: list[TrustPath] = []
    for der in registry.anchors:
        if der == signer.der:
            paths.append(TrustPath("signer", signer.subject, None, None))
            continue
        try:
            anchor = parse_certificate(der)
        except CertificateError:
            continue  # an anchor that is no certificate vouches for nothing
        if _may_have_issued(anchor, signer) and signer.signed_by(anchor.spki):
            failure = None if anchor.valid_at(at) else Status.EXPIRED_KEYS
            paths.append(TrustPath("csca", anchor.subject, anchor.spki, failure))
    key_identifier = signer.authority_key_id_b64
    if key_identifier is not None:
        countries = [signer.issuer_country] if signer.issuer_country else []
        if issuing_country and issuing_country != signer.issuer_country:
            countries.append(issuing_country)
        for country in countries:
            key_id = f"{country}#{key_identifier}"
            key = registry.key("ICAO", key_id)
            if key is not None and signer.signed_by(key.spki):
                paths.append(TrustPath("registry", key_id, key.spki, key.failure_at(at)))
    return tuple(paths)


def check(
    signer: ParsedCertificate, registry: TrustRegistry, *, at: datetime, issuing_country: str | None
) -> tuple[TrustPath, ...]:
    """The verified trust paths, a usable one first; raises :class:`SignerTrustError` when none is usable."""
    return judge(trust_paths(signer, registry, at=at, issuing_country=issuing_country))


def judge(paths: tuple[TrustPath, ...]) -> tuple[TrustPath, ...]:
    """``paths`` with a usable one first; raises :class:`SignerTrustError` when none is usable."""
    if not paths:
        raise SignerTrustError(
            "trust.untrusted_signer", "the barcode signer is not trusted and no trusted CSCA issued it"
        )
    ordered = paths if len(paths) == 1 else tuple(sorted(paths, key=lambda path: not path.usable))
    failure = ordered[0].failure
    if failure is not None:
        code, message = _FAILURE_CODES[failure]
        raise SignerTrustError(code, message)
    return ordered


def failure_status(error: SignerTrustError) -> Status:
    """The status a trust failure stands for."""
    for status, (code, _) in _FAILURE_CODES.items():
        if error.code == code:
            return status
    return Status.ISSUER_NOT_TRUSTED


def _may_have_issued(csca: ParsedCertificate, signer: ParsedCertificate) -> bool:
    if signer.authority_key_id is not None and csca.subject_key_id is not None:
        return signer.authority_key_id == csca.subject_key_id
    return signer.issuer_key == csca.subject_key
