"""Bulk jobs over HTTP and the CLI, on SQLite and PostgreSQL: bad rows, bad files, uploads, identity."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from issuer_service import admin, db
from issuer_service.app import create_app
from issuer_service.models import BulkJob, BulkRow, BulkUpload, Certificate
from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, SENTINEL
from tests.issuer_service.conftest import SERVICE_KEY, auth, make_key, uvci_of

HEADER = "fn,gn,dob,vp,mp,ma,dn,sd,dt,ci"
GOOD = "1119349007,EU/1/20/1528,ORG-100030215,1,2,2021-08-01"


def _row(index: int, ci: str = "", dob: str = "1980-02-03") -> str:
    return f"{SENTINEL},Văn {index},{dob},{GOOD},{ci}"


def _csv(*rows: str, newline: str = "\n", trailing: str = "") -> bytes:
    return "".join(line + trailing + newline for line in (HEADER, *rows)).encode()


def _wait(client: TestClient, key: str, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = client.get(f"/v1/bulk/{job_id}?rows=true", headers=auth(key)).json()
        if status["status"] != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def _upload(client: TestClient, key: str, body: bytes, name: str = "records.csv") -> dict[str, Any]:
    accepted = client.post(f"/v1/bulk?name={name}", content=body, headers={**auth(key), "Content-Type": "text/csv"})
    assert accepted.status_code == 202, accepted.text
    return _wait(client, key, accepted.json()["job_id"])


def _scalar(settings: Settings, query: Any) -> Any:
    engine = db.make_engine(settings.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            return session.scalar(query)
    finally:
        engine.dispose()


def _certificates(settings: Settings) -> int:
    return int(_scalar(settings, select(func.count()).select_from(Certificate)) or 0)


def _uploads(settings: Settings) -> int:
    return int(_scalar(settings, select(func.count()).select_from(BulkUpload)) or 0)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The admin CLI reads its settings from the environment: the test's database and HSM key."""
    for name, value in {
        "VAXCERT_DATA_DIR": str(settings.data_dir),
        "VAXCERT_DATABASE_URL": settings.resolved_database_url,
        "VAXCERT_HSM_TOKEN": settings.hsm_token or "",
        "VAXCERT_DSC_KEY_LABELS": SERVICE_KEY,
        "VAXCERT_HSM_PIN": HSM_PIN,
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return admin.main(["bulk", *args], stdout=out), out.getvalue()


# ---------------------------------------------------------------------- bad rows never stop a job


def test_duplicate_and_already_issued_ci_are_row_failures(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    taken = uvci_of(settings, "Ministry", "SENTINELTAKEN1")
    single = {**vaccination_payload, "v": [{**vaccination_payload["v"][0], "ci": taken}]}
    assert client.post("/v1/certificates", json=single, headers=auth(key)).status_code == 201
    rows = [_row(i, ci=uvci_of(settings, "Ministry", f"BULK{i:04d}")) for i in range(8)]
    rows.insert(3, _row(90, ci=uvci_of(settings, "Ministry", "BULK0001")))  # the same ci as an earlier row
    rows.append(_row(91, ci=taken))  # already issued before the job
    status = _upload(client, key, _csv(*rows))
    assert status["status"] == "finished", status
    assert (status["rows_done"], status["rows_issued"], status["rows_rejected"]) == (10, 8, 2)
    errors = {row["row"]: row["error"] for row in status["rows"] if row["error"]}
    assert set(errors) == {5, 11} and all(error.startswith("uvci_taken") for error in errors.values())
    assert _certificates(settings) == 9
    # Sent again: nothing more is issued, the job does not get stuck.
    again = _upload(client, key, _csv(*rows))
    assert again["job_id"] == status["job_id"] and again["status"] == "finished" and _certificates(settings) == 9


@pytest.mark.parametrize("workers", ["1", "2"])
def test_duplicate_ci_through_the_cli(cli_env: Settings, tmp_path: Path, workers: str) -> None:
    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / "records.csv"
    ci = uvci_of(cli_env, "Ministry", "CLI1")
    records.write_bytes(_csv(_row(1, ci=ci), _row(2, ci=ci), _row(3)))
    status, out = _cli(str(records), "--org", "Ministry", "--workers", workers)
    assert status == 1 and "2 issued, 1 rejected" in out and "uvci_taken: 1" in out
    assert _certificates(cli_env) == 2


# ---------------------------------------------------------------------- files that cannot be read


def test_unreadable_upload_fails_the_job_with_a_reason(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    garbage = _csv(_row(1)) + b'"' + b"x" * 300_000  # a quoted field beyond the CSV reader's limit
    status = _upload(client, key, garbage)
    assert status["status"] == "failed", status
    assert status["failure"].startswith("bulk.unreadable_file") and "field limit" in status["failure"]
    assert _uploads(settings) == 0  # the upload's lifetime is the job's


def test_random_bytes_end_the_job(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    status = _upload(client, key, os.urandom(3 << 20), name="noise.csv")
    assert status["status"] in ("finished", "failed") and status["rows_issued"] == 0, status


def test_unreadable_file_through_the_cli(cli_env: Settings, tmp_path: Path) -> None:
    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / "records.csv"
    records.write_bytes(_csv(_row(1)) + b'"' + b"x" * 300_000)
    status, out = _cli(str(records), "--org", "Ministry")
    assert status == 1 and "FAILED: bulk.unreadable_file" in out


# ---------------------------------------------------------------------- job identity


def test_line_endings_and_trailing_blanks_do_not_make_a_new_job(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    rows = [_row(i) for i in range(5)]
    first = _upload(client, key, _csv(*rows))
    assert first["rows_issued"] == 5
    windows = _csv(*rows, newline="\r\n", trailing="  \t") + b"\r\n\r\n"
    second = _upload(client, key, windows)
    assert second["job_id"] == first["job_id"] and second["rows_issued"] == 5
    assert _certificates(settings) == 5
    different = _upload(client, key, _csv(*rows[:4]))
    assert different["job_id"] != first["job_id"]


def test_line_endings_through_the_cli(cli_env: Settings, tmp_path: Path) -> None:
    make_key(cli_env, "Ministry", {"issue"})
    rows = [_row(i) for i in range(4)]
    unix, windows = tmp_path / "unix.csv", tmp_path / "windows.csv"
    unix.write_bytes(_csv(*rows))
    windows.write_bytes(_csv(*rows, newline="\r\n", trailing=" "))
    assert _cli(str(unix), "--org", "Ministry")[0] == 0
    status, out = _cli(str(windows), "--org", "Ministry")
    assert status == 0 and "4 issued" in out and _certificates(cli_env) == 4


# ---------------------------------------------------------------------- uploads


def test_multipart_upload(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    body = _csv(_row(1), _row(2), _row(3, dob="1980-13"))
    accepted = client.post(
        "/v1/bulk",
        files={"file": ("from-browser.csv", body, "text/csv")},
        data={"note": "a field the service ignores"},
        headers=auth(key),
    )
    assert accepted.status_code == 202, accepted.text
    status = _wait(client, key, accepted.json()["job_id"])
    assert (status["status"], status["rows_total"], status["rows_issued"], status["rows_rejected"]) == (
        "finished",
        3,
        2,
        1,
    )
    error = next(row["error"] for row in status["rows"] if row["error"])
    assert "1980-13" not in error and SENTINEL not in error  # reasons never quote the row's personal data
    # The same file sent raw is the same job.
    assert _upload(client, key, body)["job_id"] == status["job_id"]


def test_multipart_without_a_file_field(client: TestClient, settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    refused = client.post("/v1/bulk", files={"records": ("a.csv", b"x", "text/csv")}, headers=auth(key))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "bulk.bad_multipart"
    assert _uploads(settings) == 0


def test_chunked_upload_over_the_limit_is_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 64 * 1024})
    key = make_key(small, "Ministry", {"issue", "read"})

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        yield _csv(_row(0))
        for _ in range(40):
            yield b"x" * 8192 + b"\n"

    with TestClient(create_app(small)) as client:
        refused = client.post("/v1/bulk", content=chunks(), headers={**auth(key), "Content-Type": "text/csv"})
        assert refused.status_code == 413 and refused.json()["error"]["code"] == "body_too_large"
        json_refused = client.post(
            "/v1/certificates",
            content=(b"{" + b" " * 4096 for _ in range(4)),
            headers={**auth(key), "Content-Type": "application/json"},
        )
        assert json_refused.status_code == 413
    assert _uploads(small) == 0
    assert not _scalar(small, select(func.count()).select_from(BulkJob))


def test_no_spool_file_and_stale_uploads_swept_at_startup(settings: Settings) -> None:
    key = make_key(settings, "Ministry", {"issue", "read"})
    before = set(Path(tempfile.gettempdir()).glob("vaxcert-bulk-*"))
    engine = db.make_engine(settings.resolved_database_url)
    old = datetime.now(UTC) - timedelta(days=2)
    with db.transaction(db.session_factory(engine)) as session:
        session.execute(insert(BulkUpload).values(upload_id="abandoned", seq=0, data=b"payloads", created_at=old))
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        assert _uploads(settings) == 0  # swept at startup
        status = _upload(client, key, _csv(_row(1)))
        assert status["status"] == "finished"
    assert _uploads(settings) == 0
    assert set(Path(tempfile.gettempdir()).glob("vaxcert-bulk-*")) <= before


# ---------------------------------------------------------------------- file modes


def test_database_files_and_data_folder_are_private(settings: Settings) -> None:
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("file modes concern the SQLite database")
    settings.data_dir.mkdir(mode=0o755)
    settings.data_dir.chmod(0o755)
    database = Path(settings.resolved_database_url.split("///", 1)[1])
    database.touch(mode=0o644)
    database.chmod(0o644)  # an installation from before the fix
    key = make_key(settings, "Ministry", {"issue", "read"})
    with TestClient(create_app(settings)) as client:
        _upload(client, key, _csv(_row(1)))
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert all(path.exists() for path in files)
        assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {path.name: 0o600 for path in files}
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_fresh_database_file_is_private(tmp_path: Path) -> None:
    database = tmp_path / "new" / "issuer.db"
    engine = db.make_engine(f"sqlite:///{database}")
    db.migrate(engine)
    engine.dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700


# ---------------------------------------------------------------------- the CLI's progress and rejects


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_progress_counts_rows_and_lists_rejects(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / "records.csv"
    records.write_bytes(_csv(_row(1), _row(2, dob="1980-13"), _row(3), "Lê,Cường,1990,x,y"))
    status, out = _cli(str(records), "--org", "Ministry", "--workers", workers)
    progress = capsys.readouterr().err
    assert status == 1
    assert "4/4 rows" in progress and "/5 rows" not in progress
    rejects = tmp_path / "records.csv.rejects.csv"
    assert str(rejects) in out and "2 issued, 2 rejected" in out
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,error" and [line.split(",")[0] for line in lines[1:]] == ["3", "5"]
    text = rejects.read_text(encoding="utf-8")
    assert SENTINEL not in text and "1980-13" not in text and "Cường" not in text
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    elsewhere = tmp_path / "elsewhere.csv"
    assert _cli(str(records), "--org", "Ministry", "--rejects", str(elsewhere), "--workers", workers)[0] == 1
    assert elsewhere.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_cli_refuses_a_worker_count_below_one(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    records = tmp_path / "records.csv"
    records.write_bytes(_csv(_row(1)))
    with pytest.raises(SystemExit) as exited:
        _cli(str(records), "--org", "Ministry", "--workers", workers)
    assert exited.value.code == 2 and "--workers" in capsys.readouterr().err


def test_many_rows_through_two_workers_keep_file_order(
    cli_env: Settings, tmp_path: Path, vaccination_payload: dict[str, Any]
) -> None:
    """Several chunks per worker: every row's result lands on its own row number, rejections included."""
    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / "records.ndjson"
    bad = {17, 64, 65, 200, 299}  # across chunk borders (64 rows a chunk) and batches
    lines = []
    for index in range(300):
        payload = json.loads(json.dumps(vaccination_payload))
        payload["nam"] = {"fn": SENTINEL, "gn": f"An {index}"}
        payload["v"][0]["ci"] = uvci_of(cli_env, "Ministry", f"ORDER{index:04d}")
        if index + 1 in bad:
            payload["v"][0]["mp"] = "Nanocovax"
        lines.append(json.dumps(payload))
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out = _cli(str(records), "--org", "Ministry", "--workers", "2", "--batch-size", "50")
    assert status == 1 and f"{300 - len(bad)} issued, {len(bad)} rejected" in out
    engine = db.make_engine(cli_env.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            results = session.execute(select(BulkRow.row_number, BulkRow.uvci, BulkRow.error)).all()
    finally:
        engine.dispose()
    assert len(results) == 300
    for number, uvci, error in results:
        if number in bad:
            assert uvci is None and error and SENTINEL not in error
        else:
            assert error is None and uvci == uvci_of(cli_env, "Ministry", f"ORDER{number - 1:04d}")


def test_ndjson_progress_total(
    cli_env: Settings, tmp_path: Path, vaccination_payload: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / "records.ndjson"
    payload = {**vaccination_payload, "nam": {"fn": SENTINEL, "gn": "An"}}
    records.write_text("\n".join(json.dumps(payload) for _ in range(3)) + "\n\n", encoding="utf-8")
    status, _ = _cli(str(records), "--org", "Ministry")
    assert status == 0 and "3/3 rows" in capsys.readouterr().err
    assert not (tmp_path / "records.ndjson.rejects.csv").exists()


if sys.platform != "linux":  # pragma: no cover - file modes and /proc are Linux-specific here
    pytestmark = pytest.mark.skip("Linux only")


def test_a_stopped_runner_hands_its_job_back_for_another_to_finish(
    settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    from issuer_service.auth import Caller
    from issuer_service.issuing import IssuerService
    from issuer_service.metrics import Metrics
    from issuer_service.models import Organisation
    from issuer_service.signers import load_signers

    make_key(settings, "Ministry", {"issue"})
    engine = db.make_engine(settings.resolved_database_url)
    sessions = db.session_factory(engine)
    signers = load_signers(settings, sessions)
    try:
        with sessions() as session:
            organisation = session.scalars(select(Organisation).where(Organisation.name == "Ministry")).one()
            caller = Caller(organisation.id, organisation.name, "test", frozenset({"issue"}), organisation.uvci_prefix)
        first, second = (IssuerService(settings, sessions, signers, Metrics()) for _ in range(2))
        body = "".join(
            json.dumps({**vaccination_payload, "nam": {"fn": SENTINEL, "gn": f"An {i}"}}) + "\n" for i in range(5)
        )
        first.store_upload_chunk("upload-stop", 0, body.encode())
        job = first.create_job(caller, "stop.ndjson", "sha-stop", rows_total=5, upload_id="upload-stop")
        claimed = first.claim_job(job.id)
        assert claimed is not None
        stop = threading.Event()
        stop.set()  # shutting down as the job starts
        handed = first.run_job(claimed, stop=stop)
        assert handed.status == "running" and handed.rows_done == 0
        again = second.claim_job(job.id)  # handed back: another runner takes it at once
        assert again is not None
        finished = second.run_job(again)
        assert (finished.status, finished.rows_done, finished.rows_issued) == ("finished", 5, 5)
        assert _certificates(settings) == 5
    finally:
        signers.close()
        engine.dispose()


# ---------------------------------------------------------------------- what the writer stores without decoding

_NAME_PART = st.text(st.sampled_from("aăâbđeêghioôơuưyNĐÀẢÃÁẠẰẲẴẮẶỲỶỸÝỴ ‐-'"), min_size=1, max_size=12)
_NAME = st.one_of(
    st.fixed_dictionaries({"fn": _NAME_PART.map(lambda part: SENTINEL + part), "gn": _NAME_PART}),
    st.fixed_dictionaries({"fn": _NAME_PART.map(lambda part: unicodedata.normalize("NFD", SENTINEL + part))}),
    st.fixed_dictionaries({"fnt": st.just(SENTINEL), "gnt": st.sampled_from(["AN", "THI<PHUONG", "X"])}),
)
_DOB = st.sampled_from(["1980-02-03", "1980-02", "1980", ""])


@pytest.mark.parametrize("workers", ["1", "2"])
@hypothesis_settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(holders=st.lists(st.tuples(_NAME, _DOB), min_size=1, max_size=12))
def test_searchable_columns_are_those_of_the_signed_certificate(
    cli_env: Settings,
    tmp_path: Path,
    vaccination_payload: dict[str, Any],
    workers: str,
    holders: list[tuple[dict[str, str], str]],
) -> None:
    """The writer stores the search name and date of birth the signing process worked out from the model:
    exactly what the signed certificate holds (decoding the stored HC1 gives the same columns)."""
    from issuer_service.search import indexed_values
    from vaxcert import decode_unverified

    make_key(cli_env, "Ministry", {"issue"})
    records = tmp_path / f"holders-{abs(hash(json.dumps(holders)))}.ndjson"
    payloads = [{**vaccination_payload, "nam": name, "dob": dob} for name, dob in holders]
    records.write_text("".join(json.dumps(payload, ensure_ascii=False) + "\n" for payload in payloads), "utf-8")
    _cli(str(records), "--org", "Ministry", "--workers", workers)
    engine = db.make_engine(cli_env.resolved_database_url)
    try:
        with db.session_factory(engine)() as session:
            job = session.scalars(select(BulkJob).order_by(BulkJob.id.desc()).limit(1)).one()
            stored = session.execute(
                select(Certificate.hc1, Certificate.search_name, Certificate.dob)
                .join(BulkRow, BulkRow.uvci == Certificate.uvci)
                .where(BulkRow.job_id == job.id)
            ).all()
    finally:
        engine.dispose()
    assert job.rows_done == len(holders) and len(stored) == job.rows_issued > 0
    for hc1, search_name, dob in stored:
        assert indexed_values(decode_unverified(hc1).dcc) == {"search_name": search_name, "dob": dob}


def test_a_batch_conflict_comes_out_as_an_integrity_error_without_its_values(settings: Settings) -> None:
    """The writer's retry (a UVCI inserted concurrently) catches SQLAlchemy's IntegrityError, COPY or executemany."""
    from sqlalchemy.exc import IntegrityError

    from issuer_service.models import AuditEntry
    from issuer_service.store import insert_rows

    engine = db.make_engine(settings.resolved_database_url)
    db.migrate(engine)
    columns = ("at", "organisation_id", "action", "subject", "detail", "previous_sha256", "sha256")
    row = (datetime.now(UTC), None, "issue", SENTINEL, SENTINEL, "0" * 64, "1" * 64)
    try:
        with pytest.raises(IntegrityError) as raised, db.transaction(db.session_factory(engine)) as session:
            insert_rows(session, AuditEntry, columns, [row, row])
        assert SENTINEL not in str(raised.value), str(raised.value)
        with db.transaction(db.session_factory(engine)) as session:  # nothing of the failed batch stayed
            insert_rows(session, AuditEntry, columns, [row])
        assert _scalar(settings, select(func.count()).select_from(AuditEntry)) == 1
    finally:
        engine.dispose()
