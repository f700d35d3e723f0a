"""UVCI namespaces, the `ci` grammar and the plausibility checks through the HTTP API and the admin CLI,
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer_service import db
from issuer_service.admin import main as admin
from issuer_service.settings import Settings
from tests.conftest import load_vector_file
from tests.issuer_service.conftest import auth, make_key
from vaxcert.hcert import uvci

REFUSALS = load_vector_file("issue-refusals.json")


def _namespace(client: TestClient, key: str, payload: dict[str, Any]) -> str:
    created = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert created.status_code == 201, created.text
    generated: str = created.json()["uvci"]
    return generated[: generated.index("/") + 1]


def _with_ci(payload: dict[str, Any], value: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(payload))
    changed["v"][0]["ci"] = value
    return changed


def _in(namespace: str, opaque: str) -> str:
    body = namespace + opaque
    return f"{body}#{uvci.check_character(body)}"


def test_generated_uvcis_lie_in_the_organisations_namespace(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    bach_mai = make_key(settings, "Bach Mai Hospital", {"issue"})
    cho_ray = make_key(settings, "Cho Ray Hospital", {"issue"})
    first, second = (_namespace(client, bach_mai, vaccination_payload) for _ in range(2))
    other = _namespace(client, cho_ray, vaccination_payload)
    assert first == second != other
    assert first.startswith("URN:UVCI:01:VN:") and len(first) == len("URN:UVCI:01:VN:") + 5


def test_ci_inside_the_namespace_is_issued_once_then_409(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read"})
    own = _in(_namespace(client, key, vaccination_payload), "DOSE/2021/0001")
    created = client.post("/v1/certificates", json=_with_ci(vaccination_payload, own), headers=auth(key))
    assert created.status_code == 201 and created.json()["uvci"] == own
    again = client.post("/v1/certificates", json=_with_ci(vaccination_payload, own), headers=auth(key))
    assert again.status_code == 409 and again.json()["error"]["code"] == "uvci_exists"
    assert again.json()["error"]["message"].startswith("v.0.ci: ")


def test_another_organisations_uvci_is_422_and_reveals_nothing(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    """The oracle: reusing an existing UVCI of another organisation gave 500 uvci_collision."""
    victim = make_key(settings, "Bach Mai Hospital", {"issue"})
    attacker = make_key(settings, "Cho Ray Hospital", {"issue"})
    existing = client.post("/v1/certificates", json=vaccination_payload, headers=auth(victim)).json()["uvci"]
    never_issued = _in(existing[: existing.index("/") + 1], "NEVER/ISSUED")
    answers = [
        client.post("/v1/certificates", json=_with_ci(vaccination_payload, value), headers=auth(attacker))
        for value in (existing, never_issued)
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "uvci_outside_namespace"
        assert answer.json()["error"]["message"].startswith("v.0.ci: ")
    assert answers[0].json() == answers[1].json()  # existing or not: the same answer
    foreign = "URN:UVCI:01:NL:187/37512422923#Z"  # well-formed, but no organisation here owns it
    refused = client.post("/v1/certificates", json=_with_ci(vaccination_payload, foreign), headers=auth(attacker))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "uvci_outside_namespace"


@pytest.mark.parametrize(
    "case", [c for c in REFUSALS["refused"] if c["code"].startswith("issue.bad_uvci")], ids=lambda c: c["name"]
)
def test_malformed_ci_is_422_naming_the_field(
    case: dict[str, Any],
    client: TestClient,
    settings: Settings,
    request: pytest.FixtureRequest,
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    payload = request.getfixturevalue(f"{case['base']}_payload")
    group = case["field"].split(".")[0]
    payload[group][0]["ci"] = next(iter(case["set"].values()))
    answer = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert answer.status_code == 422, answer.text
    fields = {problem["field"] for problem in answer.json()["error"]["fields"]}
    assert case["field"] in fields


@pytest.mark.parametrize(
    ("base", "changes", "field"),
    [
        ("vaccination", {"dob": "2099-01-01"}, "dob"),
        ("vaccination", {"dob": "2099"}, "dob"),
        ("vaccination", {"v.0.dt": "2099-01-01"}, "v.0.dt"),
        ("vaccination", {"dob": "1990-04-15", "v.0.dt": "1990-04-01"}, "v.0.dt"),
        ("test", {"t.0.sc": "2099-01-01T08:00:00Z"}, "t.0.sc"),
        ("recovery", {"r.0.fr": "2099-01-01"}, "r.0.fr"),
        ("vaccination", {"nam.fn": "Nguy\u0000n"}, "nam.fn"),
        ("vaccination", {"nam.gn": "Thị Phương 😷"}, "nam.gn"),
    ],
)
def test_implausible_payloads_are_422_naming_the_field(
    base: str,
    changes: dict[str, str],
    field: str,
    client: TestClient,
    settings: Settings,
    request: pytest.FixtureRequest,
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    payload = request.getfixturevalue(f"{base}_payload")
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    answer = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert answer.status_code == 422, answer.text
    assert field in {problem["field"] for problem in answer.json()["error"]["fields"]}


def test_vietnamese_names_with_hyphens_and_apostrophes_are_issued(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    vaccination_payload["nam"] = {"fn": "Đặng-Lê", "gn": "Thị Ánh D’ương O'Neil"}
    answer = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert answer.status_code == 201, answer.text


def _admin(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return admin(list(args), stdout=out), out.getvalue()


def _admin_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VAXCERT_DATABASE_URL", settings.resolved_database_url)


def test_org_create_shows_the_namespace_and_org_list_lists_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _admin_env(settings, monkeypatch)
    status, out = _admin("org", "create", "Bach Mai Hospital")
    assert status == 0
    shown = out.split("UVCI namespace ")[1].rstrip(")\n")
    assert shown.startswith("URN:UVCI:01:VN:") and shown.endswith("/")
    assert _admin("org", "create", "Cho Ray Hospital")[0] == 0
    assert _admin("key", "create", "--org", "Cho Ray Hospital", "--scopes", "issue")[0] == 0
    status, listing = _admin("org", "list")
    rows = [line.split("\t") for line in listing.splitlines()]
    assert status == 0 and [row[1] for row in rows] == ["Bach Mai Hospital", "Cho Ray Hospital"]
    assert rows[0][2] == shown and rows[1][2] != shown
    assert [row[3] for row in rows] == ["0 active keys", "1 active keys"]


def test_migration_back_fills_a_unique_prefix_for_existing_organisations(settings: Settings) -> None:
    engine = db.make_engine(settings.resolved_database_url)
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")  # the schema before namespaces
        for index in range(50):
            connection.execute(
                text("INSERT INTO organisations (name, created_at) VALUES (:name, CURRENT_TIMESTAMP)"),
                {"name": f"Trạm y tế {index}"},
            )
    db.migrate(engine)
    with engine.connect() as connection:
        prefixes = [row[0] for row in connection.execute(text("SELECT uvci_prefix FROM organisations"))]
    engine.dispose()
    assert len(prefixes) == 50 and len(set(prefixes)) == 50
    assert all(uvci.grammar_problem(uvci.generate("VN", prefix)) is None for prefix in prefixes)
