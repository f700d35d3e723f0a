"""The append-only, hash-chained audit log.

Each entry's SHA-256 covers its fields and the previous entry's digest, so
editing, deleting or reordering any entry breaks the chain from there on;
``vaxcert-issuer audit verify`` walks it.  Appends are serialised (SQLite's
write lock; a transaction-scoped advisory lock on PostgreSQL), and a unique
constraint on ``previous_sha256`` forbids two entries claiming the same
predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from .models import AuditEntry

GENESIS = "0" * 64


def _digest(previous: str, at: datetime, organisation_id: int | None, action: str, subject: str, detail: str) -> str:
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)  # SQLite returns naive UTC
    body = json.dumps(
        [previous, moment.isoformat(timespec="microseconds"), organisation_id, action, subject, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, organisation_id: int | None, action: str, subject: str, detail: str = "") -> None:
    append_many(session, organisation_id, [(action, subject, detail)])


def append_many(session: Session, organisation_id: int | None, events: list[tuple[str, str, str]]) -> None:
    """Append events (action, subject, detail) in order, inside the caller's transaction."""
    if not events:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242002)"))
    previous = session.scalar(select(AuditEntry.sha256).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    # Microsecond precision is all the database keeps; hash exactly what is stored.
    at = datetime.now(UTC)
    rows = []
    for action, subject, detail in events:
        digest = _digest(previous, at, organisation_id, action, subject[:200], detail)
        rows.append(
            {
                "at": at,
                "organisation_id": organisation_id,
                "action": action,
                "subject": subject[:200],
                "detail": detail,
                "previous_sha256": previous,
                "sha256": digest,
            }
        )
        previous = digest
    session.execute(insert(AuditEntry), rows)


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    first_bad_id: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session) -> ChainCheck:
    previous = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.previous_sha256 != previous:
            return ChainCheck(count, entry.id, "does not follow the previous entry (deleted or reordered)")
        expected = _digest(previous, entry.at, entry.organisation_id, entry.action, entry.subject, entry.detail)
        if entry.sha256 != expected:
            return ChainCheck(count, entry.id, "its content was changed after it was written")
        previous = entry.sha256
    return ChainCheck(count, None, None)
