"""Staff accounts, browser sessions and sign-in rate limiting for the web console.

Passwords are hashed with scrypt (stdlib; n=2**14, r=8, p=1, 16-byte salt),
stored as ``scrypt$n$r$p$salt$hash``.  A session is a random cookie whose
SHA-256 is stored with the session's CSRF token, so a stolen table signs no
one in.  Failed sign-ins are stored per user name, so the limit holds across
every service instance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..auth import SCOPES, Caller
from ..models import LoginFailure, Organisation, StaffAccount, StaffSession

ROLES = SCOPES  # issue, read, revoke, admin: the same words as API key scopes
SESSION_LIFETIME = timedelta(hours=8)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
_N, _R, _P = 2**14, 8, 1


class AccountError(ValueError):
    """An account cannot be created as asked (unknown role, name taken, password too short)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


# Compared against when the user name is unknown, so both answers take as long.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def create_account(
    session: Session, organisation: Organisation, username: str, password: str, roles: set[str]
) -> StaffAccount:
    unknown = roles - set(ROLES)
    if unknown or not roles:
        raise AccountError(f"roles must be among {', '.join(ROLES)} (got {', '.join(sorted(roles)) or 'none'})")
    if len(password) < 10:
        raise AccountError("the password needs at least 10 characters")
    username = username.strip()
    if not username or len(username) > 100:
        raise AccountError("the user name needs 1 to 100 characters")
    if session.scalar(select(StaffAccount.id).where(StaffAccount.username == username)) is not None:
        raise AccountError(f"the user name {username!r} is taken")
    account = StaffAccount(
        organisation_id=organisation.id,
        username=username,
        password_hash=hash_password(password),
        roles=",".join(sorted(roles)),
        created_at=datetime.now(UTC),
    )
    session.add(account)
    session.flush()
    return account


@dataclass(frozen=True)
class Staff:
    """A signed-in person: the caller the service's issuance, reads and revocations act for."""

    account_id: int
    username: str
    caller: Caller
    csrf_token: str

    def may(self, role: str) -> bool:
        return self.caller.may(role)


def rate_limited(session: Session, username: str, now: datetime | None = None) -> bool:
    """Whether this user name has failed to sign in too often lately (locked until the window passes)."""
    now = now or datetime.now(UTC)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username[:100], LoginFailure.at > now - FAILURE_WINDOW)
    )
    return (failures or 0) >= MAX_FAILURES


def sign_in(session: Session, username: str, password: str) -> tuple[str, StaffAccount] | None:
    """A new session cookie for a correct password, or None (and a recorded failure)."""
    now = datetime.now(UTC)
    # Failures older than the window count for nothing: the table holds minutes of attempts, not years.
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_WINDOW))
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username[:100]))
    good = password_matches(password, account.password_hash if account else _DUMMY_HASH)
    if account is None or not good or account.disabled_at is not None:
        session.add(LoginFailure(username=username[:100], at=now))
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.username == account.username))
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_sha256=_digest(token),
            account_id=account.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token, account


def staff_for(session: Session, token: str) -> Staff | None:
    """The signed-in person behind a session cookie, or None (unknown, expired, account disabled)."""
    row = session.execute(
        select(StaffSession, StaffAccount, Organisation)
        .join(StaffAccount, StaffSession.account_id == StaffAccount.id)
        .join(Organisation, StaffAccount.organisation_id == Organisation.id)
        .where(StaffSession.token_sha256 == _digest(token))
    ).first()
    if row is None:
        return None
    staff_session, account, organisation = row
    expires = staff_session.expires_at
    expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
    if expires < datetime.now(UTC) or account.disabled_at is not None:
        return None
    caller = Caller(
        organisation.id,
        organisation.name,
        f"staff:{account.username}",
        frozenset(account.roles.split(",")),
        organisation.uvci_prefix,
    )
    return Staff(account.id, account.username, caller, staff_session.csrf_token)


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_sha256 == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
