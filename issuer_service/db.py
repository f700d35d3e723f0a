"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's text must never carry the SQL parameters, which hold
    # HC1 strings (names, dates of birth) and would otherwise reach logs and tracebacks.
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_database_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by this user only: it holds personal data and keys."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _private_database_file(path: Path) -> None:
    """The SQLite file and its -wal/-shm companions are this user's only (mode 0600).

    SQLite creates -wal and -shm with the database file's mode, so creating
    the file as 0600 before SQLite opens it is enough; files of an older
    installation are tightened here too.
    """
    if not path.parent.exists():
        private_folder(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except FileNotFoundError:
            pass


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, record: Any) -> None:
        connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at the start, so read-then-write sequences (audit
        # chain, idempotency) are serialised across processes instead of failing late;
        # read-only sessions (see read_only) begin deferred and never wait for writers.
        if connection.get_execution_options().get("vaxcert_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read (authentication): on SQLite they do not queue behind writers."""
    return sessionmaker(engine.execution_options(vaxcert_read_only=True), expire_on_commit=False)


class WriteGate:
    """One SQLite writer at a time, across threads and processes, without sleeping.

    SQLite allows one writer per database, and a writer that finds it busy
    sleeps in SQLite's busy handler in growing steps (up to 100 ms), which
    wrecks latency and throughput under load.  Writers queue here instead: on
    a thread lock, then on an ``flock`` of ``<database>.write-lock``, both of
    which wake the next writer the moment the lock is released.  PostgreSQL
    needs none of this.
    """

    def __init__(self, engine: Engine | None) -> None:
        self._lock: threading.Lock | None = None
        self._path: Path | None = None
        self._handle: int | None = None
        if engine is not None and engine.dialect.name == "sqlite":
            self._lock = threading.Lock()
            database = engine.url.database
            if database and database != ":memory:":
                self._path = Path(database + ".write-lock")

    def __enter__(self) -> None:
        if self._lock is None:
            return
        self._lock.acquire()
        if self._path is not None:
            if self._handle is None:
                self._handle = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self._lock is None:
            return
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._lock.release()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two service processes starting together must not both create tables.
            connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
