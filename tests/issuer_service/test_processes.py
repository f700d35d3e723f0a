"""Real processes: kill -9 during a bulk run, and two uvicorn services on one PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from issuer_service import db
from issuer_service.audit import verify_chain
from issuer_service.models import BulkRow, Certificate
from issuer_service.settings import Settings
from tests.conftest import record_process_output
from tests.issuer_service.conftest import _free_port, auth, make_key
from tests.issuer_service.services import service_env, start_service, stop_services, wait_ready


def _counts(settings: Settings) -> tuple[int, int, int]:
    engine = db.make_engine(settings.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            certificates = session.scalar(select(func.count()).select_from(Certificate)) or 0
            rows = session.scalar(select(func.count()).select_from(BulkRow)) or 0
            issued_rows = session.scalar(select(func.count()).select_from(BulkRow).where(BulkRow.uvci.is_not(None)))
            return int(certificates), int(rows), int(issued_rows or 0)
    except Exception:  # the schema may not exist yet
        return 0, 0, 0
    finally:
        engine.dispose()


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_during_bulk_then_resume(
    settings: Settings, tmp_path: Path, vaccination_payload: dict[str, Any], workers: int
) -> None:
    rows = 12000  # enough that the kill lands mid-run even with fast signing
    records = tmp_path / "records.ndjson"
    with records.open("w", encoding="utf-8") as stream:
        for index in range(rows):
            record = json.loads(json.dumps(vaccination_payload))
            record["nam"]["gn"] = f"Thị Phương {index}"
            if index % 500 == 7:
                record["v"][0]["mp"] = "Nanocovax"  # rejected rows must be recorded too
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    make_key(settings, "Ministry", {"admin"})
    command = [
        sys.executable,
        "-m",
        "issuer_service.admin",
        "bulk",
        str(records),
        "--org",
        "Ministry",
        "--batch-size",
        "50",
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, env=service_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _counts(settings)[1] < 400 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the bulk run finished before it could be killed; use more rows"
    helpers = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # The signing workers die with their parent: no orphan keeps an HSM session or a core.
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in helpers)
    if workers > 1:
        assert len(helpers) >= workers  # they did run in processes of their own
    certificates, done, issued = _counts(settings)
    assert 0 < done < rows and certificates == issued  # every acknowledged row has its certificate, no orphans
    record_process_output(process.stderr.read() if process.stderr else b"")
    resumed = subprocess.run(command, env=service_env(settings), capture_output=True, text=True, timeout=600)
    record_process_output(resumed.stderr)
    assert resumed.returncode == 1, resumed.stderr  # 1: some rows were rejected (the Nanocovax rows)
    certificates, done, issued = _counts(settings)
    rejected = len([i for i in range(rows) if i % 500 == 7])
    assert done == rows and issued == rows - rejected and certificates == issued
    again = subprocess.run(command, env=service_env(settings), capture_output=True, text=True, timeout=600)
    assert _counts(settings) == (certificates, done, issued), again.stderr  # re-running duplicates nothing
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_factory(engine)() as session:
        assert verify_chain(session).intact
    engine.dispose()


def test_two_service_processes_share_one_postgresql(
    postgres: str, settings: Settings, tmp_path: Path, vaccination_payload: dict[str, Any]
) -> None:
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("this test is about several processes on one PostgreSQL server")
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read"})
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    servers = [start_service(service_env(settings), port, log) for port, log in zip(ports, logs, strict=True)]
    try:
        for port, server, log in zip(ports, servers, logs, strict=True):
            wait_ready(port, server, log)

        def post(index: int) -> str:
            port = ports[index % 2]
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/certificates",
                json=vaccination_payload,
                headers={**auth(key), "Idempotency-Key": f"k{index % 150}"},
                timeout=30,
            )
            assert response.status_code in (200, 201), response.text
            return str(response.json()["uvci"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            uvcis = list(pool.map(post, range(300)))
        # 150 distinct idempotency keys, each used twice across the two processes: 150 certificates.
        assert len(set(uvcis)) == 150
        assert _counts(settings)[0] == 150
        engine = db.make_engine(settings.resolved_database_url)
        with db.session_factory(engine)() as session:
            assert verify_chain(session).intact  # both services seal the outbox while running
        engine.dispose()
    finally:
        stop_services(servers, logs)
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_factory(engine)() as session:
        check = verify_chain(session)
        issued = session.scalar(db.text("SELECT count(*) FROM audit_log WHERE action = 'issue'"))
    engine.dispose()
    # Stopping seals what was left: every issuance is chained, nothing waits in the outbox.
    assert check.intact and check.pending == 0 and issued == 150
