"""The HTTP API against real databases (SQLite and PostgreSQL) and a SoftHSM2-held DSC key."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

import vaxcert.hcert.uvci
from issuer_service import db
from issuer_service.audit import seal_all, verify_chain
from issuer_service.settings import Settings
from tests.issuer_service.conftest import auth, make_key
from vaxcert import DocumentSignerCertificate, qr, trustlist, verify


def _trust(client: TestClient, settings: Settings) -> Any:
    listed = client.get("/v1/trust-list")
    assert listed.status_code == 200
    anchor = DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")
    return trustlist.verify(listed.content, [anchor]).trust_store()


@pytest.mark.parametrize("kind", ["vaccination", "test", "recovery"])
def test_issue_read_and_verify(
    client: TestClient, settings: Settings, kind: str, request: pytest.FixtureRequest
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read"})
    payload = request.getfixturevalue(f"{kind}_payload")
    created = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["uvci"].startswith("URN:UVCI:01:VN:")
    report = verify(body["hc1"], _trust(client, settings))
    assert report.valid, report.failures
    path = f"/v1/certificates/{quote(body['uvci'], safe='')}"
    assert body["links"]["png"].endswith(f"{path}/qr.png")
    assert client.get(path, headers=auth(key)).json()["hc1"] == body["hc1"]
    assert qr.decode(client.get(f"{path}/qr.png", headers=auth(key)).content) == body["hc1"]
    assert "</svg>" in client.get(f"{path}/qr.svg", headers=auth(key)).text


def test_pdf_opens_and_its_qr_decodes(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read"})
    created = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert created.status_code == 201, created.text
    body = created.json()
    pdf = client.get(f"/v1/certificates/{quote(body['uvci'], safe='')}/pdf", headers=auth(key))
    assert pdf.status_code == 200, (pdf.text, body["uvci"])
    assert pdf.headers["content-type"] == "application/pdf"
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    text = page.extract_text()
    assert "CHỨNG NHẬN TIÊM CHỦNG" in text and "Nguyễn Thị Phương" in text and "Comirnaty" in text
    images = page.images
    assert len(images) == 1
    png = io.BytesIO()
    images[0].image.save(png, "PNG")
    assert qr.decode(png.getvalue()) == body["hc1"]


def test_idempotency(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    headers = {**auth(key), "Idempotency-Key": "dose-2021-0001"}
    first = client.post("/v1/certificates", json=vaccination_payload, headers=headers)
    again = client.post("/v1/certificates", json=vaccination_payload, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["uvci"] == again.json()["uvci"] and first.json()["hc1"] == again.json()["hc1"]
    changed = {**vaccination_payload, "dob": "1991"}
    conflict = client.post("/v1/certificates", json=changed, headers=headers)
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_key_reused"
    other_org = make_key(settings, "Cho Ray Hospital", {"issue"})
    separate = client.post(
        "/v1/certificates", json=vaccination_payload, headers={**auth(other_org), "Idempotency-Key": "dose-2021-0001"}
    )
    assert separate.status_code == 201 and separate.json()["uvci"] != first.json()["uvci"]


ROUTES = [
    ("post", "/v1/certificates", "issue"),
    ("get", "/v1/certificates/{uvci}", "read"),
    ("get", "/v1/certificates/{uvci}/qr.png", "read"),
    ("get", "/v1/certificates/{uvci}/qr.svg", "read"),
    ("get", "/v1/certificates/{uvci}/pdf", "read"),
    ("post", "/v1/certificates/{uvci}/revoke", "revoke"),
    ("post", "/v1/bulk", "issue"),
    ("get", "/v1/bulk/1", "read"),
    ("get", "/metrics", "admin"),
]


def test_auth_matrix(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    admin = make_key(settings, "Ministry", {"admin"})
    uvci = client.post("/v1/certificates", json=vaccination_payload, headers=auth(admin)).json()["uvci"]
    bodies: dict[str, Any] = {"/v1/certificates": vaccination_payload, "/revoke": {"reason": "entered twice"}}
    for method, template, scope in ROUTES:
        path = template.format(uvci=quote(uvci, safe=""))
        body = next((v for k, v in bodies.items() if path.endswith(k)), None)
        wrong_scope = make_key(settings, "Ministry", {s for s in ("issue", "read", "revoke") if s != scope} or {"read"})
        for headers, expected in (
            ({}, 401),
            (auth("vx_nope_nope"), 401),
            ({"X-API-Key": "garbage"}, 401),
            (auth(wrong_scope), 403),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == expected, (method, path, headers, response.text)
            assert response.json()["error"]["code"] in ("unauthenticated", "forbidden")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics", headers=auth(admin)).status_code == 200


def test_revoked_key_is_refused(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    from issuer_service.admin import main as admin_main

    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 201
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAXCERT_DATABASE_URL", settings.resolved_database_url)
        assert admin_main(["key", "revoke", key.split("_")[1]], stdout=io.StringIO()) == 0
    assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 401


def test_organisations_see_only_their_certificates(
    client: TestClient, settings: Settings, vaccination_payload: Any
) -> None:
    mine = make_key(settings, "Bach Mai Hospital", {"issue", "read", "revoke"})
    theirs = make_key(settings, "Cho Ray Hospital", {"issue", "read", "revoke"})
    uvci = quote(client.post("/v1/certificates", json=vaccination_payload, headers=auth(mine)).json()["uvci"], safe="")
    for path in (f"/v1/certificates/{uvci}", f"/v1/certificates/{uvci}/pdf", f"/v1/certificates/{uvci}/qr.png"):
        assert client.get(path, headers=auth(theirs)).status_code == 404
    assert (
        client.post(f"/v1/certificates/{uvci}/revoke", json={"reason": "not mine"}, headers=auth(theirs)).status_code
        == 404
    )


def test_revocation_and_audit_chain(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read", "revoke"})
    uvci = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()["uvci"]
    revoked = client.post(
        f"/v1/certificates/{quote(uvci, safe='')}/revoke", json={"reason": "issued in error"}, headers=auth(key)
    )
    assert revoked.status_code == 200 and revoked.json()["revocation_reason"] == "issued in error"
    assert client.get(f"/v1/certificates/{quote(uvci, safe='')}", headers=auth(key)).json()["revoked_at"]
    engine = db.make_engine(settings.resolved_database_url)
    sessions = db.session_factory(engine)
    seal_all(sessions)  # PostgreSQL: the service seals its outbox every half second; do it now
    with sessions() as session:
        check = verify_chain(session)
        assert check.intact and check.entries >= 3 and check.pending == 0  # issue, revoke, read
    with db.transaction(sessions) as session:
        session.execute(db.text("UPDATE audit_log SET subject = 'forged' WHERE action = 'revoke'"))
    with sessions() as session:
        check = verify_chain(session)
        assert not check.intact and "changed" in (check.reason or "")
    engine.dispose()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_request"),
        (b'{"ver": "1.3.0"}', "invalid_request"),
        (b'["a list"]', "invalid_request"),
        (b'{"ver": 1' + b"0" * 5000 + b"}", "invalid_request"),  # beyond Python's int digit limit
    ],
)
def test_bad_bodies(client: TestClient, settings: Settings, body: bytes, code: str) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    response = client.post("/v1/certificates", content=body, headers={**auth(key), "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == code


def test_field_errors_are_named(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    vaccination_payload["v"][0]["dn"] = 0
    response = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert response.status_code == 422 and "v.0.dn" in response.json()["error"]["message"]
    vaccination_payload["v"][0]["dn"] = 1
    vaccination_payload["v"][0]["mp"] = "Nanocovax"
    response = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert response.status_code == 422 and response.json()["error"]["code"] == "issue.unknown_code"
    vaccination_payload["v"][0]["mp"] = "EU/1/20/1528"
    vaccination_payload["dob"] = "1990-02-30"
    assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 422


def test_oversized_body(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    vaccination_payload["nam"]["fn"] = "x" * 20000
    response = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_hsm_unavailable_is_503_and_nothing_is_written(
    client: TestClient, settings: Settings, vaccination_payload: Any
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    state = _state(client)
    before = state["service"].certificate_count()
    signer = state["signers"].for_type("v")
    signer.close()  # the HSM session is gone, as when the HSM is unplugged
    response = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert response.status_code == 503 and response.json()["error"]["code"] == "hsm_unavailable"
    assert state["service"].certificate_count() == before
    assert client.get("/readyz").status_code == 503


def test_database_down_is_503(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    state = _state(client)
    dead = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    state["service"].sessions = db.session_factory(dead)
    response = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_unavailable"


def test_bulk_upload_over_http(client: TestClient, settings: Settings) -> None:
    import time

    key = make_key(settings, "Ministry", {"issue", "read"})
    csv_body = (
        "fn,gn,dob,vp,mp,ma,dn,sd,dt\n"
        "Nguyễn,Văn An,1980,1119349007,EU/1/20/1528,ORG-100030215,1,2,2021-08-01\n"
        "Trần,Thị Bình,1975-03,1157024006,BBIBP-CorV,ORG-100020693,2,2,2021-09-15\n"
        "Lê,Cường,1990,1119349007,Nanocovax,ORG-100030215,1,2,2021-08-01\n"
        "Phạm,,1960,1119349007,EU/1/20/1528,ORG-100030215,x,2,2021-08-01\n"
    )
    accepted = client.post(
        "/v1/bulk?name=old-records.csv", content=csv_body.encode(), headers={**auth(key), "Content-Type": "text/csv"}
    )
    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    for _ in range(100):
        status = client.get(f"/v1/bulk/{job_id}?rows=true", headers=auth(key)).json()
        if status["status"] == "finished":
            break
        time.sleep(0.1)
    assert status["status"] == "finished" and status["rows_issued"] == 2 and status["rows_rejected"] == 2
    errors = {row["row"]: row["error"] for row in status["rows"] if row["error"]}
    assert "Nanocovax" in errors[4] and "bad CSV row" in errors[5]


def _state(client: TestClient) -> dict[str, Any]:
    """The app's runtime state (engine, service, signers), for fault injection."""
    state = client.app.state.vaxcert  # type: ignore[attr-defined]
    return {"engine": state.engine, "service": state.service, "signers": state.signers}


def test_uvcis_with_slashes_are_addressable(client: TestClient, settings: Settings, vaccination_payload: Any) -> None:
    """Namespaced UVCIs contain '/', and check characters can be '/' too."""
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read", "revoke"})
    generated = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()["uvci"]
    namespace = generated[: generated.index("/") + 1]
    body = next(
        body
        for number in range(10_000)
        if vaxcert.hcert.uvci.check_character(body := f"{namespace}187/{number}") == "/"
    )
    vaccination_payload["v"][0]["ci"] = f"{body}#/"
    uvci = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()["uvci"]
    assert uvci == f"{body}#/"
    base = f"/v1/certificates/{quote(uvci, safe='')}"
    assert client.get(base, headers=auth(key)).json()["uvci"] == uvci
    for suffix in ("/qr.png", "/qr.svg", "/pdf"):
        assert client.get(base + suffix, headers=auth(key)).status_code == 200, suffix
    assert client.post(base + "/revoke", json={"reason": "test"}, headers=auth(key)).status_code == 200


def test_revocation_list_publishes_revoked_certificates(
    client: TestClient, settings: Settings, vaccination_payload: Any
) -> None:
    from vaxcert import Policy
    from vaxcert.hcert import revocation

    key = make_key(settings, "Bach Mai Hospital", {"issue", "revoke"})
    revoked = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()
    kept = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()
    client.post(
        f"/v1/certificates/{quote(revoked['uvci'], safe='')}/revoke",
        json={"reason": "duplicate record"},
        headers=auth(key),
    )
    anchor = DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")
    listed = revocation.verify(client.get("/v1/revocation-list").content, [anchor])
    policy = Policy(revocations=listed)
    trust = _trust(client, settings)
    assert verify(revoked["hc1"], trust, policy=policy).outcome("revocation").code == "revocation.revoked"
    assert verify(kept["hc1"], trust, policy=policy).valid


def test_framework_errors_use_the_service_error_shape(client: TestClient) -> None:
    missing = client.get("/v1/no-such-route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/healthz")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("dob", "reason"), [("1990-02-30", "no such day"), ("1990-13", "no such month"), ("1990-13-01", "no such month")]
)
def test_impossible_date_of_birth_names_the_field(
    client: TestClient, settings: Settings, vaccination_payload: Any, dob: str, reason: str
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    response = client.post("/v1/certificates", json={**vaccination_payload, "dob": dob}, headers=auth(key))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["fields"] == [{"field": "dob", "message": f"the date of birth has {reason}"}]
    assert error["message"] == f"dob: the date of birth has {reason}"
    assert dob not in response.text  # the date itself is personal data: never echoed


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        (b"{not json", 1, 2),
        (b'{\n  "ver": "1.3.0",\n  "nam": }', 3, 10),
        ('{"nam": {"fn": "Nguyễn"},\n "dob" "1990"}'.encode(), 2, 8),  # columns count characters, not bytes
    ],
)
def test_malformed_json_reports_line_and_column(
    client: TestClient, settings: Settings, body: bytes, line: int, column: int
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue"})
    response = client.post("/v1/certificates", content=body, headers={**auth(key), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["fields"] == []
    assert error["position"] == {"line": line, "column": column}
    assert error["message"].startswith("the body is not valid JSON: ")
    assert error["message"].endswith(f"(line {line}, column {column})")
