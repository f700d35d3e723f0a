"""The issuing logic raises domain errors (kind and stable code), never HTTP statuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from issuer_service import db
from issuer_service.auth import Caller, create_organisation
from issuer_service.errors import Conflict, Invalid, NotFound, ServiceError, Unavailable
from issuer_service.issuing import IssuerService
from issuer_service.metrics import Metrics
from issuer_service.settings import Settings
from issuer_service.signers import load_signers


@pytest.fixture
def service(settings: Settings) -> Iterator[tuple[IssuerService, Caller]]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.resolved_database_url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        organisation = create_organisation(session, "Bach Mai Hospital")
    caller = Caller(organisation.id, organisation.name, "test", frozenset({"issue", "read"}), organisation.uvci_prefix)
    signers = load_signers(settings, sessions)
    try:
        yield IssuerService(settings, sessions, signers, Metrics()), caller
    finally:
        signers.close()
        engine.dispose()


def test_errors_are_domain_kinds_without_http_statuses(
    service: tuple[IssuerService, Caller], vaccination_payload: dict[str, Any]
) -> None:
    issuer, caller = service
    with pytest.raises(NotFound) as missing:
        issuer.get(caller, "URN:UVCI:01:VN:NOPE#X")
    assert missing.value.code == "not_found" and not hasattr(missing.value, "status")
    with pytest.raises(Invalid) as invalid:
        issuer.issue(caller, {**vaccination_payload, "dob": "1990-02-30"})
    assert invalid.value.code == "schema.invalid" and "dob: " in invalid.value.message
    first = issuer.issue(caller, vaccination_payload, idempotency_key="k1")
    with pytest.raises(Conflict) as reused:
        issuer.issue(caller, {**vaccination_payload, "dob": "1931"}, idempotency_key="k1")
    assert reused.value.code == "idempotency_key_reused"
    assert issuer.issue(caller, vaccination_payload, idempotency_key="k1").uvci == first.uvci


def test_a_lost_database_is_unavailable(
    service: tuple[IssuerService, Caller], vaccination_payload: dict[str, Any]
) -> None:
    issuer, caller = service
    issuer.sessions = db.session_factory(
        db.make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    )
    with pytest.raises(Unavailable) as down:
        issuer.issue(caller, vaccination_payload)
    assert isinstance(down.value, ServiceError) and down.value.code == "database_unavailable"


def test_revocation_is_its_own_part_over_the_same_store(
    service: tuple[IssuerService, Caller], vaccination_payload: dict[str, Any]
) -> None:
    issuer, caller = service
    record = issuer.issuance.issue(caller, vaccination_payload)
    stranger = Caller(caller.organisation_id + 1, "Someone else", "test", frozenset({"revoke"}), "ZZ")
    with pytest.raises(NotFound):
        issuer.revocations.revoke(stranger, record.uvci, "not theirs")
    revoked = issuer.revocations.revoke(caller, record.uvci, "issued in error")
    assert revoked.revoked_at is not None and revoked.revocation_reason == "issued in error"
    assert issuer.issuance.get(caller, record.uvci).revoked_at == revoked.revoked_at
    assert [uvci for uvci, _, _ in issuer.revocations.revoked_since()] == [record.uvci]
