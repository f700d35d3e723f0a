"""The service's storage access: write transactions through one gate, read-only sessions, stored records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from vaxcert import IssuedCertificate, decode_unverified

from . import db
from .auth import Caller
from .errors import Unavailable
from .models import Base, Certificate
from .search import indexed_values


class Store:
    """Sessions for the service's work: writes pass :class:`db.WriteGate`, reads use read-only sessions."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        self.write_gate = db.WriteGate(bind)
        self.read_sessions = db.read_only_factory(bind) if bind is not None else sessions

    def transaction(self) -> Transaction:
        return Transaction(self.sessions, self.write_gate)


def as_utc(moment: datetime) -> datetime:
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
            as_utc(row.issued_at),
            as_utc(row.expires_at),
            as_utc(row.revoked_at) if row.revoked_at else None,
            row.revocation_reason,
            replayed,
        )


class Transaction:
    """A write transaction; database outages become :class:`Unavailable`."""

    def __init__(self, sessions: sessionmaker[Session], gate: db.WriteGate) -> None:
        self._session = sessions()
        self._context: SessionTransaction | None = None
        self._gate = gate

    def __enter__(self) -> Session:
        self._gate.__enter__()
        try:
            self._context = self._session.begin()
            self._context.__enter__()
        except OperationalError as exc:
            self._session.close()
            self._gate.__exit__()
            raise Unavailable("database_unavailable", f"the database is unavailable ({exc.orig})") from None
        return self._session

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        assert self._context is not None  # set by __enter__
        try:
            self._context.__exit__(kind, value, tb)
        except OperationalError as exc:
            raise Unavailable("database_unavailable", f"the database is unavailable ({exc.orig})") from None
        finally:
            self._session.close()
            self._gate.__exit__()
        if isinstance(value, OperationalError):
            raise Unavailable("database_unavailable", f"the database is unavailable ({value.orig})") from None


def certificate_values(caller: Caller, issued: IssuedCertificate) -> dict[str, Any]:
    """The ``certificates`` row for a freshly issued certificate (vaxcert.IssuedCertificate)."""
    return {
        # The payload as signed; an IssuedCertificate made elsewhere may lack it: then our own text, decoded.
        **indexed_values(issued.dcc or decode_unverified(issued.text).dcc),
        "uvci": issued.uvci,
        "organisation_id": caller.organisation_id,
        "certificate_type": issued.certificate_type,
        "hc1": issued.text,
        "kid": issued.kid.hex(),
        "issued_at": issued.issued_at,
        "expires_at": issued.expires_at,
    }


# Fewer rows than this go as INSERTs: COPY's own round trips cost more than it saves for one audit entry.
_COPY_FROM = 8


def insert_rows(session: Session, model: type[Base], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows (values in ``columns`` order) in the session's transaction, for the bulk writer.

    SQLAlchemy's per-row parameter handling cost the writer more than the
    database's own work, so rows go straight to the driver: PostgreSQL's
    ``COPY ... FROM STDIN`` for a batch (one stream, no statement per row on
    the server either), else the driver's executemany with values as SQLAlchemy would
    send them (each column type's bind processor: SQLite keeps a datetime as
    text), each distinct value converted once.  Driver errors come out as
    SQLAlchemy's (IntegrityError, OperationalError), parameters hidden.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    dialect = connection.dialect
    names = ", ".join(columns)
    if dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        raw = connection.connection.driver_connection
        assert raw is not None
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                statement, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
            ) from None
        return
    marker = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(marker for _ in columns)})"
    values = [list(row) for row in rows]
    for i, name in enumerate(columns):
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is None:
            continue
        converted: dict[Any, Any] = {}
        for row in values:
            value = row[i]
            if value is not None:
                try:
                    row[i] = converted[value]
                except KeyError:
                    row[i] = converted[value] = process(value)
    connection.exec_driver_sql(statement, [tuple(row) for row in values])
