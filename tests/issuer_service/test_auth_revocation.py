"""A revoked API key stops working at once, in every worker, while the auth cache stays on."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer_service import db
from issuer_service.admin import main as admin
from issuer_service.app import create_app
from issuer_service.auth import KeyStates, revoke_key
from issuer_service.settings import Settings
from tests.issuer_service.conftest import _free_port, auth, make_key
from tests.issuer_service.services import service_env, start_service, stop_services, wait_ready

CACHE_SECONDS = 600  # far longer than any test: only the per-request check can refuse the key


def _key_prefix(key: str) -> str:
    return key.split("_")[1]


def test_revoked_key_is_refused_by_the_next_request(
    settings: Settings, vaccination_payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = settings.model_copy(update={"auth_cache_seconds": CACHE_SECONDS})
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    with TestClient(create_app(cached)) as client:
        for _ in range(3):  # the first authenticates, the others come from the cache
            assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 201
        monkeypatch.setenv("VAXCERT_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("VAXCERT_DATABASE_URL", settings.resolved_database_url)
        assert admin(["key", "revoke", _key_prefix(key)], stdout=io.StringIO()) == 0
        refused = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
        assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 401


@pytest.fixture
def two_workers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two service processes on one database, each with its own auth cache."""
    ports = [_free_port(), _free_port()]
    servers: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        # One after the other, so a failure to start names the service that failed
        # (test_processes.py starts two at once on a fresh folder).
        for port in ports:
            log = tmp_path_factory.mktemp("service") / "stderr.log"
            server = start_service(service_env(settings, VAXCERT_AUTH_CACHE_SECONDS=str(CACHE_SECONDS)), port, log)
            servers.append(server)
            logs.append(log)
            wait_ready(port, server, log)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        stop_services(servers, logs)


def test_revocation_reaches_every_worker_at_once(
    settings: Settings, two_workers: list[str], vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    for base in two_workers:  # the key works, and each worker now has it cached
        for _ in range(2):
            answer = httpx.post(f"{base}/v1/certificates", json=vaccination_payload, headers=auth(key), timeout=30)
            assert answer.status_code == 201, answer.text
    revoked = subprocess.run(
        [sys.executable, "-m", "issuer_service.admin", "key", "revoke", _key_prefix(key)],
        env=service_env(settings, VAXCERT_AUTH_CACHE_SECONDS=str(CACHE_SECONDS)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert revoked.returncode == 0, revoked.stderr
    for base in two_workers:
        answer = httpx.post(f"{base}/v1/certificates", json=vaccination_payload, headers=auth(key), timeout=30)
        assert answer.status_code == 401, (base, answer.text)


def test_key_states_follow_the_database(settings: Settings) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    engine = db.make_engine(settings.resolved_database_url)
    states = KeyStates(engine)
    try:
        assert states.active(_key_prefix(key)) and not states.active("000000000000")
        with db.transaction(db.session_factory(engine)) as session:
            assert revoke_key(session, _key_prefix(key))
        assert not states.active(_key_prefix(key))
    finally:
        engine.dispose()
