"""What every router shares: the application's typed runtime state, authentication, error docs."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from ..auth import Caller, KeyStates, authenticate
from ..bulk_runner import BulkRunner
from ..issuing import IssuerService
from ..lists import CachedList
from ..metrics import Metrics
from ..settings import Settings
from ..signers import SignerSet

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown or revoked API key"},
    403: {"description": "the key lacks the scope this route needs"},
    404: {"description": "no such certificate or job for this organisation"},
    409: {"description": "Idempotency-Key reused with a different request, or the supplied UVCI (ci) exists"},
    413: {"description": "request body too large"},
    422: {
        "description": "invalid or implausible payload, or a ci outside the organisation's UVCI namespace: "
        "the message names each field"
    },
    503: {"description": "HSM or database unavailable; nothing was stored"},
}


class HttpError(Exception):
    """An answer only HTTP has (no or a wrong API key, an interrupted upload); domain errors are not this."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ErrorBody(BaseModel):
    code: str
    message: str


class RecentCallers:
    """Successful authentications remembered for a few seconds.

    Saves the key lookup (a join, the ORM and a digest) per request.  It does
    not decide whether a key still works: every request also reads the key's
    revocation state (``auth.KeyStates``), so a revoked key is refused at
    once by every worker.
    """

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(presented: str) -> str:
        return hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()

    def get(self, presented: str) -> Caller | None:
        with self._lock:
            found = self._entries.get(self._key(presented))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def forget(self, presented: str) -> None:
        with self._lock:
            self._entries.pop(self._key(presented), None)

    def put(self, presented: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[self._key(presented)] = (time.monotonic() + self.ttl, caller)


@dataclass(slots=True)
class AppState:
    """Everything a running service holds, built once at startup and kept on ``app.state.vaxcert``."""

    settings: Settings
    engine: Engine
    service: IssuerService
    signers: SignerSet
    metrics: Metrics
    key_states: KeyStates
    bulk_runner: BulkRunner
    recent_callers: RecentCallers
    # Public list fetches check their change marker on a few threads of their own: a crowd of
    # verifiers must not take the worker threads that issuance requests wait for.
    list_threads: anyio.CapacityLimiter
    trust_list: CachedList | None = None
    revocation_list: CachedList | None = None


STATE_ATTRIBUTE = "vaxcert"


def state_of(request: Request) -> AppState:
    """The running service's state."""
    state: AppState = getattr(request.app.state, STATE_ATTRIBUTE)
    return state


async def _state_dependency(request: Request) -> AppState:
    # async on purpose: FastAPI runs a sync dependency on a worker thread, a hop per request.
    return state_of(request)


State = Annotated[AppState, Depends(_state_dependency)]


def caller_with(scope: str) -> Callable[..., Caller]:
    """A dependency that authenticates the request's API key and requires ``scope``."""

    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Caller:
        state = state_of(request)
        presented = x_api_key
        if authorization and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if not presented:
            raise HttpError(401, "unauthenticated", "send an API key: Authorization: Bearer vx_…")
        recent = state.recent_callers
        caller = recent.get(presented)
        if caller is not None:
            if not state.key_states.active(caller.key_prefix):
                recent.forget(presented)
                caller = None
        else:
            with state.service.read_sessions() as session:
                caller = authenticate(session, presented)
            if caller is not None:
                recent.put(presented, caller)
        if caller is None:
            raise HttpError(401, "unauthenticated", "unknown or revoked API key")
        if not caller.may(scope):
            raise HttpError(403, "forbidden", f"this key lacks the '{scope}' scope")
        return caller

    return dependency
