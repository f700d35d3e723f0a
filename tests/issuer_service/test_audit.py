"""The audit chain on both databases: chained at once on SQLite, through the outbox on PostgreSQL."""

from __future__ import annotations

import io
import threading

import pytest

from issuer_service import audit, db
from issuer_service.settings import Settings


def _sessions(settings: Settings) -> db.sessionmaker[db.Session]:
    engine = db.make_engine(settings.resolved_database_url)
    db.migrate(engine)
    return db.session_factory(engine)


def test_events_are_chained_at_once_or_after_sealing(settings: Settings) -> None:
    sessions = _sessions(settings)
    with db.transaction(sessions) as session:
        audit.append_many(session, None, [("issue", f"URN:UVCI:01:VN:{n}", "type=v") for n in range(3)])
    with sessions() as session:
        before = audit.verify_chain(session)
    outbox = sessions.kw["bind"].dialect.name == "postgresql"
    assert before.intact and (before.entries, before.pending) == ((0, 3) if outbox else (3, 0))
    assert audit.seal_all(sessions) == (3 if outbox else 0)
    with sessions() as session:
        after = audit.verify_chain(session)
    assert after.intact and (after.entries, after.pending) == (3, 0)
    with db.transaction(sessions) as session:  # sealed entries are tamper-evident
        forged = db.text("UPDATE audit_log SET detail = 'type=t' WHERE subject = :subject")
        session.execute(forged.bindparams(subject="URN:UVCI:01:VN:1"))
    with sessions() as session:
        assert not audit.verify_chain(session).intact


def test_concurrent_writers_and_sealers_build_one_chain(settings: Settings) -> None:
    sessions = _sessions(settings)
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("the outbox and concurrent sealers exist on PostgreSQL only")
    writers, events_each = 6, 40
    failures: list[BaseException] = []
    finished = threading.Event()

    def write(worker: int) -> None:
        try:
            for n in range(events_each):
                with db.transaction(sessions) as session:
                    audit.append(session, None, "read", f"w{worker}-e{n}")
        except BaseException as exc:  # reported below
            failures.append(exc)

    def seal() -> None:
        try:
            while not finished.is_set():
                audit.seal_all(sessions)
        except BaseException as exc:
            failures.append(exc)

    sealers = [threading.Thread(target=seal) for _ in range(2)]
    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(writers)]
    for thread in sealers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished.set()
    for thread in sealers:
        thread.join()
    audit.seal_all(sessions)
    assert not failures, failures
    with sessions() as session:
        check = audit.verify_chain(session)
        subjects = list(session.scalars(db.text("SELECT subject FROM audit_log")))
    assert check.intact and check.pending == 0 and check.entries == writers * events_each
    assert sorted(subjects) == sorted(f"w{w}-e{n}" for w in range(writers) for n in range(events_each))


def test_admin_audit_commands(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer_service.admin import main as admin_main

    sessions = _sessions(settings)
    with db.transaction(sessions) as session:
        audit.append(session, None, "read", "URN:UVCI:01:VN:CLI")
    monkeypatch.setenv("VAXCERT_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(settings.data_dir))

    def run(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        return admin_main(list(args), stdout=out), out.getvalue()

    outbox = sessions.kw["bind"].dialect.name == "postgresql"
    status, out = run("audit", "verify")
    assert status == 0 and ("1 recent events wait in the outbox" in out) == outbox
    status, out = run("audit", "seal")
    assert status == 0 and out.startswith(f"{1 if outbox else 0} audit events chained")
    status, out = run("audit", "verify")
    assert status == 0 and out == "audit log intact: 1 entries\n"
    with db.transaction(sessions) as session:
        session.execute(db.text("UPDATE audit_log SET subject = 'forged'"))
    status, out = run("audit", "verify")
    assert status == 1 and "BROKEN" in out
