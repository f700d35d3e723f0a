"""Fixtures for the issuing service: real databases (SQLite file, throw-away PostgreSQL cluster)
and a DSC key in the session's SoftHSM2 token."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from issuer_service import db
from issuer_service.app import create_app
from issuer_service.auth import create_key, create_organisation
from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, PKI_START, PKI_VALIDITY
from tests.support import throwaway_postgres
from vaxcert import DocumentSignerCertificate
from vaxcert.hsm import HsmConfig, HsmSession
from vaxcert.pki import IssuedKeyPair, csr_for_hsm_key, sign_csr

SERVICE_KEY = "service-dsc"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server in a temporary directory, for this test session only."""
    if not throwaway_postgres.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; scripts/test installs it")
        pytest.skip("PostgreSQL is not installed (scripts/test installs it)")
    with throwaway_postgres.throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def service_dsc(softhsm_token: str, csca: IssuedKeyPair) -> str:
    """Provision the service's DSC key in the session token (the key custodian's job)."""
    config = HsmConfig(softhsm_token, HSM_PIN)
    with HsmSession(config, read_write=True) as session:
        session.generate_key(SERVICE_KEY)
        certificate = sign_csr(
            csca,
            csr_for_hsm_key(session, SERVICE_KEY, "VN DSC issuer service"),
            certificate_types="vtr",
            valid_from=PKI_START,
            validity=PKI_VALIDITY,
        )
        session.store_certificate(
            SERVICE_KEY, DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )
    return softhsm_token


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'issuer.db'}"
    base: str = request.getfixturevalue("postgres")
    name = f"t{os.getpid()}_{abs(hash(tmp_path)) % 10**9}"
    engine = db.make_engine(base)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, service_dsc: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("VAXCERT_HSM_PIN", HSM_PIN)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        hsm_token=service_dsc,
        dsc_key_labels=SERVICE_KEY,
        max_body_bytes=8192,
        auth_cache_seconds=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def make_key(settings: Settings, organisation: str, scopes: set[str]) -> str:
    engine = db.make_engine(settings.resolved_database_url)
    db.migrate(engine)
    with db.transaction(db.session_factory(engine)) as session:
        from sqlalchemy import select

        from issuer_service.models import Organisation

        found = session.scalar(select(Organisation).where(Organisation.name == organisation))
        key = create_key(session, found or create_organisation(session, organisation), scopes)
    engine.dispose()
    return key


def auth(key: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {key}"}


def uvci_of(settings: Settings, organisation: str, opaque: str) -> str:
    """A UVCI with its check character inside ``organisation``'s own namespace (which a supplied ``ci`` must use)."""
    from sqlalchemy import select

    from issuer_service.models import Organisation
    from vaxcert.hcert import uvci

    engine = db.make_engine(settings.resolved_database_url)
    with db.session_factory(engine)() as session:
        prefix = session.scalar(select(Organisation.uvci_prefix).where(Organisation.name == organisation))
    engine.dispose()
    assert prefix, f"no organisation {organisation!r}"
    body = uvci.namespace(settings.issuer_country, prefix) + opaque
    return f"{body}#{uvci.check_character(body)}"
