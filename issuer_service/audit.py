"""The append-only, hash-chained audit log.

Each entry's SHA-256 covers its fields and the previous entry's digest, so
editing, deleting or reordering any entry breaks the chain from there on;
``vaxcert-issuer audit verify`` walks it.  A unique constraint on
``previous_sha256`` forbids two entries claiming the same predecessor.

Chaining needs the previous digest, so chained appends are serialised.  On
SQLite every writer is serialised anyway and events are chained inside the
caller's transaction.  On PostgreSQL that would serialise every commit (and
its fsync) behind one lock — it held the service to half its SQLite
throughput — so events go to an outbox inside the caller's transaction and
:func:`seal` chains them in batches moments later (the service seals every
``VAXCERT_AUDIT_SEAL_SECONDS``; the admin CLI seals before it exits).  The
outbox is as durable as the event it records; what it gives up is tamper
evidence for the second or so an event waits there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from .models import AuditEntry, AuditOutboxEntry
from .store import insert_rows

GENESIS = "0" * 64
SEAL_BATCH = 5000
_CHAIN_LOCK = 4242002  # PostgreSQL advisory lock held while chaining


# json.dumps(..., ensure_ascii=False, separators=(",", ":")) builds this same encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COLUMNS = ("at", "organisation_id", "action", "subject", "detail")


def _moment(at: datetime) -> str:
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)  # SQLite returns naive UTC
    return moment.isoformat(timespec="microseconds")


def _digest(previous: str, at: datetime, organisation_id: int | None, action: str, subject: str, detail: str) -> str:
    return _digest_of(previous, _moment(at), organisation_id, action, subject, detail)


def _digest_of(previous: str, moment: str, organisation_id: int | None, action: str, subject: str, detail: str) -> str:
    body = _ENCODER.encode([previous, moment, organisation_id, action, subject, detail])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, organisation_id: int | None, action: str, subject: str, detail: str = "") -> None:
    append_many(session, organisation_id, [(action, subject, detail)])


def append_many(
    session: Session, organisation_id: int | None, events: list[tuple[str, str, str]], *, batch: bool = False
) -> None:
    """Record events (action, subject, detail) in order, inside the caller's transaction.

    ``batch``: a large batch (a bulk job's) is chained at once on PostgreSQL too,
    under the chain's lock, after whatever waits in the outbox: the outbox spares
    many small transactions a queue behind one lock, and for one big transaction
    it would only add a round trip through another table (written, read back,
    deleted) for every event.
    """
    if not events:
        return
    # Microsecond precision is all the database keeps; hash exactly what is stored.
    at = datetime.now(UTC)
    rows = [(at, organisation_id, action, subject[:200], detail) for action, subject, detail in events]
    if not _uses_outbox(session):
        _chain(session, rows)
    elif batch:
        session.execute(text(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK})"))
        while seal(session) == SEAL_BATCH:  # older events first (the lock is ours already: re-entrant)
            pass
        _chain(session, rows)
    else:
        insert_rows(session, AuditOutboxEntry, _COLUMNS, rows)


def _uses_outbox(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _chain(session: Session, rows: Sequence[tuple[datetime, int | None, str, str, str]]) -> None:
    """Append rows (at, organisation, action, subject, detail) to the chain; the caller holds the chain.

    (SQLite's write lock or the advisory lock.)  Events of one batch mostly share
    their moment, so its text form is worked out once per distinct moment.
    """
    previous = session.scalar(select(AuditEntry.sha256).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    moments: dict[datetime, str] = {}
    chained = []
    for at, organisation_id, action, subject, detail in rows:
        moment = moments.get(at)
        if moment is None:
            moment = moments[at] = _moment(at)
        digest = _digest_of(previous, moment, organisation_id, action, subject, detail)
        chained.append((at, organisation_id, action, subject, detail, previous, digest))
        previous = digest
    insert_rows(session, AuditEntry, (*_COLUMNS, "previous_sha256", "sha256"), chained)


def seal(session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain up to ``limit`` outbox events into the log, oldest first; returns how many.

    Run inside a transaction: the events leave the outbox in the same commit
    that chains them.  Concurrent sealers (several service processes) take
    turns on an advisory lock.
    """
    if not _uses_outbox(session):
        return 0
    session.execute(text(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK})"))
    pending = session.execute(
        select(
            AuditOutboxEntry.id,
            AuditOutboxEntry.at,
            AuditOutboxEntry.organisation_id,
            AuditOutboxEntry.action,
            AuditOutboxEntry.subject,
            AuditOutboxEntry.detail,
        )
        .order_by(AuditOutboxEntry.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    _chain(
        session,
        [(at, organisation, action, subject, detail) for _, at, organisation, action, subject, detail in pending],
    )
    session.execute(delete(AuditOutboxEntry).where(AuditOutboxEntry.id.in_([row[0] for row in pending])))
    return len(pending)


def seal_all(sessions: sessionmaker[Session]) -> int:
    """Seal until the outbox is empty, one transaction per batch; returns how many were chained."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name != "postgresql":
        return 0  # chained at once on SQLite: nothing ever waits
    total = 0
    while True:
        with sessions() as session, session.begin():
            count = seal(session)
        total += count
        if count < SEAL_BATCH:
            return total


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    first_bad_id: int | None
    reason: str | None
    pending: int = 0  # events in the outbox, not chained yet

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session) -> ChainCheck:
    pending = session.scalar(select(func.count()).select_from(AuditOutboxEntry)) or 0
    previous = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.previous_sha256 != previous:
            return ChainCheck(count, entry.id, "does not follow the previous entry (deleted or reordered)", pending)
        expected = _digest(previous, entry.at, entry.organisation_id, entry.action, entry.subject, entry.detail)
        if entry.sha256 != expected:
            return ChainCheck(count, entry.id, "its content was changed after it was written", pending)
        previous = entry.sha256
    return ChainCheck(count, None, None, pending)
