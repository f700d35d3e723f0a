"""Console search on SQLite and PostgreSQL: folded names, dates of birth, UVCIs, one organisation only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from issuer_service import db, search
from issuer_service.models import Certificate, Organisation
from issuer_service.settings import Settings
from tests.issuer_service.conftest import auth, make_key

VECTORS = json.loads((Path(__file__).parents[2] / "spec/vectors/console/search.json").read_text("utf-8"))


def _payload(holder: dict[str, str]) -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": {"fn": holder["fn"], "gn": holder["gn"]},
        "dob": holder["dob"],
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 1,
                "sd": 2,
                "dt": "2021-08-01",
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
            }
        ],
    }


@pytest.mark.parametrize("case", VECTORS["folds"], ids=lambda case: case["folded"])
def test_fold_removes_vietnamese_marks_and_punctuation(case: dict[str, str]) -> None:
    assert search.fold(case["name"]) == case["folded"]


def test_query_kinds() -> None:
    assert search.parse_query("15/04/1990") == search.Query("dob", "1990-04-15")
    assert search.parse_query("urn:uvci:01:VN:ABCD/X#Y") == search.Query("uvci", "URN:UVCI:01:VN:ABCD/X#Y")
    assert search.parse_query("  Nguyễn  THỊ ") == search.Query("name", "nguyen thi")
    assert search.parse_query("31/02/1990") == search.Query("name", "31 02 1990")  # no such day: not a date
    assert search.parse_query("  ") is None


def _issue_holders(client: TestClient, key: str) -> dict[str, str]:
    issued = {}
    for holder in VECTORS["holders"]:
        answer = client.post("/v1/certificates", json=_payload(holder), headers=auth(key))
        assert answer.status_code == 201, answer.text
        issued[f"{holder['fn']} {holder['gn']}"] = answer.json()["uvci"]
    return issued


def _found(settings: Settings, organisation: str, text: str) -> list[search.Found]:
    engine = db.make_engine(settings.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            org_id = session.scalar(select(Organisation.id).where(Organisation.name == organisation))
            assert org_id is not None
            query = search.parse_query(text)
            assert query is not None
            return search.search(session, org_id, query)
    finally:
        engine.dispose()


def test_search_by_name_without_diacritics_date_of_birth_and_uvci(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Trạm Y tế Phường 1", {"issue", "read"})
    other = make_key(settings, "Bệnh viện B", {"issue", "read"})
    issued = _issue_holders(client, key)
    _issue_holders(client, other)  # the same people at another site: never among the first site's results
    for case in VECTORS["searches"]:
        found = _found(settings, "Trạm Y tế Phường 1", case["query"])
        assert sorted(f.name for f in found) == sorted(case["finds"]), case["query"]
        assert {f.uvci for f in found} <= set(issued.values())
    uvci = issued["Đặng Văn Lưỡng"]
    (by_uvci,) = _found(settings, "Trạm Y tế Phường 1", uvci)
    assert (by_uvci.name, by_uvci.dob, by_uvci.certificate_type, by_uvci.revoked) == (
        "Đặng Văn Lưỡng",
        "1972-01-30",
        "v",
        False,
    )
    assert _found(settings, "Bệnh viện B", uvci) == []


def test_migration_fills_search_columns_of_existing_certificates(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Trạm Y tế Phường 2", {"issue", "read"})
    _issue_holders(client, key)
    engine = db.make_engine(settings.resolved_database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(db.MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")  # the columns go; upgrading fills them from each HC1 again
        db.migrate(engine)
        with db.session_factory(engine)() as session:
            rows = dict(session.execute(select(Certificate.search_name, Certificate.dob)).all())
    finally:
        engine.dispose()
    assert rows == {search.fold(f"{holder['fn']} {holder['gn']}"): holder["dob"] for holder in VECTORS["holders"]}


def test_certificate_without_search_columns_is_not_found_by_name(client: TestClient, settings: Settings) -> None:
    # guards the test above: search really reads the stored column, not the HC1
    key = make_key(settings, "Trạm Y tế Phường 3", {"issue", "read"})
    _issue_holders(client, key)
    engine = db.make_engine(settings.resolved_database_url)
    with db.transaction(db.session_factory(engine)) as session:
        session.execute(update(Certificate).values(search_name=None))
    engine.dispose()
    assert _found(settings, "Trạm Y tế Phường 3", "nguyen") == []
