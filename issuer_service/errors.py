"""What can go wrong in the service's own logic, with no HTTP in it.

Each error carries a stable ``code`` (part of the API: clients branch on it) and a
message safe to show the caller (never personal data).  The kind says what the caller
can do about it; only the HTTP layer (:mod:`issuer_service.app`) turns kinds into
statuses, and the CLI into exit messages.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the service's domain errors."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Invalid(ServiceError):
    """The input cannot be issued as given (schema, plausibility, UVCI namespace, an unreadable row)."""


class Forbidden(ServiceError):
    """The caller may not do this (e.g. its organisation no longer exists)."""


class NotFound(ServiceError):
    """No such certificate or job for the caller's organisation."""


class Conflict(ServiceError):
    """The request clashes with what exists (a UVCI taken, an Idempotency-Key reused, a job held elsewhere)."""


class Unavailable(ServiceError):
    """The HSM or the database is unavailable: nothing was stored; the same request may succeed later."""


class Exhausted(ServiceError):
    """The service gave up after retrying something that should not fail (a unique UVCI)."""
