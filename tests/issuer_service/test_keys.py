"""Signing keys: recorded per database, rotated only on purpose, old DSCs published while they matter.

Runs on SQLite and PostgreSQL, with DSCs in the session's SoftHSM2 token.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from issuer_service import db
from issuer_service.admin import main
from issuer_service.app import create_app
from issuer_service.models import AuditEntry, AuditOutboxEntry, Certificate
from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, PKI_START, PKI_VALIDITY
from tests.issuer_service.conftest import SERVICE_KEY, auth, make_key
from vaxcert import DocumentSignerCertificate, TrustStore, trustlist, verify
from vaxcert.hsm import HsmConfig, HsmSession
from vaxcert.pki import IssuedKeyPair, csr_for_hsm_key, sign_csr


def provision(token: str, csca: IssuedKeyPair, types: str = "vtr") -> str:
    """The key custodian's ceremony for a new DSC in the token; returns its (unique) label."""
    label = f"dsc-{uuid.uuid4().hex[:8]}"
    with HsmSession(HsmConfig(token, HSM_PIN), read_write=True) as session:
        session.generate_key(label)
        certificate = sign_csr(
            csca,
            csr_for_hsm_key(session, label, f"VN DSC {label}"),
            certificate_types=types,
            valid_from=PKI_START,
            validity=PKI_VALIDITY,
        )
        session.store_certificate(
            label, DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )
    return label


def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings, *, labels: bool = False) -> None:
    """The admin CLI reads the same configuration as the service, from the environment."""
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VAXCERT_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("VAXCERT_HSM_TOKEN", settings.hsm_token or "")
    monkeypatch.setenv("VAXCERT_HSM_PIN", HSM_PIN)
    if labels:
        monkeypatch.setenv("VAXCERT_DSC_KEY_LABELS", settings.dsc_key_labels)
    else:
        monkeypatch.delenv("VAXCERT_DSC_KEY_LABELS", raising=False)


def first_start(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> str:
    """Record the configured keys (as the first service start does); later commands go by the record."""
    environment(monkeypatch, settings, labels=True)
    status, listing = cli("keys", "list")
    assert status == 0
    environment(monkeypatch, settings)
    return listing


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def restarted(settings: Settings) -> Settings:
    """The same service configuration without VAXCERT_DSC_KEY_LABELS: the recorded keys decide."""
    values = settings.model_dump(exclude={"dsc_key_labels"})
    return Settings(**values)


def trust_store(client: TestClient, settings: Settings) -> TrustStore:
    anchor = DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")
    return trustlist.verify(client.get("/v1/trust-list").content, [anchor]).trust_store()


@pytest.fixture
def issue_key(settings: Settings) -> str:
    return make_key(settings, "Trạm y tế Ba Đình", {"issue", "read", "revoke"})


def issue(client: TestClient, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_issue_rotate_issue_both_verify(
    settings: Settings,
    issue_key: str,
    csca: IssuedKeyPair,
    vaccination_payload: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TestClient(create_app(settings)) as client:
        before = issue(client, issue_key, vaccination_payload)
    assert settings.hsm_token is not None
    label = provision(settings.hsm_token, csca)
    environment(monkeypatch, settings)
    status, text = cli("keys", "rotate", "--label", label)
    assert status == 0 and label in text
    with TestClient(create_app(restarted(settings))) as client:
        after = issue(client, issue_key, vaccination_payload)
        store = trust_store(client, settings)
        listed = client.get("/v1/trust-list").content
    anchor = DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")
    kids = {entry.kid for entry in trustlist.verify(listed, [anchor]).content.entries}
    reports = [verify(certificate["hc1"], store) for certificate in (before, after)]
    assert all(report.valid for report in reports), [report.failures for report in reports]
    signers = [report.signer for report in reports]
    assert signers[0] is not None and signers[1] is not None
    assert signers[0].kid != signers[1].kid and {signers[0].kid, signers[1].kid} <= kids
    assert signers[1].subject.startswith(f"CN=VN DSC {label},")
    # Both DSCs exported where operators look; current-v is the new one.
    for signer in signers:
        assert DocumentSignerCertificate.load(settings.data_dir / "dsc" / f"{signer.kid.hex()}.pem") == signer
    assert DocumentSignerCertificate.load(settings.data_dir / "dsc" / "current-v.pem").kid == signers[1].kid
    # The rotation is in the audit log (chained on SQLite, sealed by the CLI on PostgreSQL).
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_factory(engine)() as session:
        actions = set(session.scalars(select(AuditEntry.subject).where(AuditEntry.action == "key_activate")))
        waiting = select(AuditOutboxEntry.subject).where(AuditOutboxEntry.action == "key_activate")
        actions |= set(session.scalars(waiting))
    engine.dispose()
    assert signers[1].kid.hex() in actions
    assert cli("audit", "verify")[0] == 0


def test_trust_list_keeps_a_retired_dsc_until_its_last_certificate_expires(
    settings: Settings,
    issue_key: str,
    csca: IssuedKeyPair,
    vaccination_payload: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TestClient(create_app(settings)) as client:
        old = issue(client, issue_key, vaccination_payload)
        old_kid = _kids(client, settings)
    assert settings.hsm_token is not None
    environment(monkeypatch, settings)
    assert cli("keys", "rotate", "--label", provision(settings.hsm_token, csca))[0] == 0
    status, listing = cli("keys", "list")
    assert status == 0 and "until " in listing  # the retired DSC: published until its certificate expires
    with TestClient(create_app(restarted(settings))) as client:
        assert old_kid <= _kids(client, settings)
    # Time passes: the last certificate of the old DSC expires, and the DSC leaves the list.
    engine = db.make_engine(settings.resolved_database_url)
    with db.transaction(db.session_factory(engine)) as session:
        session.execute(
            update(Certificate)
            .where(Certificate.uvci == old["uvci"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    engine.dispose()
    with TestClient(create_app(restarted(settings))) as client:
        kids = _kids(client, settings)
    assert not old_kid & kids and len(kids) == 1
    assert sorted(path.stem for path in (settings.data_dir / "dsc").glob("????????????????.pem")) == [
        kid.hex() for kid in kids
    ]


def _anchor(settings: Settings) -> DocumentSignerCertificate:
    return DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")


def _kids(client: TestClient, settings: Settings) -> set[bytes]:
    return {e.kid for e in trustlist.verify(client.get("/v1/trust-list").content, [_anchor(settings)]).content.entries}


def test_a_changed_configuration_refuses_instead_of_switching(
    settings: Settings, csca: IssuedKeyPair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment(monkeypatch, settings, labels=True)
    assert cli("keys", "list")[0] == 0  # first start: the configured HSM keys are recorded
    capsys.readouterr()
    # Without the HSM token the service would fall back to development keys: refused.
    monkeypatch.delenv("VAXCERT_HSM_TOKEN")
    assert cli("keys", "list")[0] == 1
    assert "startup.key_provider_changed" in _one_line(capsys)
    # Another DSC label than the recorded one: refused, the operator rotates instead.
    environment(monkeypatch, settings)
    assert settings.hsm_token is not None
    monkeypatch.setenv("VAXCERT_DSC_KEY_LABELS", provision(settings.hsm_token, csca))
    assert cli("keys", "list")[0] == 1
    assert "startup.key_labels_changed" in _one_line(capsys)
    other = Settings(**{**restarted(settings).model_dump(), "dsc_key_labels": "other"})
    with pytest.raises(Exception, match="VAXCERT_DSC_KEY_LABELS"), TestClient(create_app(other)):
        pass


def test_the_only_signer_cannot_be_retired(
    settings: Settings, csca: IssuedKeyPair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = first_start(monkeypatch, settings)
    assert settings.hsm_token is not None
    kid = next(line.split()[0] for line in listing.splitlines() if " dsc " in line)
    capsys.readouterr()
    assert cli("keys", "retire", kid)[0] == 1
    assert "keys.last_signer" in _one_line(capsys)
    # Once a new DSC signs vaccinations, the old one may be retired for the rest.
    assert cli("keys", "rotate", "--label", provision(settings.hsm_token, csca, "v"), "--types", "v")[0] == 0
    assert cli("keys", "retire", kid)[0] == 1  # still the only signer of t and r
    assert cli("keys", "rotate", "--label", provision(settings.hsm_token, csca, "tr"), "--types", "tr")[0] == 0
    assert f"{kid}  dsc   retired" in cli("keys", "list")[1]


def test_rotation_refuses_a_dsc_not_allowed_for_the_types(
    settings: Settings, csca: IssuedKeyPair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first_start(monkeypatch, settings)
    assert settings.hsm_token is not None
    assert cli("keys", "rotate", "--label", provision(settings.hsm_token, csca, "t"), "--types", "v")[0] == 1
    assert "keys.wrong_types" in _one_line(capsys)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def no_hsm_settings(settings: Settings) -> Iterator[Settings]:
    yield settings.model_copy(update={"hsm_token": None})


def test_service_start_refuses_a_switch_too(settings: Settings, no_hsm_settings: Settings) -> None:
    with TestClient(create_app(settings)):
        pass
    with pytest.raises(Exception, match="refusing to switch"), TestClient(create_app(no_hsm_settings)):
        pass


def test_first_start_records_the_configured_labels(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(settings)):
        pass
    environment(monkeypatch, settings)
    status, listing = cli("keys", "list")
    assert status == 0
    rows = [line for line in listing.splitlines()[1:] if line.strip()]
    assert any(f"{settings.hsm_token}:{SERVICE_KEY}" in row and " active " in row for row in rows)
    assert any(" list " in row and "pkcs11" in row for row in rows)  # the list signer lives in the HSM
    assert not (settings.data_dir / "dev-pki" / "anchor-key.pem").exists()
    assert Path(settings.data_dir / "list-signer.pem").exists()
