"""No personal data in logs: names, dates of birth, payloads and HC1 strings never reach a log line."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from issuer_service import db
from issuer_service.models import Certificate, Organisation
from issuer_service.settings import Settings
from tests.conftest import SENTINEL, leaked_log_lines
from tests.issuer_service.conftest import auth, make_key, uvci_of


def test_database_errors_do_not_carry_sql_parameters(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    now = datetime.now(UTC)
    certificate = {
        "uvci": "URN:UVCI:01:VN:LOGTEST",
        "organisation_id": 1,
        "certificate_type": "v",
        "hc1": f"HC1:{SENTINEL}",
        "kid": "00",
        "issued_at": now,
        "expires_at": now,
    }
    with pytest.raises(IntegrityError) as raised, db.transaction(db.session_factory(engine)) as session:
        session.execute(insert(Organisation).values(id=1, name="Ministry", created_at=now))
        session.execute(insert(Certificate), [certificate, certificate])
    engine.dispose()
    assert SENTINEL not in str(raised.value) and "HC1:" not in str(raised.value)


def test_bulk_and_api_failures_log_no_personal_data(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = make_key(settings, "Ministry", {"issue", "read"})
    payload = {**vaccination_payload, "nam": {"fn": SENTINEL, "gn": SENTINEL}, "dob": "1931-07-19"}
    ci = uvci_of(settings, "Ministry", "LOGS1")
    taken = {**payload, "v": [{**payload["v"][0], "ci": ci}]}
    first = client.post("/v1/certificates", json=taken, headers=auth(key))
    assert first.status_code == 201
    hc1 = first.json()["hc1"]
    client.post("/v1/certificates", json={**payload, "dob": "1931-13"}, headers=auth(key))
    lines = [
        "fn,gn,dob,vp,mp,ma,dn,sd,dt,ci",
        f"{SENTINEL},{SENTINEL},1931-07-19,1119349007,EU/1/20/1528,ORG-100030215,1,2,2021-08-01,{ci}",
        f"{SENTINEL},{SENTINEL},1931-13,1119349007,EU/1/20/1528,ORG-100030215,1,2,2021-08-01,",
        f"{SENTINEL},{SENTINEL},1931-07-19,1119349007,EU/1/20/1528,ORG-100030215,{SENTINEL},2,2021-08-01,",
    ]
    bodies = [("\n".join(lines) + "\n").encode(), ("\n".join(lines[:2]) + '\n"').encode() + b"x" * 200_000]
    for body in bodies:
        accepted = client.post("/v1/bulk", content=body, headers={**auth(key), "Content-Type": "text/csv"})
        assert accepted.status_code == 202
        for _ in range(200):
            status = client.get(f"/v1/bulk/{accepted.json()['job_id']}?rows=true", headers=auth(key)).json()
            if status["status"] != "running":
                break
            time.sleep(0.05)
        assert status["status"] in ("finished", "failed")
        # What the job reports (and the CLI's rejects file lists) quotes no row either.
        shown = str(status)
        assert SENTINEL not in shown and "1931" not in shown
    logged = caplog.text + "".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert SENTINEL not in logged and "1931-07-19" not in logged and hc1 not in logged


def test_the_session_log_check_sees_every_logger() -> None:
    needle = f"needle-{secrets.token_hex(8)}"
    assert not leaked_log_lines(needle)
    logging.getLogger("vaxcert.issuer").warning("a test line with %s", needle)
    assert leaked_log_lines(needle)


def test_pdf_request_logs_no_font_subsetting_chatter(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    created = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert created.status_code == 201, created.text
    caplog.set_level(logging.DEBUG)
    pdf = client.get(f"/v1/certificates/{quote(created.json()['uvci'], safe='')}/pdf", headers=auth(key))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    chatter = [r for r in caplog.records if r.name.startswith("fontTools") and r.levelno < logging.WARNING]
    assert chatter == [], f"{len(chatter)} fontTools lines below WARNING, e.g. {chatter[0].getMessage()!r}"
