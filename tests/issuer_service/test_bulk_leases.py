"""Bulk jobs across service instances: two real uvicorn processes on one database, kill -9 of the runner."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import distinct, func, select

from issuer_service import db
from issuer_service.audit import seal_all, verify_chain
from issuer_service.models import AuditEntry, BulkJob, BulkRow, BulkUpload, Certificate
from issuer_service.settings import Settings
from tests.conftest import SENTINEL
from tests.issuer_service.conftest import _free_port, auth, make_key
from tests.issuer_service.services import service_env, start_service, stop_services, wait_ready

ROWS = 4000


def _job(settings: Settings, job_id: int) -> tuple[str | None, int]:
    engine = db.make_engine(settings.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            job = session.get(BulkJob, job_id)
            assert job is not None
            return job.lease_owner, job.rows_done
    finally:
        engine.dispose()


def _freeze_until_taken_over(server: subprocess.Popen[bytes], settings: Settings, job_id: int, owner: str) -> None:
    # Frozen inside a transaction, the runner holds the job's row (or SQLite's write lock) and
    # nobody can take over; thaw it for a moment and freeze it again.
    for _ in range(6):
        server.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 12  # beyond the 5 s lease
        while time.monotonic() < deadline:
            if _job(settings, job_id)[0] not in (owner, None):
                time.sleep(1)  # let the new runner commit a batch or two, then wake the old one
                server.send_signal(signal.SIGCONT)
                return
            time.sleep(0.1)
        server.send_signal(signal.SIGCONT)
        time.sleep(0.3)
    raise AssertionError("no other instance took the job over from the frozen one")


@pytest.mark.parametrize("fault", ["kill", "freeze"])
def test_another_instance_finishes_a_job_whose_runner_failed(
    settings: Settings, tmp_path: Path, vaccination_payload: dict[str, Any], fault: str
) -> None:
    """kill: the runner dies (kill -9), the other instance takes the job over.

    freeze: the runner stops (SIGSTOP) past its lease; the other instance takes over, and when
    the frozen one wakes up mid-batch, its commit is refused: its lease is gone.
    """
    key = make_key(settings, "Ministry", {"issue", "read"})
    lines = []
    for index in range(ROWS):
        record = json.loads(json.dumps(vaccination_payload))
        record["nam"] = {"fn": SENTINEL, "gn": f"Phương {index}"}
        if index % 500 == 7:
            record["v"][0]["mp"] = "Nanocovax"  # rejected rows are results too
        lines.append(json.dumps(record, ensure_ascii=False))
    body = ("\n".join(lines) + "\n").encode()
    rejected = len([i for i in range(ROWS) if i % 500 == 7])
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    servers: dict[int, subprocess.Popen[bytes]] = {}
    try:
        # One after the other, so a failure to start names the service that failed
        # (test_processes.py starts two at once on a fresh folder).
        for port, log in zip(ports, logs, strict=True):
            env = service_env(settings, VAXCERT_BULK_LEASE_SECONDS="5", VAXCERT_BULK_POLL_SECONDS="0.2")
            servers[port] = start_service(env, port, log)
            wait_ready(port, servers[port], log)
        accepted = httpx.post(
            f"http://127.0.0.1:{ports[0]}/v1/bulk?name=records.ndjson",
            content=body,
            headers={**auth(key), "Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        deadline = time.monotonic() + 120
        while True:
            owner, done = _job(settings, job_id)
            if owner is not None and done >= 400:
                break
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        runner_pid = int(owner.split(":")[1])
        victim = next(port for port, server in servers.items() if server.pid == runner_pid)
        assert done < ROWS, "the job finished before its runner could be killed; use more rows"
        survivor = next(port for port in ports if port != victim)
        if fault == "kill":
            servers[victim].send_signal(signal.SIGKILL)
            servers[victim].wait()
        else:
            _freeze_until_taken_over(servers[victim], settings, job_id, owner)
        deadline = time.monotonic() + 300
        while True:
            status = httpx.get(f"http://127.0.0.1:{survivor}/v1/bulk/{job_id}", headers=auth(key), timeout=10).json()
            if status["status"] != "running":
                break
            assert time.monotonic() < deadline, f"the surviving instance did not finish the job: {status}"
            time.sleep(0.2)
        assert status["status"] == "finished", status
        assert (status["rows_done"], status["rows_issued"], status["rows_rejected"]) == (
            ROWS,
            ROWS - rejected,
            rejected,
        )
        owner, _ = _job(settings, job_id)
        assert owner is None
    finally:
        stop_services(servers.values(), logs)
    engine = db.make_engine(settings.resolved_database_url)
    sessions = db.session_factory(engine)
    seal_all(sessions)
    with sessions() as session:
        # Every row has exactly one result, every issued row exactly one certificate and one audit entry.
        assert session.scalar(select(func.count()).select_from(BulkRow)) == ROWS
        assert session.scalar(select(func.count(distinct(BulkRow.row_number)))) == ROWS
        assert session.scalar(select(func.count()).select_from(Certificate)) == ROWS - rejected
        issued = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "issue")
        assert session.scalar(issued) == ROWS - rejected
        assert session.scalar(select(func.count()).select_from(BulkUpload)) == 0  # the upload went with the job
        assert verify_chain(session).intact
    engine.dispose()
    assert all(SENTINEL not in log.read_text(encoding="utf-8", errors="replace") for log in logs)
    if fault == "freeze":  # the frozen runner woke up, tried to commit its batch, and was refused
        victim_log = logs[ports.index(victim)].read_text(encoding="utf-8", errors="replace")
        assert f"bulk job {job_id}: lease lost" in victim_log, victim_log
