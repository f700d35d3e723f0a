"""Verify a SMART Health Card (``shc:/…``, one QR or chunks in any order) into a :class:`CredentialReport`.

Stages, in order: numeric, jws, jose, inflate, payload, content, trust, key,
signature, revocation, expiry.  Each failure is recorded with the status it stands
for and the report applies the contract's precedence, so a card that is both
unsigned and expired reports the signing fault.  Bad input never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..outcome import StageOutcome
from ..registry import TrustedKey, TrustRegistry
from ..summary import CredentialReport, HealthEvent, Holder, Status, report_from_outcomes
from . import content, expiry, inflate, jose, jws, numeric, payload, revocation, signature, trust
from .errors import STAGES, ShcError


@dataclass(frozen=True, slots=True)
class ShcDetail:
    """The SMART Health Card specifics of a report (nothing personal: no names, no bundle)."""

    iss: str | None = None
    kid: str | None = None
    nbf: datetime | None = None
    exp: datetime | None = None
    rid: str | None = None
    types: tuple[str, ...] = ()
    chunks: int = 0
    revocation_list: bool = False  # a revocation list for the kid was available
    revocation_list_stale: bool = False  # the key announces a newer list (crlVersion) than the one held


STAGE_NAMES: tuple[str, ...] = tuple(error.stage for error in STAGES)
# Outcomes are immutable: every verification shares these.
_PASSED = {name: (StageOutcome(name, True), None) for name in STAGE_NAMES}
_NOT_RUN = {name: (StageOutcome(name, None), None) for name in STAGE_NAMES}


class _Run:
    """The outcomes recorded so far, in stage order."""

    def __init__(self) -> None:
        self.pairs: list[tuple[StageOutcome, Status | None]] = []

    def ok(self, name: str) -> None:
        self.pairs.append(_PASSED[name])

    def fail(self, error: ShcError) -> None:
        self.pairs.append((StageOutcome.failed(error.stage, error), error.status))

    def finish(self) -> list[tuple[StageOutcome, Status | None]]:
        if len(self.pairs) == len(STAGE_NAMES):  # every stage records itself once: all ran
            return self.pairs
        done = {outcome.name for outcome, _ in self.pairs}
        return self.pairs + [_NOT_RUN[name] for name in STAGE_NAMES if name not in done]


def verify(qr: str | Sequence[str], registry: TrustRegistry, *, at: datetime) -> CredentialReport:
    """Verify one card at ``at`` against ``registry``.  ``qr`` is the QR text or its chunks in scan order."""
    run = _Run()
    passed = run.pairs.append  # a stage that passes records its shared outcome, without a method call
    chunks = 0
    kid: str | None = None
    try:
        code = numeric.decode(qr)
        chunks = code.chunks
        passed(_PASSED["numeric"])
        token = jws.decode(code.jws)
        passed(_PASSED["jws"])
        header = jose.decode(token)
        kid = header.kid
        passed(_PASSED["jose"])
        claims_json = inflate.decode(token.payload, header.zip)
        passed(_PASSED["inflate"])
        claims = payload.decode(claims_json)
        passed(_PASSED["payload"])
    except ShcError as exc:
        run.fail(exc)
        return report_from_outcomes("shc", run.finish(), detail=ShcDetail(kid=kid, chunks=chunks))

    holder: Holder | None = None
    events: tuple[HealthEvent, ...] = ()
    try:
        holder, events = content.holder_and_events(content.check(claims))
        passed(_PASSED["content"])
    except ShcError as exc:
        run.fail(exc)
    checked = _keys_and_revocation(run, registry, claims, token, header.kid, at)
    try:
        expiry.check(claims, at)
        passed(_PASSED["expiry"])
    except ShcError as exc:
        run.fail(exc)
    detail = ShcDetail(
        claims.iss,
        header.kid,
        claims.nbf,
        claims.exp,
        claims.rid,
        claims.types,
        chunks,
        checked is not None and checked.list_found,
        checked is not None and checked.stale,
    )
    return report_from_outcomes("shc", run.finish(), holder=holder, events=events, issuer=claims.iss, detail=detail)


def _keys_and_revocation(
    run: _Run, registry: TrustRegistry, claims: payload.ShcClaims, token: jws.CompactJws, kid: str, at: datetime
) -> revocation.RevocationCheck | None:
    try:
        candidates = trust.find_keys(registry, claims.iss, kid)
    except ShcError as exc:
        run.fail(exc)
        return None
    run.ok("trust")
    key = _signing_key(run, candidates, token, at)
    if key is None:
        return None
    try:
        checked = revocation.check(registry, kid, claims.rid, claims.nbf, key)
    except ShcError as exc:
        run.fail(exc)
        return None
    run.ok("revocation")
    return checked


def _signing_key(
    run: _Run, candidates: tuple[TrustedKey, ...], token: jws.CompactJws, at: datetime
) -> TrustedKey | None:
    """The candidate whose signature verifies (its status recorded), or None with the first one's faults."""
    for key in candidates:
        try:
            signature.verify(token.signing_input, token.signature, key)
        except ShcError:
            continue
        _key_status(run, key, at)
        run.ok("signature")
        return key
    _key_status(run, candidates[0], at)
    try:
        signature.verify(token.signing_input, token.signature, candidates[0])
    except ShcError as exc:
        run.fail(exc)
    return None


def _key_status(run: _Run, key: TrustedKey, at: datetime) -> None:
    try:
        trust.check_key(key, at)
        run.ok("key")
    except ShcError as exc:
        run.fail(exc)


def _expiry(run: _Run, claims: payload.ShcClaims, at: datetime) -> None:
    try:
        expiry.check(claims, at)
        run.ok("expiry")
    except ShcError as exc:
        run.fail(exc)
