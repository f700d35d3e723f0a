"""Verify a DIVOC QR payload: envelope, credential, content, trust, canonical form, signature, expiry.

:func:`verify` never raises on bad input.  Each stage's outcome is paired with the
status its failure stands for; :func:`vaxcert.summary.report_from_outcomes` applies
the precedence (an unreadable ZIP says more than an unknown DID, which says more
than a bad signature).  The trust stage runs before the canonical form is computed, so
an unknown issuer costs no JSON-LD work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..outcome import StageOutcome
from ..registry import TrustRegistry
from ..summary import CredentialReport, Status, report_from_outcomes
from . import content, credential, envelope, expiry, signature, trust
from .canonical import Canonical
from .errors import (
    CanonicalError,
    ContentError,
    CredentialError,
    DivocError,
    DivocExpiryError,
    DivocSignatureError,
    DivocTrustError,
    EnvelopeError,
)

STAGES = ("envelope", "credential", "content", "trust", "canonical", "signature", "expiry")


@dataclass(frozen=True, slots=True)
class DivocDetail:
    """What a DIVOC verification found besides the shared report fields."""

    proof_type: str | None = None
    verification_method: str | None = None
    issuer: str | None = None  # the credential's own ``issuer`` (a URL for CoWIN)
    issuance_date: str | None = None
    credential_types: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    key_name: str | None = None  # the registry's display name for the DID
    expires: datetime | None = None
    unsigned_fields: tuple[str, ...] = ()  # members left out of holder/events: the signature does not cover them
    ambiguous_fields: tuple[str, ...] = ()  # members left out: the signature cannot tell them from a sibling member


def verify(payload: bytes | str, registry: TrustRegistry, *, at: datetime | None = None) -> CredentialReport:
    """Verify the binary DIVOC QR payload (a ZIP holding ``certificate.json``) against ``registry``.

    QR readers that return text decode a binary code byte for byte as ISO 8859-1, so a
    ``str`` is taken back to those bytes (text that cannot be is no ZIP).
    """
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    pairs: list[tuple[StageOutcome, Status | None]] = []

    def failed(name: str, error: DivocError, status: Status | None) -> None:
        pairs.append((StageOutcome.failed(name, error), status))

    def finish(**found: object) -> CredentialReport:
        done = {outcome.name: (outcome, status) for outcome, status in pairs}
        ordered = [done.get(name, (StageOutcome(name, None), None)) for name in STAGES]
        return _report(ordered, **found)  # type: ignore[arg-type]

    try:
        raw = envelope.decode(_as_bytes(payload))
    except EnvelopeError as exc:
        failed("envelope", exc, Status.INVALID_COMPRESSION)
        return finish()
    pairs.append((StageOutcome("envelope", True), None))

    try:
        document = credential.parse_json(raw)
    except CredentialError as exc:
        failed("credential", exc, Status.INVALID_SIGNING_FORMAT)
        return finish()
    unverified = content.read(document)
    detail = _detail(document)
    try:
        parsed = credential.from_document(document)
    except CredentialError as exc:
        failed("credential", exc, Status.INVALID_SIGNING_FORMAT)
        return finish(content=unverified, detail=detail)
    pairs.append((StageOutcome("credential", True), None))
    proof = parsed.proof
    detail = _detail(document, proof_type=proof.type, verification_method=proof.verification_method)
    issuer = proof.did

    if unverified.holder is None or not unverified.events:
        missing = "holder name" if unverified.holder is None else "vaccination"
        failed("content", ContentError("content.incomplete", f"the credential names no {missing}"), None)
    else:
        pairs.append((StageOutcome("content", True), None))

    try:
        key = trust.find_key(proof, registry)
        public_key = trust.public_key(key)
    except DivocTrustError as exc:
        failed("trust", exc, Status.ISSUER_NOT_TRUSTED)
        return finish(content=unverified, detail=detail, issuer=issuer)
    detail = _detail(document, proof_type=proof.type, verification_method=proof.verification_method, key=key.name)
    key_failure = trust.key_failure(key, moment)
    if key_failure is not None:
        status, error = key_failure
        failed("trust", error, status)
    else:
        pairs.append((StageOutcome("trust", True), None))

    canonical: Canonical | None = None
    try:
        canonical = signature.verify(parsed, public_key)
    except CanonicalError as exc:
        # Without the canonical form nothing is signed: ddcc-validator reports this as a bad signature too.
        failed("canonical", exc, Status.INVALID_SIGNATURE)
    except DivocSignatureError as exc:
        pairs.append((StageOutcome("canonical", True), None))
        failed("signature", exc, Status.INVALID_SIGNATURE)
    else:
        pairs.append((StageOutcome("canonical", True), None))
        pairs.append((StageOutcome("signature", True), None))

    try:
        expires = expiry.check(document, moment)
        pairs.append((StageOutcome("expiry", True), None))
    except DivocExpiryError as exc:
        expires = None
        failed("expiry", exc, Status.EXPIRED)

    shown = content.read(document, canonical.literals) if canonical is not None else unverified
    detail = _detail(
        document,
        proof_type=proof.type,
        verification_method=proof.verification_method,
        key=key.name,
        expires=expires,
        unsigned=shown.unsigned,
        ambiguous=shown.ambiguous,
    )
    return finish(content=shown, detail=detail, issuer=issuer)


def _as_bytes(payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        try:
            return payload.encode("latin-1")
        except UnicodeEncodeError:
            raise EnvelopeError("envelope.not_zip", "the text holds characters a binary QR code cannot") from None
    return bytes(payload)


def _report(
    pairs: list[tuple[StageOutcome, Status | None]],
    *,
    content: content.Content | None = None,
    detail: DivocDetail | None = None,
    issuer: str | None = None,
) -> CredentialReport:
    return report_from_outcomes(
        "divoc",
        pairs,
        holder=content.holder if content else None,
        events=content.events if content else (),
        issuer=issuer,
        detail=detail or DivocDetail(),
    )


def _detail(
    document: dict[str, object],
    *,
    proof_type: str | None = None,
    verification_method: str | None = None,
    key: str | None = None,
    expires: datetime | None = None,
    unsigned: tuple[str, ...] = (),
    ambiguous: tuple[str, ...] = (),
) -> DivocDetail:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    types = document.get("type")
    contexts = document.get("@context")
    issued = document.get("issuanceDate")
    return DivocDetail(
        proof_type=proof_type,
        verification_method=verification_method,
        issuer=issuer[:200] if isinstance(issuer, str) else None,
        issuance_date=issued[:40] if isinstance(issued, str) else None,
        credential_types=tuple(t[:80] for t in types if isinstance(t, str))[:8] if isinstance(types, list) else (),
        contexts=tuple(c[:200] for c in contexts if isinstance(c, str))[:8] if isinstance(contexts, list) else (),
        key_name=key,
        expires=expires,
        unsigned_fields=unsigned,
        ambiguous_fields=ambiguous,
    )
