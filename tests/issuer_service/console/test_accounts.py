"""Console accounts on SQLite and PostgreSQL: scrypt hashes, sessions, rate limiting, the admin command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from issuer_service import admin, db
from issuer_service.auth import create_organisation
from issuer_service.console import accounts
from issuer_service.models import StaffAccount, StaffSession

PASSWORD = "mật khẩu dài 2026"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    yield db.session_factory(engine)
    engine.dispose()


def _account(sessions: sessionmaker[Session], username: str = "y.ta.lan", roles: str = "issue,read") -> None:
    with db.transaction(sessions) as session:
        organisation = create_organisation(session, f"Trạm {username}")
        accounts.create_account(session, organisation, username, PASSWORD, set(roles.split(",")))


def test_password_hash_is_salted_scrypt_and_checks() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and first != second
    assert accounts.password_matches(PASSWORD, first)
    assert not accounts.password_matches(PASSWORD + " ", first)
    assert not accounts.password_matches(PASSWORD, "argon2$garbage")


def test_sign_in_gives_a_session_that_acts_for_the_organisation(sessions: sessionmaker[Session]) -> None:
    _account(sessions, roles="read,revoke")
    with db.transaction(sessions) as session:
        signed = accounts.sign_in(session, "y.ta.lan", PASSWORD)
    assert signed is not None
    token, _ = signed
    with sessions() as session:
        staff = accounts.staff_for(session, token)
        stored = session.scalar(select(StaffSession.token_sha256))
    assert staff is not None and staff.username == "y.ta.lan"
    assert staff.caller.organisation_name == "Trạm y.ta.lan" and staff.caller.uvci_prefix
    assert staff.may("revoke") and not staff.may("issue")
    assert stored != token and token not in (stored or "")  # only the digest is stored
    with db.transaction(sessions) as session:
        accounts.sign_out(session, token)
    with sessions() as session:
        assert accounts.staff_for(session, token) is None


def test_expired_session_and_disabled_account_are_refused(sessions: sessionmaker[Session]) -> None:
    _account(sessions)
    with db.transaction(sessions) as session:
        signed = accounts.sign_in(session, "y.ta.lan", PASSWORD)
    assert signed is not None
    with db.transaction(sessions) as session:
        session.execute(update(StaffSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with sessions() as session:
        assert accounts.staff_for(session, signed[0]) is None
    with db.transaction(sessions) as session:
        session.execute(update(StaffAccount).values(disabled_at=datetime.now(UTC)))
        assert accounts.sign_in(session, "y.ta.lan", PASSWORD) is None


def test_five_failures_lock_the_user_name_until_the_window_passes(sessions: sessionmaker[Session]) -> None:
    _account(sessions)
    for _ in range(accounts.MAX_FAILURES):
        with db.transaction(sessions) as session:
            assert not accounts.rate_limited(session, "y.ta.lan")
            assert accounts.sign_in(session, "y.ta.lan", "wrong password") is None
    with sessions() as session:
        assert accounts.rate_limited(session, "y.ta.lan")
        assert not accounts.rate_limited(session, "someone.else")
        later = datetime.now(UTC) + accounts.FAILURE_WINDOW + timedelta(seconds=1)
        assert not accounts.rate_limited(session, "y.ta.lan", now=later)


def test_unknown_roles_short_passwords_and_taken_names_are_refused(sessions: sessionmaker[Session]) -> None:
    _account(sessions)
    with db.transaction(sessions) as session:
        organisation = create_organisation(session, "Bệnh viện C")
        for username, password, roles in (
            ("a", PASSWORD, {"print"}),
            ("b", "short", {"read"}),
            ("y.ta.lan", PASSWORD, {"read"}),
        ):
            with pytest.raises(accounts.AccountError):
                accounts.create_account(session, organisation, username, password, roles)


def test_admin_command_creates_the_first_account(
    database_url: str, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAXCERT_DATABASE_URL", database_url)
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(tmp_path))
    assert admin.main(["org", "create", "Sở Y tế Hà Nội"], stdout=io.StringIO()) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()
    command = ["staff", "create", "--org", "Sở Y tế Hà Nội", "--username", "admin.hn", "--roles", "admin"]
    assert admin.main([*command, "--password-stdin"], stdout=out) == 0
    assert PASSWORD not in out.getvalue()
    listed = io.StringIO()
    assert admin.main(["staff", "list"], stdout=listed) == 0
    assert listed.getvalue().split("\t")[:3] == ["admin.hn", "Sở Y tế Hà Nội", "admin"]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert admin.main([*command[:-3], "other", "--roles", "read", "--password-stdin"], stdout=io.StringIO()) == 2
