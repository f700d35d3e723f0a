"""Verify an ICAO VDS-NC seal offline: seal → content → certificate → signature → trust → validity → revocation.

:func:`verify` never raises on bad input.  Every stage runs whenever its inputs
could be read, so the report shows every fault and whose seal it is; the reported
status is the earliest fault in the shared precedence
(:data:`vaxcert.summary.STATUS_PRECEDENCE`).  Each stage failure's status:

===========  ==========================================================================
stage        status when it fails
===========  ==========================================================================
seal         ``not_supported`` (no VDS-NC envelope: the report's format is then
             ``unknown``, as format detection would say); ``invalid_signing_format``
             when ``sig`` is not an object
content      ``not_supported``: not a vaccination or test proof
certificate  ``invalid_signing_format``: ``sig.cer`` is no certificate
signature    ``invalid_signing_format`` for ``alg``/``sigvl`` form, a key that does not
             fit ``alg``, data with no RFC 8785 form; ``invalid_signature`` otherwise
trust        ``issuer_not_trusted``; ``terminated_keys``/``revoked_keys``/``expired_keys``
             from the CSCA's registry entry or certificate
validity     ``expired_keys``: the signer certificate is outside its validity
revocation   ``revoked_keys``: its CSCA's CRL lists the signer
===========  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..outcome import StageOutcome
from ..registry import TrustRegistry
from ..summary import CredentialReport, Format, HealthEvent, Holder, Status, report_from_outcomes
from . import content as content_stage
from . import revocation as revocation_stage
from . import seal as seal_stage
from . import signature as signature_stage
from . import trust as trust_stage
from . import validity as validity_stage
from .certificate import ParsedCertificate, decode_cer
from .errors import (
    CertificateError,
    ContentError,
    SealError,
    SealSignatureError,
    SignerRevocationError,
    SignerTrustError,
    SignerValidityError,
)

FORMAT: Format = "icao-vds-nc"
Pair = tuple[StageOutcome, Status | None]
_OUTSIDE_ENVELOPE = frozenset({"seal.not_vds", "seal.not_json", "seal.too_large", "seal.too_deep"})


@dataclass(frozen=True, slots=True)
class VdsDetail:
    """What a VDS-NC report adds to the shared fields: the seal's header and who signed it."""

    seal_type: str | None = None  # icao.vacc / icao.test
    version: int | None = None
    issuing_country: str | None = None  # hdr.is, ICAO alpha-3
    identifier: str | None = None  # uvci / utci
    algorithm: str | None = None
    signer_subject: str | None = None
    signer_issuer: str | None = None
    signer_serial: int | None = None
    trusted_by: str | None = None  # the anchor's subject or the registry key id
    trust_kind: str | None = None  # signer / csca / registry
    crl_checked: bool = False


def verify(seal_text: str | bytes, registry: TrustRegistry, *, at: datetime) -> CredentialReport:
    """Verify one seal (its text or UTF-8 bytes) against ``registry`` at ``at``.  Never raises on bad input.

    A naive ``at`` is taken as UTC.
    """
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        seal = seal_stage.decode(seal_text)
    except SealError as error:
        status = Status.INVALID_SIGNING_FORMAT if error.code == "seal.bad_sig" else Status.NOT_SUPPORTED
        fmt: Format = "unknown" if error.code in _OUTSIDE_ENVELOPE else FORMAT
        failed: list[Pair] = [(StageOutcome.failed("seal", error), status)]
        failed += [(_NOT_RUN[name], None) for name in _AFTER_SEAL]
        return report_from_outcomes(fmt, failed, detail=VdsDetail())

    pairs: list[Pair] = [(_PASSED["seal"], None)]
    holder: Holder | None = None
    events: tuple[HealthEvent, ...] = ()
    # The detail is built once at the end: on the hot path every allocation shows.
    found: dict[str, object] = {}

    try:
        content = content_stage.read(seal)
        holder, events = content.holder, content.events
        found.update(version=content.version, identifier=content.identifier)
        pairs.append((_PASSED["content"], None))
    except ContentError as error:
        pairs.append((StageOutcome.failed("content", error), Status.NOT_SUPPORTED))

    signer: ParsedCertificate | None = None
    try:
        signer = decode_cer(seal.sig.get("cer"))
        found.update(signer_subject=signer.subject, signer_issuer=signer.issuer, signer_serial=signer.serial)
        pairs.append((_PASSED["certificate"], None))
    except CertificateError as error:
        pairs.append((StageOutcome.failed("certificate", error), Status.INVALID_SIGNING_FORMAT))

    if signer is None:
        try:
            signature_stage.read(seal.sig)  # the form of alg and sigvl is still worth reporting
            pairs.append((_NOT_RUN["signature"], None))
        except SealSignatureError as error:
            pairs.append((StageOutcome.failed("signature", error), Status.INVALID_SIGNING_FORMAT))
        pairs += [(_NOT_RUN[name], None) for name in ("trust", "validity", "revocation")]
        return _report(seal, pairs, holder, events, found)

    try:
        signature_stage.verify(seal, signer)
        pairs.append((_PASSED["signature"], None))
    except SealSignatureError as error:
        status = Status.INVALID_SIGNATURE if error.code == "signature.mismatch" else Status.INVALID_SIGNING_FORMAT
        pairs.append((StageOutcome.failed("signature", error), status))

    paths = trust_stage.trust_paths(signer, registry, at=at, issuing_country=seal.issuing_country)
    try:
        best = trust_stage.judge(paths)[0]
        found.update(trusted_by=best.name, trust_kind=best.kind)
        pairs.append((_PASSED["trust"], None))
    except SignerTrustError as error:
        pairs.append((StageOutcome.failed("trust", error), trust_stage.failure_status(error)))

    try:
        validity_stage.check(signer, at=at)
        pairs.append((_PASSED["validity"], None))
    except SignerValidityError as error:
        pairs.append((StageOutcome.failed("validity", error), Status.EXPIRED_KEYS))

    try:
        consulted = revocation_stage.check(signer, registry, [p.csca_spki for p in paths if p.csca_spki])
        found["crl_checked"] = consulted
        pairs.append((_PASSED["revocation"] if consulted else _NOT_RUN["revocation"], None))
    except SignerRevocationError as error:
        found["crl_checked"] = True
        pairs.append((StageOutcome.failed("revocation", error), Status.REVOKED_KEYS))

    return _report(seal, pairs, holder, events, found)


def _report(
    seal: seal_stage.Seal,
    pairs: list[Pair],
    holder: Holder | None,
    events: tuple[HealthEvent, ...],
    found: dict[str, object],
) -> CredentialReport:
    detail = VdsDetail(
        seal_type=seal.seal_type,
        issuing_country=seal.issuing_country,
        algorithm=_text(seal.sig.get("alg")),
        **found,  # type: ignore[arg-type]
    )
    return report_from_outcomes(FORMAT, pairs, holder=holder, events=events, issuer=seal.issuing_country, detail=detail)


_AFTER_SEAL = ("content", "certificate", "signature", "trust", "validity", "revocation")
# Outcomes are immutable, so every passed or skipped stage shares one instance.
_PASSED = {name: StageOutcome(name, True) for name in ("seal", *_AFTER_SEAL)}
_NOT_RUN = {name: StageOutcome(name, None) for name in ("seal", *_AFTER_SEAL)}


def _text(value: object) -> str | None:
    return value[:32] if isinstance(value, str) else None
