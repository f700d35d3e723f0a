"""Real service processes for the multi-process tests: their environment, start and readiness."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, record_process_output
from tests.issuer_service.conftest import SERVICE_KEY


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `vaxcert-issuer` process on the test's data folder, database and HSM token."""
    return {
        **os.environ,
        "VAXCERT_DATA_DIR": str(settings.data_dir),
        "VAXCERT_DATABASE_URL": settings.resolved_database_url,
        "VAXCERT_HSM_TOKEN": settings.hsm_token or "",
        "VAXCERT_DSC_KEY_LABELS": SERVICE_KEY,
        "VAXCERT_HSM_PIN": HSM_PIN,
        **extra,
    }


def start_service(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`vaxcert-issuer serve` on ``port``; its stderr goes to ``log`` (read it for the personal-data check)."""
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "issuer_service.admin", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def wait_ready(port: int, server: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    """Until ``/readyz`` answers 200; fails with the service's log if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None, "service exited: " + log.read_text(errors="replace")
        assert time.monotonic() < deadline, "service did not start: " + log.read_text(errors="replace")
        time.sleep(0.2)


def stop_services(servers: Iterable[subprocess.Popen[bytes]], logs: Iterable[Path]) -> None:
    """Stop every service still running (SIGTERM, so it seals its audit outbox) and hand its log to the
    personal-data check."""
    servers = list(servers)
    for server in servers:
        if server.poll() is None:  # a test may have killed one already
            server.send_signal(signal.SIGTERM)
    for server in servers:
        server.wait(timeout=30)
    for log in logs:
        record_process_output(log.read_bytes())
