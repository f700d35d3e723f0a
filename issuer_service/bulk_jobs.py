"""Bulk jobs: a file of rows issued in batches under a lease any service instance or the CLI can hold."""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import audit, bulk_workers
from .auth import Caller
from .bulk_files import Rows, parse_rows
from .bulk_workers import Row, RowOutcome, SignedRow, sign_row
from .errors import Conflict, NotFound, ServiceError, Unavailable
from .issuance import Issuance
from .metrics import Metrics
from .models import BulkJob, BulkRow, BulkUpload, Certificate, Organisation
from .settings import Settings
from .store import Store, as_utc, insert_rows

log = logging.getLogger("vaxcert.issuer")
# The certificates columns a bulk batch writes: the organisation, then a SignedRow's fields.
_CERTIFICATE_COLUMNS = ("organisation_id", *SignedRow._fields)


class LeaseLost(Exception):
    """Another runner took this bulk job over (our lease expired); it carries on, we stop."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"bulk job {job_id}: lease lost")
        self.job_id = job_id


class BulkJobs:
    """Create, claim, run and report bulk jobs; rows are signed by :class:`Issuance`."""

    def __init__(self, settings: Settings, store: Store, issuance: Issuance, metrics: Metrics) -> None:
        self.store = store
        self.issuance = issuance
        self.metrics = metrics
        # Names this runner in bulk job leases: host and process, to tell a dead local runner's lease.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = timedelta(seconds=settings.bulk_lease_seconds)

    # ------------------------------------------------------------------ bulk
    #
    # A bulk job is a file of rows, identified by the organisation and the digest of the
    # file's normalised form.  Whoever runs it (a service instance's runner, or the CLI)
    # holds its lease: lease_owner and lease_expires_at in bulk_jobs.  Every batch commits
    # only while its runner still holds the lease (the commit's UPDATE checks the owner and
    # renews the lease), so a runner that lost its lease can never add rows, and a job
    # taken over after a crash resumes from the rows committed so far: no loss, no duplicate.

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
        """Find or create the job for a file; attach ``upload_id`` (stored chunks) if the job needs it.

        An upload the job does not need (it has one, or it is finished) is deleted.
        """
        digests = {data_sha256, raw_sha256 or data_sha256}
        with self.store.transaction() as session:
            job = session.scalar(
                select(BulkJob)
                .where(BulkJob.organisation_id == caller.organisation_id, BulkJob.file_sha256.in_(digests))
                .order_by(BulkJob.id)
                .limit(1)
            )
            unused = upload_id
            if job is None:
                job = BulkJob(
                    organisation_id=caller.organisation_id,
                    file_name=file_name[:300],
                    file_sha256=data_sha256,
                    status="running",
                    rows_done=0,
                    rows_issued=0,
                    rows_rejected=0,
                    rows_total=rows_total,
                    upload_id=upload_id,
                    created_at=datetime.now(UTC),
                )
                session.add(job)
                session.flush()
                unused = None
                audit.append(session, caller.organisation_id, "bulk_started", f"job {job.id}", file_name[:200])
            elif job.status != "finished":
                if job.status == "failed":  # sent again: try again (the reason may have been fixed)
                    job.status, job.failure, job.finished_at = "running", None, None
                    audit.append(session, caller.organisation_id, "bulk_restarted", f"job {job.id}")
                if job.rows_total is None:
                    job.rows_total = rows_total
                if upload_id is not None and job.upload_id is None:
                    job.upload_id, unused = upload_id, None
            if unused is not None:
                session.execute(delete(BulkUpload).where(BulkUpload.upload_id == unused))
            return job

    def store_upload_chunk(self, upload_id: str, seq: int, data: bytes) -> None:
        with self.store.transaction() as session:
            session.execute(
                insert(BulkUpload).values(upload_id=upload_id, seq=seq, data=data, created_at=datetime.now(UTC))
            )

    def discard_upload(self, upload_id: str) -> None:
        with self.store.transaction() as session:
            session.execute(delete(BulkUpload).where(BulkUpload.upload_id == upload_id))

    def sweep_uploads(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Delete stored uploads no unfinished job needs, once nothing was added to them for a while.

        Uploads whose client went away, and those of jobs that ended while their
        runner crashed before deleting them.  An upload still arriving (on any
        instance) got a chunk recently and is left alone.
        """
        cutoff = datetime.now(UTC) - older_than
        needed = select(BulkJob.upload_id).where(BulkJob.status == "running", BulkJob.upload_id.is_not(None))
        stale = (
            select(BulkUpload.upload_id).group_by(BulkUpload.upload_id).having(func.max(BulkUpload.created_at) < cutoff)
        )
        with self.store.transaction() as session:
            result = session.execute(
                delete(BulkUpload).where(BulkUpload.upload_id.in_(stale), BulkUpload.upload_id.not_in(needed))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def claim_job(self, job_id: int | None = None) -> BulkJob | None:
        """Take the lease of an unfinished job (the oldest one, or ``job_id``); None if none is free.

        PostgreSQL: candidates are read with ``FOR UPDATE SKIP LOCKED`` so
        instances do not queue on each other's rows; the claim itself is a
        conditional UPDATE (free, expired, ours or a dead local process's
        lease), which is also what makes it safe on SQLite.
        """
        now = datetime.now(UTC)
        with self.store.transaction() as session:
            query = select(BulkJob.id, BulkJob.lease_owner, BulkJob.lease_expires_at).where(BulkJob.status == "running")
            query = (
                query.where(BulkJob.id == job_id) if job_id is not None else query.where(BulkJob.upload_id.is_not(None))
            )
            candidates = session.execute(query.order_by(BulkJob.id).limit(20).with_for_update(skip_locked=True)).all()
            for candidate, owner, expires in candidates:
                if not self._lease_free(owner, expires, now):
                    continue
                condition = BulkJob.lease_owner.is_(None) if owner is None else BulkJob.lease_owner == owner
                claimed = session.execute(
                    update(BulkJob)
                    .where(BulkJob.id == candidate, BulkJob.status == "running", condition)
                    .values(lease_owner=self.owner, lease_expires_at=now + self.lease)
                )
                if getattr(claimed, "rowcount", 0) == 1:
                    job = session.get(BulkJob, candidate)
                    assert job is not None
                    session.refresh(job)
                    return job
        return None

    def _lease_free(self, owner: str | None, expires: datetime | None, now: datetime) -> bool:
        if owner is None or owner == self.owner or expires is None or as_utc(expires) < now:
            return True
        return _dead_local_owner(owner)

    def release_job(self, job_id: int) -> None:
        """Give the lease back (shutting down): another instance may take the job at once."""
        with self.store.transaction() as session:
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, BulkJob.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None)
            )

    def run_job(self, job: BulkJob, *, batch_size: int = 200, stop: threading.Event | None = None) -> BulkJob:
        """Run a claimed job from its stored upload (any instance can: the upload is in the database)."""
        if job.upload_id is None:
            raise Conflict("bulk_no_upload", "this job's rows are not stored; run its file again")
        with self.store.read_sessions() as session:
            organisation = session.get(Organisation, job.organisation_id)
            assert organisation is not None
        caller = Caller(organisation.id, organisation.name, "bulk", frozenset({"issue"}))
        upload_id = job.upload_id

        def rows() -> Iterator[tuple[int, dict[str, Any] | str]]:
            raw = io.BufferedReader(_UploadReader(self.store.read_sessions, upload_id), buffer_size=1 << 20)
            with io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="") as text:
                yield from parse_rows(iter(text), job.file_name)

        return self._guarded_run(caller, job.id, rows(), batch_size=batch_size, progress=None, stop=stop)

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
        """Issue every row of a local file; re-running the same file resumes where the last run stopped.

        Each batch of rows is one transaction: certificates, per-row results and
        audit entries commit together, so a crash loses only unacknowledged
        work, which the next run redoes, and never duplicates a certificate.
        Rows given as text are errors found while parsing (reported, not issued).
        A job some other live runner holds is refused (:class:`Conflict` ``bulk_job_busy``).
        ``workers`` > 1 validates and signs in that many processes (see :mod:`.bulk_workers`);
        this process still writes every batch, in file order.
        """
        job = self.create_job(caller, file_name, data_sha256, raw_sha256=raw_sha256, rows_total=rows_total)
        if job.status == "finished":
            return job
        claimed = self.claim_job(job.id)
        if claimed is None:
            raise Conflict("bulk_job_busy", f"job {job.id} is being run by another process; its lease expires soon")
        return self._guarded_run(
            caller, job.id, rows, batch_size=batch_size, progress=progress, stop=None, workers=workers
        )

    def _guarded_run(
        self,
        caller: Caller,
        job_id: int,
        rows: Iterable[tuple[int, dict[str, Any] | str]],
        *,
        batch_size: int,
        progress: Callable[[BulkJob], None] | None,
        stop: threading.Event | None,
        workers: int = 1,
    ) -> BulkJob:
        """Run a job whose lease we hold; whatever goes wrong, the job does not stay 'running' for ever.

        An outage (HSM or database: :class:`Unavailable`) leaves it running, to be resumed; a lost
        lease means another runner has it; anything else fails the job with a
        reason.  Only the exception's type is logged: its text may quote a row.
        """
        try:
            return self._run(caller, job_id, rows, batch_size=batch_size, progress=progress, stop=stop, workers=workers)
        except (LeaseLost, ServiceError):
            raise
        except csv.Error as exc:
            reason = f"bulk.unreadable_file: the file cannot be read as CSV ({exc})"
        except Exception as exc:  # any bug or surprise must end the job, not leave it running
            log.error("bulk job %d failed: %s", job_id, type(exc).__name__)
            reason = f"bulk.internal_error: the job stopped on an internal error ({type(exc).__name__})"
        return self._fail(caller, job_id, reason)

    def _run(
        self,
        caller: Caller,
        job_id: int,
        rows: Iterable[tuple[int, dict[str, Any] | str]],
        *,
        batch_size: int,
        progress: Callable[[BulkJob], None] | None,
        stop: threading.Event | None,
        workers: int = 1,
    ) -> BulkJob:
        with self.store.read_sessions() as session:
            done = set(session.scalars(select(BulkRow.row_number).where(BulkRow.job_id == job_id)))
            current = session.get(BulkJob, job_id)
            assert current is not None
        job = current
        batch: list[tuple[int, RowOutcome]] = []
        renewed = time.monotonic()
        stopped = False

        def flush() -> None:
            nonlocal job, renewed
            if batch:
                job = self._commit_batch(caller, job_id, batch)
                renewed = time.monotonic()
                batch.clear()
                if progress:
                    progress(job)

        def todo() -> Iterator[Row]:
            """The rows not yet committed; renews the lease while skipping many committed ones."""
            nonlocal renewed, stopped
            # NDJSON lines go unparsed to whoever signs them (see Rows.unparsed).
            source: Iterable[Row] = rows.unparsed() if isinstance(rows, Rows) else rows
            for number, row in source:
                if stop is not None and stop.is_set():
                    stopped = True
                    return
                if number in done:
                    if time.monotonic() - renewed > self.lease.total_seconds() / 3:
                        self._renew(job_id)
                        renewed = time.monotonic()
                    continue
                yield number, row

        if workers > 1:
            plan = bulk_workers.plan(self.issuance.settings, self.store, self.issuance.signers, caller)
            outcomes = bulk_workers.signed_rows(plan, todo(), workers, in_flight_rows=2 * batch_size)
        else:
            outcomes = self._signed_here(caller, todo())
        # Outcomes arrive in file order whoever signed them; only this process writes.
        with contextlib.closing(outcomes):
            for number, outcome in outcomes:
                if isinstance(outcome, Unavailable):  # HSM or worker gone: keep what was signed, resume later
                    flush()
                    raise outcome
                batch.append((number, outcome))
                if len(batch) >= batch_size:
                    flush()
        if stopped:
            flush()
            self.release_job(job_id)
            return job
        flush()
        with self.store.transaction() as session:
            self._fence(session, job_id)
            stored = session.get(BulkJob, job_id)
            assert stored is not None
            stored.status = "finished"
            stored.finished_at = datetime.now(UTC)
            stored.lease_owner = stored.lease_expires_at = None
            if stored.upload_id is not None:
                session.execute(delete(BulkUpload).where(BulkUpload.upload_id == stored.upload_id))
                stored.upload_id = None
            audit.append(
                session,
                caller.organisation_id,
                "bulk_finished",
                f"job {job_id}",
                f"issued={stored.rows_issued} rejected={stored.rows_rejected}",
            )
            return stored

    def _signed_here(self, caller: Caller, rows: Iterable[Row]) -> Generator[tuple[int, RowOutcome], None, None]:
        """Rows' outcomes signed in this process, one at a time (the service's runner, ``--workers 1``)."""
        for number, row in rows:
            yield number, sign_row(self.issuance, caller, row)

    def _fail(self, caller: Caller, job_id: int, reason: str) -> BulkJob:
        with self.store.transaction() as session:
            self._fence(session, job_id)
            stored = session.get(BulkJob, job_id)
            assert stored is not None
            stored.status = "failed"
            stored.failure = reason
            stored.finished_at = datetime.now(UTC)
            stored.lease_owner = stored.lease_expires_at = None
            if stored.upload_id is not None:  # the upload's lifetime is the job's
                session.execute(delete(BulkUpload).where(BulkUpload.upload_id == stored.upload_id))
                stored.upload_id = None
            audit.append(session, caller.organisation_id, "bulk_failed", f"job {job_id}", reason[:200])
            return stored

    def _fence(self, session: Session, job_id: int, **values: Any) -> None:
        """Renew our lease inside the caller's transaction, or abort it: the lease went to another runner."""
        result = session.execute(
            update(BulkJob)
            .where(BulkJob.id == job_id, BulkJob.lease_owner == self.owner, BulkJob.status == "running")
            .values(lease_expires_at=datetime.now(UTC) + self.lease, **values)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LeaseLost(job_id)

    def _renew(self, job_id: int) -> None:
        with self.store.transaction() as session:
            self._fence(session, job_id)

    def _commit_batch(self, caller: Caller, job_id: int, batch: list[tuple[int, RowOutcome]]) -> BulkJob:
        for _ in range(3):  # a UVCI inserted concurrently by someone else: check again and retry
            try:
                return self._try_commit_batch(caller, job_id, batch)
            except IntegrityError:
                continue
        raise Unavailable("database_conflict", "a batch kept conflicting with concurrent writes; resume later")

    def _try_commit_batch(self, caller: Caller, job_id: int, batch: list[tuple[int, RowOutcome]]) -> BulkJob:
        with self.store.transaction() as session:
            # The job row first: on PostgreSQL this locks it, so a claim by another runner waits
            # for this commit, then finds the lease renewed.
            self._fence(session, job_id)
            wanted = [outcome.uvci for _, outcome in batch if not isinstance(outcome, ServiceError)]
            taken = _existing_uvcis(session, wanted)
            organisation_id = caller.organisation_id
            # Tuples in the columns' order, straight to the driver: per-row ORM or Core parameter
            # handling cost the writer more than SQLite's own work.
            certificates: list[tuple[Any, ...]] = []
            results: list[tuple[int, int, str | None, str | None]] = []
            events: list[tuple[str, str, str]] = []
            issued_types: dict[str, int] = {}
            for number, outcome in batch:
                if not isinstance(outcome, ServiceError):
                    if outcome.uvci in taken:
                        # A 'ci' given twice in the file, or already issued: this row's failure only.
                        outcome = Conflict("uvci_taken", "ci: a certificate with this UVCI already exists")
                    else:
                        taken.add(outcome.uvci)
                if isinstance(outcome, ServiceError):
                    results.append((job_id, number, None, f"{outcome.code}: {outcome.message}"))
                    continue
                uvci, kind = outcome.uvci, outcome.certificate_type
                certificates.append((organisation_id, *outcome))
                results.append((job_id, number, uvci, None))
                events.append(("issue", uvci, f"type={kind} bulk job {job_id} row {number}"))
                issued_types[kind] = issued_types.get(kind, 0) + 1
            # One executemany per table: a batch of certificates, their row results and
            # their audit entries commit together, or not at all.
            insert_rows(session, Certificate, _CERTIFICATE_COLUMNS, certificates)
            insert_rows(session, BulkRow, ("job_id", "row_number", "uvci", "error"), results)
            audit.append_many(session, organisation_id, events, batch=True)
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id)
                .values(
                    rows_done=BulkJob.rows_done + len(batch),
                    rows_issued=BulkJob.rows_issued + len(certificates),
                    rows_rejected=BulkJob.rows_rejected + len(batch) - len(certificates),
                )
            )
            job = session.get(BulkJob, job_id)
            assert job is not None
            session.refresh(job)
        for kind, count in issued_types.items():
            self.metrics.issued.labels(type=kind, organisation=caller.organisation_name).inc(count)
        return job

    def job(self, caller: Caller, job_id: int) -> tuple[BulkJob, list[BulkRow]]:
        with self.store.read_sessions() as session:
            job = session.get(BulkJob, job_id)
            if job is None or job.organisation_id != caller.organisation_id:
                raise NotFound("not_found", "no such bulk job for this organisation")
            rows = list(session.scalars(select(BulkRow).where(BulkRow.job_id == job_id).order_by(BulkRow.row_number)))
            return job, rows

    def rejected_rows(self, job_id: int) -> list[tuple[int, str]]:
        """(row number, error) of a job's rejected rows, in file order."""
        with self.store.read_sessions() as session:
            found = session.execute(
                select(BulkRow.row_number, BulkRow.error)
                .where(BulkRow.job_id == job_id, BulkRow.error.is_not(None))
                .order_by(BulkRow.row_number)
            )
            return [(number, error or "") for number, error in found]


def _existing_uvcis(session: Session, wanted: list[str]) -> set[str]:
    """Which of ``wanted`` are stored already; PostgreSQL gets them as one array, not a parameter each."""
    if not wanted:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        condition = Certificate.uvci == any_(bindparam("wanted", wanted, type_=ARRAY(String)))
    else:
        condition = Certificate.uvci.in_(wanted)
    return set(session.scalars(select(Certificate.uvci).where(condition)))


def _dead_local_owner(owner: str) -> bool:
    """Whether a lease belongs to a process of this host that no longer runs (killed, crashed).

    Its lease need not run out: taking it over at once is safe, since a runner
    that is in fact alive loses its next commit to the lease check.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: dead too
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class _UploadReader(io.RawIOBase):
    """A stored upload's chunks as one readable stream, fetched one chunk at a time."""

    def __init__(self, sessions: sessionmaker[Session], upload_id: str) -> None:
        self._sessions = sessions
        self._upload_id = upload_id
        self._seq = 0
        self._chunk = b""
        self._offset = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._chunk):
            if self._ended:
                return 0
            with self._sessions() as session:
                data = session.scalar(
                    select(BulkUpload.data).where(BulkUpload.upload_id == self._upload_id, BulkUpload.seq == self._seq)
                )
            if data is None:
                self._ended = True
                return 0
            self._chunk, self._offset, self._seq = bytes(data), 0, self._seq + 1
        size = min(len(buffer), len(self._chunk) - self._offset)
        buffer[:size] = self._chunk[self._offset : self._offset + size]
        self._offset += size
        return size
