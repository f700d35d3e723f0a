"""The published trust list and revocation list: signed once per change, served from memory.

Each list keeps its signed bytes with a change marker, a cheap query (a count
and a latest timestamp).  A fetch runs only that query; the list is rebuilt
and re-signed when the marker moved — also when another service process
sharing the database made the change — or when half its validity window has
passed, so a published list never goes stale.  Clients revalidate with
``If-None-Match`` and get 304 while nothing changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import trustlist
from vaxcert.hcert import revocation
from vaxcert.keys import Signer
from vaxcert_apps.files import write_atomically

from . import keyring
from .models import Certificate

log = logging.getLogger("vaxcert.issuer")


@dataclass(frozen=True)
class SignedList:
    data: bytes
    etag: str  # a strong HTTP entity tag, quotes included

    @classmethod
    def of(cls, data: bytes) -> SignedList:
        return cls(data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')

    def matches(self, if_none_match: str | None) -> bool:
        """Whether an ``If-None-Match`` header names this version (RFC 9110 weak comparison)."""
        if not if_none_match:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or self.etag in tags


class CachedList:
    """One signed list, rebuilt when its marker changes or its window is half spent."""

    def __init__(
        self,
        marker: Callable[[Session], Hashable],
        build: Callable[[Session, datetime], tuple[bytes, datetime | None]],
        sessions: sessionmaker[Session],
        hours: float,
    ) -> None:
        self._marker = marker
        self._build = build
        self._sessions = sessions
        self._max_age = hours * 3600 / 2
        self._lock = threading.Lock()
        self._current: SignedList | None = None
        self._current_marker: Hashable = None
        self._built_at = 0.0
        self._expires: datetime | None = None  # the content changes by itself then (a DSC leaves the list)
        self.builds = 0  # how often it was signed, for tests and metrics

    def get(self) -> SignedList:
        with self._sessions() as session:
            marker = self._marker(session)
        current = self._current
        if current is not None and self._fresh(marker):
            return current
        with self._lock:  # one rebuild at a time; waiters take its result
            if self._current is not None and self._fresh(marker):
                return self._current
            with self._sessions() as session:
                marker = self._marker(session)  # what the content built below reflects, at least
                now = datetime.now(UTC).replace(microsecond=0)
                data, expires = self._build(session, now)
            self._current, self._current_marker = SignedList.of(data), marker
            self._built_at, self._expires = time.monotonic(), expires
            self.builds += 1
            return self._current

    def _fresh(self, marker: Hashable) -> bool:
        if marker != self._current_marker or time.monotonic() - self._built_at > self._max_age:
            return False
        return self._expires is None or datetime.now(UTC) < self._expires


def _window(now: datetime, hours: float) -> tuple[int, datetime, datetime]:
    return int(now.timestamp()), now, now + timedelta(hours=hours)


def trust_list(
    sessions: sessionmaker[Session], signer: Signer, hours: float, publish_to: Path | None = None
) -> CachedList:
    """Every active DSC and every retired one with unexpired certificates (see :func:`keyring.published`)."""

    def build(session: Session, now: datetime) -> tuple[bytes, datetime | None]:
        listed = keyring.published(session, now)
        entries = [
            trustlist.TrustListEntry.for_certificate(r.certificate.country or "VN", r.certificate)
            for r in listed.records
        ]
        sequence, issued, next_update = _window(now, hours)
        signed = trustlist.sign(
            trustlist.build(entries, sequence=sequence, issued_at=issued, next_update=next_update), signer
        )
        if publish_to is not None:
            write_atomically(publish_to, signed)
        log.info("trust list #%d signed: %d DSCs", sequence, len(entries))
        return signed, listed.next_change

    return CachedList(keyring.change_marker, build, sessions, hours)


def revocation_marker(session: Session) -> tuple[int, datetime | None]:
    count, latest = session.execute(
        select(func.count(), func.max(Certificate.revoked_at)).where(Certificate.revoked_at.is_not(None))
    ).one()
    return int(count or 0), latest


def revocation_list(sessions: sessionmaker[Session], signer: Signer, hours: float) -> CachedList:
    """Every revoked certificate, under all three EU hash types."""

    def build(session: Session, now: datetime) -> tuple[bytes, datetime | None]:
        entries: list[tuple[bytes, revocation.HashType, bytes]] = []
        for (hc1,) in session.execute(select(Certificate.hc1).where(Certificate.revoked_at.is_not(None))):
            kid, hashes = revocation.hashes_for_code(hc1)
            entries.extend((kid or b"", hash_type, value) for hash_type, value in hashes.items())
        sequence, issued, next_update = _window(now, hours)
        listed = revocation.build(entries, sequence=sequence, issued_at=issued, next_update=next_update)
        return revocation.sign(listed, signer), None

    return CachedList(revocation_marker, build, sessions, hours)
