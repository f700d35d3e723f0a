"""The issuing service's logic, shared by the HTTP API and the admin CLI (no web framework here).

Order of work for one certificate: validate, sign (outside any database
transaction, so a slow or failing HSM holds no locks), then write the
certificate, its idempotency record and its audit entry in ONE transaction.
Either everything is stored or nothing is; a certificate is acknowledged to
the caller only after that commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import DigitalCovidCertificate, KeyProviderError, VaxcertError, issue, uvci
from vaxcert.pipeline import describe_validation_error

from . import audit, db
from .auth import Caller
from .metrics import Metrics
from .models import BulkJob, BulkRow, Certificate, IdempotencyRecord, Organisation
from .settings import Settings
from .signers import SignerSet


class ServiceError(Exception):
    """An error with an HTTP status and a stable code, raised by the service logic."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class IssuedRecord:
    uvci: str
    hc1: str
    certificate_type: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    replayed: bool = False

    @classmethod
    def of(cls, row: Certificate, replayed: bool = False) -> IssuedRecord:
        return cls(
            row.uvci,
            row.hc1,
            row.certificate_type,
            _utc(row.issued_at),
            _utc(row.expires_at),
            _utc(row.revoked_at) if row.revoked_at else None,
            row.revocation_reason,
            replayed,
        )


def request_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class IssuerService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], signers: SignerSet, metrics: Metrics):
        self.settings = settings
        self.sessions = sessions
        self.signers = signers
        self.metrics = metrics
        bind = sessions.kw.get("bind")
        self.write_gate = db.WriteGate(bind)
        self.read_sessions = db.read_only_factory(bind) if bind is not None else sessions
        self._prefixes: dict[int, str] = {}

    # ------------------------------------------------------------------ single issuance

    def _sign(self, caller: Caller, payload: DigitalCovidCertificate | dict[str, Any]) -> Any:
        model = payload if isinstance(payload, DigitalCovidCertificate) else _validate(payload)
        model = self._in_namespace(caller, model)
        signer = self.signers.for_type(model.certificate_type)
        started = time.perf_counter()
        try:
            issued = issue(
                model,
                signer,
                issuer_country=self.settings.issuer_country,
                validity=timedelta(days=self.settings.validity_days),
            )
        except KeyProviderError as exc:
            self.metrics.errors.labels(stage="keys").inc()
            raise ServiceError(503, "hsm_unavailable", f"the signing key is unavailable: {exc.message}") from None
        except VaxcertError as exc:
            self.metrics.errors.labels(stage=exc.stage).inc()
            raise ServiceError(422, exc.code, exc.message) from None
        finally:
            self.metrics.signing_seconds.observe(time.perf_counter() - started)
        return issued

    def _in_namespace(self, caller: Caller, model: DigitalCovidCertificate) -> DigitalCovidCertificate:
        """The model with a fresh UVCI of the caller's namespace, or its own UVCI if that lies inside it.

        A UVCI outside the namespace is refused before the database is asked
        about it, so no answer tells a caller whether another organisation's
        UVCI exists.
        """
        prefix = self._uvci_prefix(caller)
        if model.uvci is None:
            return model.with_uvci(uvci.generate(self.settings.issuer_country, prefix))
        namespace = uvci_namespace(self.settings, prefix)
        if not model.uvci.startswith(namespace):
            self.metrics.errors.labels(stage="issue").inc()
            raise ServiceError(
                422,
                "uvci_outside_namespace",
                f"{model.certificate_type}.0.ci: a UVCI this organisation supplies must start with {namespace} "
                "(its namespace); leave ci out to have one generated",
            )
        return model

    def _uvci_prefix(self, caller: Caller) -> str:
        if caller.uvci_prefix:
            return caller.uvci_prefix
        # Callers built without a prefix (the admin CLI's bulk command): the organisation row has it.
        prefix = self._prefixes.get(caller.organisation_id)
        if prefix is None:
            with self.read_sessions() as session:
                prefix = session.scalar(
                    select(Organisation.uvci_prefix).where(Organisation.id == caller.organisation_id)
                )
            if not prefix:
                raise ServiceError(403, "forbidden", "the organisation of this key no longer exists")
            self._prefixes[caller.organisation_id] = prefix
        return prefix

    def issue(
        self, caller: Caller, payload: DigitalCovidCertificate | dict[str, Any], idempotency_key: str | None = None
    ) -> IssuedRecord:
        if isinstance(payload, DigitalCovidCertificate):
            digest = request_digest(payload.model_dump(mode="json", by_alias=True, exclude_none=True))
        else:
            digest = request_digest(payload)
        if idempotency_key:
            existing = self._replay(caller, idempotency_key, digest)
            if existing is not None:
                return existing
        supplied = (
            payload.uvci if isinstance(payload, DigitalCovidCertificate) else _supplied_uvci(payload)
        ) is not None
        for _ in range(3):  # a generated UVCI colliding is astronomically rare; retry anyway
            issued = self._sign(caller, payload)
            try:
                with self._transaction() as session:
                    row = self._store(session, caller, issued)
                    if idempotency_key:
                        session.add(
                            IdempotencyRecord(
                                organisation_id=caller.organisation_id,
                                key=idempotency_key,
                                request_sha256=digest,
                                uvci=row.uvci,
                            )
                        )
                    audit.append(session, caller.organisation_id, "issue", row.uvci, f"type={row.certificate_type}")
            except IntegrityError:
                if idempotency_key:
                    existing = self._replay(caller, idempotency_key, digest)
                    if existing is not None:  # a concurrent retry with the same key won the race
                        return existing
                if supplied:  # inside the caller's own namespace: only its own certificates can collide
                    raise ServiceError(
                        409,
                        "uvci_exists",
                        f"{issued.certificate_type}.0.ci: a certificate with this UVCI exists; each needs its own",
                    ) from None
                continue
            self.metrics.issued.labels(type=row.certificate_type, organisation=caller.organisation_name).inc()
            return IssuedRecord.of(row)
        raise ServiceError(500, "uvci_collision", "could not allocate a unique UVCI")

    def _replay(self, caller: Caller, key: str, digest: str) -> IssuedRecord | None:
        with self._transaction() as session:
            record = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.organisation_id == caller.organisation_id, IdempotencyRecord.key == key
                )
            )
            if record is None:
                return None
            if record.request_sha256 != digest:
                raise ServiceError(
                    409, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
                )
            row = session.get(Certificate, record.uvci)
            assert row is not None
            return IssuedRecord.of(row, replayed=True)

    def _store(self, session: Session, caller: Caller, issued: Any) -> Certificate:
        values = _certificate_values(caller, issued)
        # A Core INSERT, not session.add(): the ORM's unit of work costs more than
        # the signature, and this runs while holding the (SQLite) write lock.
        session.execute(insert(Certificate).values(**values))
        return Certificate(**values)

    def _transaction(self) -> Any:
        return _Transaction(self.sessions, self.write_gate)

    # ------------------------------------------------------------------ reads and revocation

    def get(self, caller: Caller, uvci: str, *, audit_as: str = "read") -> IssuedRecord:
        with self._transaction() as session:
            row = session.get(Certificate, uvci)
            if row is None or row.organisation_id != caller.organisation_id:
                raise ServiceError(404, "not_found", "no such certificate for this organisation")
            audit.append(session, caller.organisation_id, audit_as, uvci)
            return IssuedRecord.of(row)

    def revoke(self, caller: Caller, uvci: str, reason: str) -> IssuedRecord:
        with self._transaction() as session:
            row = session.get(Certificate, uvci)
            if row is None or row.organisation_id != caller.organisation_id:
                raise ServiceError(404, "not_found", "no such certificate for this organisation")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
                row.revocation_reason = reason
                audit.append(session, caller.organisation_id, "revoke", uvci, reason)
            return IssuedRecord.of(row)

    def revoked_since(self, since: datetime | None = None) -> list[tuple[str, str, datetime]]:
        """(uvci, hc1, revoked_at) of revoked certificates, for the revocation-list publisher."""
        with self.sessions() as session:
            query = select(Certificate.uvci, Certificate.hc1, Certificate.revoked_at).where(
                Certificate.revoked_at.is_not(None)
            )
            if since is not None:
                query = query.where(Certificate.revoked_at > since)
            return [(u, h, _utc(r)) for u, h, r in session.execute(query)]

    # ------------------------------------------------------------------ bulk

    def bulk(
        self,
        caller: Caller,
        file_name: str,
        data_sha256: str,
        rows: Iterable[tuple[int, dict[str, Any] | str]],
        *,
        batch_size: int = 200,
        progress: Callable[[BulkJob], None] | None = None,
    ) -> BulkJob:
        """Issue every row; re-running the same file resumes where the last run stopped.

        Each batch of rows is one transaction: certificates, per-row results and
        audit entries commit together, so a crash loses only unacknowledged
        work, which the next run redoes, and never duplicates a certificate.
        Rows given as text are errors found while parsing (reported, not issued).
        """
        job = self._job(caller, file_name, data_sha256)
        with self.sessions() as session:
            done = set(session.scalars(select(BulkRow.row_number).where(BulkRow.job_id == job.id)))
        batch: list[tuple[int, Any]] = []

        def flush() -> None:
            nonlocal job
            if batch:
                job = self._commit_batch(caller, job.id, batch)
                batch.clear()
                if progress:
                    progress(job)

        for number, row in rows:
            if number in done:
                continue
            if isinstance(row, str):
                batch.append((number, ServiceError(422, "bad_row", row)))
            else:
                try:
                    batch.append((number, self._sign(caller, row)))
                except ServiceError as exc:
                    if exc.status == 503:
                        flush()
                        raise
                    batch.append((number, exc))
            if len(batch) >= batch_size:
                flush()
        flush()
        with self._transaction() as session:
            stored = session.get(BulkJob, job.id)
            assert stored is not None
            stored.status = "finished"
            stored.finished_at = datetime.now(UTC)
            audit.append(
                session,
                caller.organisation_id,
                "bulk_finished",
                f"job {job.id}",
                f"issued={stored.rows_issued} rejected={stored.rows_rejected}",
            )
            return stored

    def _job(self, caller: Caller, file_name: str, data_sha256: str) -> BulkJob:
        with self._transaction() as session:
            job = session.scalar(
                select(BulkJob).where(
                    BulkJob.organisation_id == caller.organisation_id, BulkJob.file_sha256 == data_sha256
                )
            )
            if job is None:
                job = BulkJob(
                    organisation_id=caller.organisation_id,
                    file_name=file_name[:300],
                    file_sha256=data_sha256,
                    status="running",
                    rows_done=0,
                    rows_issued=0,
                    rows_rejected=0,
                    created_at=datetime.now(UTC),
                )
                session.add(job)
                session.flush()
                audit.append(session, caller.organisation_id, "bulk_started", f"job {job.id}", file_name[:200])
            else:
                job.status = "running"
            return job

    def _commit_batch(self, caller: Caller, job_id: int, batch: list[tuple[int, Any]]) -> BulkJob:
        certificates: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        events: list[tuple[str, str, str]] = []
        for number, outcome in batch:
            if isinstance(outcome, ServiceError):
                results.append(
                    {
                        "job_id": job_id,
                        "row_number": number,
                        "uvci": None,
                        "error": f"{outcome.code}: {outcome.message}",
                    }
                )
                continue
            certificates.append(_certificate_values(caller, outcome))
            results.append({"job_id": job_id, "row_number": number, "uvci": outcome.uvci, "error": None})
            events.append(("issue", outcome.uvci, f"type={outcome.certificate_type} bulk job {job_id} row {number}"))
        with self._transaction() as session:
            # One multi-row INSERT per table: a batch of certificates, their row results and
            # their audit entries commit together, or not at all.
            if certificates:
                session.execute(insert(Certificate), certificates)
            session.execute(insert(BulkRow), results)
            audit.append_many(session, caller.organisation_id, events)
            job = session.get(BulkJob, job_id)
            assert job is not None
            job.rows_done += len(batch)
            job.rows_issued += len(certificates)
            job.rows_rejected += len(batch) - len(certificates)
        for certificate in certificates:
            self.metrics.issued.labels(
                type=certificate["certificate_type"], organisation=caller.organisation_name
            ).inc()
        return job

    def job(self, caller: Caller, job_id: int) -> tuple[BulkJob, list[BulkRow]]:
        with self.sessions() as session:
            job = session.get(BulkJob, job_id)
            if job is None or job.organisation_id != caller.organisation_id:
                raise ServiceError(404, "not_found", "no such bulk job for this organisation")
            rows = list(session.scalars(select(BulkRow).where(BulkRow.job_id == job_id).order_by(BulkRow.row_number)))
            return job, rows

    def seal_audit(self) -> int:
        """Chain waiting audit events into the log (PostgreSQL; a no-op on SQLite)."""
        return audit.seal_all(self.sessions)

    def certificate_count(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Certificate)) or 0)


class _Transaction:
    """A write transaction; database outages become a clear 503."""

    def __init__(self, sessions: sessionmaker[Session], gate: db.WriteGate) -> None:
        self._session = sessions()
        self._context: Any = None
        self._gate = gate

    def __enter__(self) -> Session:
        self._gate.__enter__()
        try:
            self._context = self._session.begin()
            self._context.__enter__()
        except OperationalError as exc:
            self._session.close()
            self._gate.__exit__()
            raise ServiceError(503, "database_unavailable", f"the database is unavailable ({exc.orig})") from None
        return self._session

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        try:
            self._context.__exit__(kind, value, tb)
        except OperationalError as exc:
            raise ServiceError(503, "database_unavailable", f"the database is unavailable ({exc.orig})") from None
        finally:
            self._session.close()
            self._gate.__exit__()
        if isinstance(value, OperationalError):
            raise ServiceError(503, "database_unavailable", f"the database is unavailable ({value.orig})") from None


def _certificate_values(caller: Caller, issued: Any) -> dict[str, Any]:
    """The ``certificates`` row for a freshly issued certificate (vaxcert.IssuedCertificate)."""
    return {
        "uvci": issued.uvci,
        "organisation_id": caller.organisation_id,
        "certificate_type": issued.certificate_type,
        "hc1": issued.text,
        "kid": issued.kid.hex(),
        "issued_at": issued.issued_at,
        "expires_at": issued.expires_at,
    }


def uvci_namespace(settings: Settings, uvci_prefix: str) -> str:
    """What every UVCI of the organisation with ``uvci_prefix`` starts with."""
    namespace: str = uvci.namespace(settings.issuer_country, uvci_prefix)
    return namespace


def _supplied_uvci(payload: dict[str, Any]) -> Any:
    for group in ("v", "t", "r"):
        entries = payload.get(group)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            return entries[0].get("ci")
    return None


def _validate(payload: dict[str, Any]) -> DigitalCovidCertificate:
    try:
        return DigitalCovidCertificate.model_validate(payload)
    except ValidationError as exc:
        raise ServiceError(422, "schema.invalid", describe_validation_error(exc)) from None


# ---------------------------------------------------------------------- bulk file formats

CSV_COLUMNS = ("fn", "gn", "dob", "tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is")


def parse_rows(lines: Iterator[str], file_name: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Rows of an NDJSON file (one DCC payload per line) or a CSV of vaccinations (see spec/bulk.md)."""
    first = next(lines, None)
    if first is None:
        return
    if first.lstrip().startswith("{") or file_name.endswith((".ndjson", ".jsonl")):
        yield from _ndjson(first, lines)
    else:
        yield from _csv(first, lines)


def _ndjson(first: str, lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    if first.strip():
        yield 1, _json_row(first)
    for number, line in enumerate(lines, start=2):
        if line.strip():
            yield number, _json_row(line)


def _json_row(line: str) -> dict[str, Any] | str:
    try:
        value = json.loads(line)
    except ValueError as exc:  # not JSON, or a number beyond Python's digit limit
        return f"not valid JSON: {exc}"
    return value if isinstance(value, dict) else "a row must be a JSON object"


def _csv(header_line: str, lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    header = next(csv.reader(io.StringIO(header_line)))
    missing = [column for column in CSV_COLUMNS if column not in header and column not in ("tg", "co", "is")]
    if missing:
        yield 1, f"the CSV header lacks {', '.join(missing)}"
        return
    reader = csv.DictReader(lines, fieldnames=header)
    for number, record in enumerate(reader, start=2):
        try:
            yield number, _csv_payload(record)
        except (KeyError, ValueError) as exc:
            yield number, f"bad CSV row: {exc}"


def _csv_payload(record: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "tg": record.get("tg") or "840539006",
        "vp": record["vp"],
        "mp": record["mp"],
        "ma": record["ma"],
        "dn": int(record["dn"]),
        "sd": int(record["sd"]),
        "dt": record["dt"],
        "co": record.get("co") or "VN",
        "is": record.get("is") or "Ministry of Health of Viet Nam",
    }
    if record.get("ci"):
        entry["ci"] = record["ci"]
    name = {key: record[key] for key in ("fn", "gn", "fnt", "gnt") if record.get(key)}
    return {"ver": "1.3.0", "nam": name, "dob": record.get("dob", ""), "v": [entry]}
