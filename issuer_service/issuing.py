"""The issuing service's logic, shared by the HTTP API and the admin CLI (no web framework here).

:class:`IssuerService` is the one object both hold; it composes the parts, each in its
own module: :class:`~.issuance.Issuance` (sign, store, read back), :class:`~.revocation.Revocations`,
:class:`~.bulk_jobs.BulkJobs` and :class:`~.health_cards.HealthCards` (SMART Health Cards).
Failures are domain errors (:mod:`.errors`); only the HTTP layer gives them statuses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import DigitalCovidCertificate
from vaxcert.shc import IssuedShc

from . import audit
from .auth import Caller
from .bulk_files import CSV_COLUMNS, parse_rows
from .bulk_jobs import BulkJobs, LeaseLost
from .errors import ServiceError
from .health_cards import HealthCards
from .issuance import Issuance, uvci_namespace
from .metrics import Metrics
from .models import BulkJob, BulkRow, Certificate
from .revocation import Revocations
from .settings import Settings
from .signers import SignerSet
from .store import IssuedRecord, Store

__all__ = [
    "CSV_COLUMNS",
    "IssuedRecord",
    "IssuerService",
    "LeaseLost",
    "ServiceError",
    "parse_rows",
    "uvci_namespace",
]


class IssuerService:
    """Issuance, revocation and bulk jobs over one database and one set of signers."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], signers: SignerSet, metrics: Metrics):
        self.settings = settings
        self.signers = signers
        self.metrics = metrics
        self.store = Store(sessions)
        self.issuance = Issuance(settings, self.store, signers, metrics)
        self.revocations = Revocations(self.store)
        self.bulk_jobs = BulkJobs(settings, self.store, self.issuance, metrics)
        self.health_cards = HealthCards(settings, signers, metrics)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.store.sessions

    @sessions.setter
    def sessions(self, sessions: sessionmaker[Session]) -> None:
        self.store.sessions = sessions

    @property
    def read_sessions(self) -> sessionmaker[Session]:
        return self.store.read_sessions

    def issue(
        self, caller: Caller, payload: DigitalCovidCertificate | dict[str, Any], idempotency_key: str | None = None
    ) -> IssuedRecord:
        return self.issuance.issue(caller, payload, idempotency_key)

    def get(self, caller: Caller, uvci: str, *, audit_as: str = "read") -> IssuedRecord:
        return self.issuance.get(caller, uvci, audit_as=audit_as)

    def shc(self, caller: Caller, uvci: str, *, audit_as: str = "read_shc") -> tuple[IssuedRecord, IssuedShc]:
        """A stored vaccination certificate and its SMART Health Card, signed now (see :mod:`.health_cards`)."""
        record = self.issuance.get(caller, uvci, audit_as=audit_as)
        return record, self.health_cards.card(record)

    def shc_jwks(self) -> dict[str, Any]:
        """The public JWK Set of the SMART Health Card keys (``/.well-known/jwks.json``)."""
        with self.store.read_sessions() as session:
            return self.health_cards.jwks(session)

    def revoke(self, caller: Caller, uvci: str, reason: str) -> IssuedRecord:
        return self.revocations.revoke(caller, uvci, reason)

    def revoked_since(self, since: datetime | None = None) -> list[tuple[str, str, datetime]]:
        return self.revocations.revoked_since(since)

    def create_job(
        self,
        caller: Caller,
        file_name: str,
        data_sha256: str,
        *,
        raw_sha256: str | None = None,
        rows_total: int | None = None,
        upload_id: str | None = None,
    ) -> BulkJob:
        return self.bulk_jobs.create_job(
            caller, file_name, data_sha256, raw_sha256=raw_sha256, rows_total=rows_total, upload_id=upload_id
        )

    def store_upload_chunk(self, upload_id: str, seq: int, data: bytes) -> None:
        self.bulk_jobs.store_upload_chunk(upload_id, seq, data)

    def discard_upload(self, upload_id: str) -> None:
        self.bulk_jobs.discard_upload(upload_id)

    def sweep_uploads(self, older_than: timedelta = timedelta(hours=1)) -> int:
        return self.bulk_jobs.sweep_uploads(older_than)

    def claim_job(self, job_id: int | None = None) -> BulkJob | None:
        return self.bulk_jobs.claim_job(job_id)

    def release_job(self, job_id: int) -> None:
        self.bulk_jobs.release_job(job_id)

    def run_job(self, job: BulkJob, *, batch_size: int = 200, stop: threading.Event | None = None) -> BulkJob:
        return self.bulk_jobs.run_job(job, batch_size=batch_size, stop=stop)

    def bulk(
        self,
        caller: Caller,
        file_name: str,
        data_sha256: str,
        rows: Iterable[tuple[int, dict[str, Any] | str]],
        *,
        raw_sha256: str | None = None,
        rows_total: int | None = None,
        batch_size: int = 200,
        progress: Callable[[BulkJob], None] | None = None,
        workers: int = 1,
    ) -> BulkJob:
        return self.bulk_jobs.bulk(
            caller,
            file_name,
            data_sha256,
            rows,
            raw_sha256=raw_sha256,
            rows_total=rows_total,
            batch_size=batch_size,
            progress=progress,
            workers=workers,
        )

    def job(self, caller: Caller, job_id: int) -> tuple[BulkJob, list[BulkRow]]:
        return self.bulk_jobs.job(caller, job_id)

    def rejected_rows(self, job_id: int) -> list[tuple[int, str]]:
        return self.bulk_jobs.rejected_rows(job_id)

    def seal_audit(self) -> int:
        """Chain waiting audit events into the log (PostgreSQL; a no-op on SQLite)."""
        return audit.seal_all(self.store.sessions)

    def certificate_count(self) -> int:
        with self.store.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Certificate)) or 0)
