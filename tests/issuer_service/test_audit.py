"""The audit chain on both databases: chained at once on SQLite, through the outbox on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

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


def test_a_batch_is_chained_at_once_after_the_events_waiting_before_it(settings: Settings) -> None:
    sessions = _sessions(settings)
    with db.transaction(sessions) as session:
        audit.append_many(session, 7, [("read", f"before-{n}", "") for n in range(2)])
    with db.transaction(sessions) as session:
        audit.append_many(session, 7, [("issue", f"batch-{n}", "type=v bulk") for n in range(3)], batch=True)
    with sessions() as session:
        check = audit.verify_chain(session)
        subjects = list(session.scalars(db.text("SELECT subject FROM audit_log ORDER BY id")))
    assert check.intact and (check.entries, check.pending) == (5, 0)
    assert subjects == ["before-0", "before-1", "batch-0", "batch-1", "batch-2"]


_TEXT = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40)


@settings_(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "60")), deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from(["issue", "read"]), _TEXT, _TEXT), min_size=1, max_size=6))
def test_each_digest_is_sha256_of_the_documented_json(events: list[tuple[str, str, str]]) -> None:
    """What ``audit verify`` (and any outside checker) recomputes: SHA-256 of one compact JSON array per entry."""
    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(f"sqlite:///{folder}/audit.db")
        db.migrate(engine)
        sessions = db.session_factory(engine)
        with db.transaction(sessions) as session:
            audit.append_many(session, 3, events, batch=True)
        with sessions() as session:
            stored = session.execute(
                db.text("SELECT at, organisation_id, action, subject, detail, previous_sha256, sha256 FROM audit_log")
            ).all()
        engine.dispose()
    previous = audit.GENESIS
    for (action, subject, detail), row in zip(events, stored, strict=True):
        at = datetime.fromisoformat(row[0]).replace(tzinfo=UTC)  # SQLite keeps naive UTC text
        body = [previous, at.isoformat(timespec="microseconds"), 3, action, subject[:200], detail]
        expected = hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
        assert tuple(row[1:]) == (3, action, subject[:200], detail, previous, expected)
        previous = expected


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
