"""Bulk rows validated and signed on every core; the calling process stays the one writer.

A pool of worker processes (spawned, never forked: PKCS#11 handles and database
connections do not survive a fork) validates and signs chunks of rows; the caller
gets the outcomes back in file order and commits them in batches, so the
resume guarantees of :mod:`.bulk_jobs` (a batch commits whole under the job's
lease) are untouched by how many processes sign.

Each worker opens its own signer for the recorded keys: its own PKCS#11 session
(the PIN from the environment, as the service reads it) or its own copy of the
development PEM key read from the data folder; no key material crosses the pipe.
A worker dies with the process that started it (``PR_SET_PDEATHSIG``): after a
``kill -9`` of the bulk run no orphan keeps an HSM session open or burns a core.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, NamedTuple

from vaxcert import DocumentSignerCertificate, KeyProviderError
from vaxcert.hsm import DEFAULT_MODULE, HsmConfig, Pkcs11Signer, read_pin
from vaxcert.keys import Signer

from . import db, keyring
from .auth import Caller
from .bulk_files import json_row, personal_values, scrub
from .errors import Conflict, Exhausted, Forbidden, Invalid, NotFound, ServiceError, Unavailable
from .issuance import Issuance
from .metrics import Metrics
from .search import indexed_values
from .settings import Settings
from .signers import PKCS11, SignerSet
from .store import Store


class SignedRow(NamedTuple):
    """A signed row: its ``certificates`` columns, worked out where it was signed.

    The searchable columns come from the validated model the certificate was
    made of, so the writer never decodes the HC1 it is handed (that decode was
    the writer's largest cost per row).
    """

    uvci: str
    hc1: str
    kid: str  # hex
    certificate_type: str
    issued_at: datetime
    expires_at: datetime
    search_name: str | None
    dob: str | None


# A row as read: a payload, the text of why it could not be read, or an NDJSON line (UTF-8) the
# signing process parses itself, so the writer does not spend its time in json.loads.
Row = tuple[int, dict[str, Any] | str | bytes]
RowOutcome = SignedRow | ServiceError
# What crosses the pipe back: exceptions are sent as (kind, code, message), since a
# ServiceError's constructor takes two arguments and pickle would call it with one.
_WireOutcome = SignedRow | tuple[str, str, str]

_KINDS: dict[str, type[ServiceError]] = {
    kind.__name__: kind for kind in (ServiceError, Invalid, Forbidden, NotFound, Conflict, Unavailable, Exhausted)
}
CHUNK_ROWS = 64  # rows per task: big enough that pickling and the pipe cost little per row


def sign_row(issuance: Issuance, caller: Caller, row: dict[str, Any] | str | bytes) -> RowOutcome:
    """One row validated and signed in this process; a failure comes back (scrubbed of personal values)."""
    if isinstance(row, bytes):
        row = json_row(row.decode("utf-8", "surrogatepass"))
    if isinstance(row, str):  # a line the parser could not read: its message says why
        return Invalid("bad_row", row)
    try:
        issued = issuance.sign(caller, row)
    except ServiceError as exc:
        return type(exc)(exc.code, scrub(exc.message, personal_values(row)))
    # The name and date of birth as signed (transliterated, normalised), not as the row gave them.
    index = indexed_values(issued.dcc)
    return SignedRow(
        issued.uvci,
        issued.text,
        issued.kid.hex(),
        issued.certificate_type,
        issued.issued_at,
        issued.expires_at,
        index["search_name"],
        index["dob"],
    )


@dataclass(frozen=True)
class _KeyPlan:
    """One recorded DSC a worker opens itself: where it lives and its certificate (public)."""

    types: str
    provider: str
    token: str | None
    label: str
    certificate_der: bytes


@dataclass(frozen=True)
class WorkerPlan:
    """Everything a worker needs to sign as the caller's process would; picklable, no secrets."""

    settings: Settings
    caller: Caller
    keys: tuple[_KeyPlan, ...]
    parent_pid: int


def plan(settings: Settings, store: Store, signers: SignerSet, caller: Caller) -> WorkerPlan:
    """The recorded DSCs behind ``signers``, for workers to open, and the caller with its UVCI prefix resolved."""
    with store.read_sessions() as session:
        recorded = keyring.records(session, role=keyring.DSC, active_only=True)
    by_kid = {record.kid: record for record in recorded}
    keys: dict[str, _KeyPlan] = {}
    for kind in keyring.TYPES:
        kid = signers.for_type(kind).certificate.kid.hex()
        record = by_kid.get(kid)
        if record is None:  # the signer in use is not the recorded one: never sign with another key
            raise Unavailable("bulk_key_unrecorded", f"the DSC for type {kind} is not recorded; restart to record it")
        known = keys.get(kid)
        keys[kid] = _KeyPlan(
            (known.types if known else "") + kind, record.provider, record.token, record.label, record.certificate.der
        )
    if not caller.uvci_prefix:
        prefix = Issuance(settings, store, signers, Metrics())._uvci_prefix(caller)
        caller = dataclasses.replace(caller, uvci_prefix=prefix)
    return WorkerPlan(settings, caller, tuple(keys.values()), os.getpid())


def signed_rows(
    plan: WorkerPlan, rows: Iterable[Row], workers: int, in_flight_rows: int
) -> Generator[tuple[int, RowOutcome], None, None]:
    """Rows' outcomes in input order, signed by ``workers`` processes; at most ``in_flight_rows`` ahead.

    Stopping the iteration (the consumer returns or raises) cancels what is queued
    and waits for the workers to end; their unacknowledged work is simply redone
    by the next run, as after a crash.
    """
    context = get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(plan,))
    limit = max(2 * workers, in_flight_rows // CHUNK_ROWS + 1)
    pending: deque[Future[list[tuple[int, _WireOutcome]]]] = deque()
    source = iter(rows)
    try:
        while True:
            chunk = list(islice(source, CHUNK_ROWS))
            if chunk:
                pending.append(_submit(pool, chunk))
            while pending and (len(pending) > limit or not chunk):
                for number, wire in _result(pending.popleft()):
                    yield number, _outcome(wire)
            if not chunk:
                return
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, chunk: list[Row]) -> Future[list[tuple[int, _WireOutcome]]]:
    try:
        return pool.submit(_sign_chunk, chunk)
    except BrokenProcessPool:  # a worker died between two results: the same outage as in _result
        raise Unavailable("bulk_worker_died", "a signing worker process died; run the job again to resume") from None


def _result(future: Future[list[tuple[int, _WireOutcome]]]) -> list[tuple[int, _WireOutcome]]:
    try:
        return future.result()
    except BrokenProcessPool:  # a worker was killed (OOM, an operator): nothing of its chunk was stored
        raise Unavailable("bulk_worker_died", "a signing worker process died; run the job again to resume") from None


def _outcome(wire: _WireOutcome) -> RowOutcome:
    if isinstance(wire, SignedRow):
        return wire
    kind, code, message = wire
    return _KINDS.get(kind, ServiceError)(code, message)


# ---------------------------------------------------------------------- inside a worker process

_issuance: Issuance | None = None
_caller: Caller | None = None


def _start_worker(plan: WorkerPlan) -> None:
    _die_with_parent(plan.parent_pid)
    global _issuance, _caller
    signers: dict[str, Signer] = {}
    closers = []
    for key in plan.keys:
        certificate = DocumentSignerCertificate.from_der(key.certificate_der)
        signer = _open_signer(plan, key, certificate)
        if isinstance(signer, Pkcs11Signer):
            closers.append(signer.close)
        for kind in key.types:
            signers[kind] = signer
    # Never used: the caller's UVCI prefix is resolved before the plan is made, so no worker
    # opens a database connection; the engine connects lazily.
    store = Store(db.session_factory(db.make_engine(plan.settings.resolved_database_url)))
    _issuance = Issuance(plan.settings, store, SignerSet(signers, None, "worker", closers), Metrics())
    _caller = plan.caller


def _open_signer(plan: WorkerPlan, key: _KeyPlan, certificate: DocumentSignerCertificate) -> Signer:
    """The worker's own signer for ``key``: one worker at a time, a few tries.

    SoftHSM2 rewrites a token's files when a session logs in, and a process
    starting to read the token directory at that moment finds no token
    (``keys.token_not_found``): workers starting together, or the service
    logging in meanwhile, made a bulk run stop now and then.  Taking turns
    removes the race between workers; trying again, the one with others.
    """
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            with _taking_turns(plan.settings.data_dir):
                if key.provider == PKCS11:
                    config = HsmConfig(key.token or "", read_pin(), plan.settings.hsm_module or DEFAULT_MODULE)
                    return Pkcs11Signer(config, key.label, certificate)
                from . import dev_keys  # development keys (a production database records only PKCS#11 keys)

                return dev_keys.signer(plan.settings.data_dir, key.provider, key.label, certificate)
        except KeyProviderError:
            if attempt == _OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


_OPEN_ATTEMPTS = 5


@contextlib.contextmanager
def _taking_turns(data_dir: Path) -> Iterator[None]:
    """An exclusive lock on a file of the data folder; none if the folder cannot hold one."""
    try:
        handle = os.open(data_dir / ".bulk-workers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _sign_chunk(chunk: list[Row]) -> list[tuple[int, _WireOutcome]]:
    assert _issuance is not None and _caller is not None
    done: list[tuple[int, _WireOutcome]] = []
    for number, row in chunk:
        outcome = sign_row(_issuance, _caller, row)
        if isinstance(outcome, ServiceError):
            done.append((number, (type(outcome).__name__, outcome.code, outcome.message)))
        else:
            done.append((number, outcome))
    return done


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (a ``kill -9`` of the bulk run)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
