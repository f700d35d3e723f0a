"""The web console in a real browser: Debian's chromium driven by Playwright against a running service.

Sign in; issue with a Vietnamese name; search without diacritics; print; revoke; bulk upload
with three bad rows and download the rejects; dashboard; another organisation sees nothing;
a form without its CSRF token is refused.  Every page is photographed at phone and desktop size
into ``$VAXCERT_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from issuer_service import db
from issuer_service.app import create_app
from issuer_service.auth import create_organisation
from issuer_service.console import accounts
from issuer_service.console.routes import counts_for_dashboard
from issuer_service.models import Organisation
from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, SENTINEL, leaked_log_lines, load_vector_file
from tests.issuer_service.conftest import SERVICE_KEY, auth, make_key

CHROMIUM = Path("/usr/bin/chromium")
VECTORS = Path(__file__).parents[3] / "spec/vectors/console"
PASSWORD = "mật khẩu dài 2026"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/system-packages installs it")
        pytest.skip("chromium is not installed (apt-get install chromium; scripts/system-packages does it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("VAXCERT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, service_dsc: str, chromium: Any) -> Iterator[str]:
    """A running service (SQLite; the storage tests cover PostgreSQL) with staff of two organisations."""
    data = tmp_path_factory.mktemp("console")
    os.environ["VAXCERT_HSM_PIN"] = HSM_PIN
    settings = Settings(
        data_dir=data / "data",
        database_url=f"sqlite:///{data / 'issuer.db'}",
        hsm_token=service_dsc,
        dsc_key_labels=SERVICE_KEY,
        auth_cache_seconds=0,
        bulk_poll_seconds=0.2,
    )
    engine = db.make_engine(settings.resolved_database_url)
    db.migrate(engine)
    with db.transaction(db.session_factory(engine)) as session:
        first = create_organisation(session, "Trạm Y tế Phường Bến Nghé")
        second = create_organisation(session, "Bệnh viện Đa khoa Tỉnh")
        accounts.create_account(session, first, "y.ta.lan", PASSWORD, {"issue", "read", "revoke"})
        accounts.create_account(session, first, "admin.hcm", PASSWORD, {"admin"})
        accounts.create_account(session, second, "y.ta.binh", PASSWORD, {"issue", "read", "revoke"})
        accounts.create_account(session, first, "chi.doc", PASSWORD, {"read"})
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture
def page(chromium: Any, console: str) -> Iterator[Any]:
    context = chromium.new_context(base_url=console, viewport=DESKTOP, accept_downloads=True, locale="vi-VN")
    yield context.new_page()
    context.close()


def shoot(page: Any, folder: Path, name: str) -> None:
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def issue(page: Any, fn: str, gn: str, dob: str = "1990-04-15") -> str:
    page.goto("/console/issue")
    page.fill("#fn", fn)
    page.fill("#gn", gn)
    page.fill("#dob", dob)
    page.select_option("#mp", "EU/1/20/1528")
    page.select_option("#ma", "ORG-100030215")
    page.fill("#dn", "2")
    page.fill("#sd", "2")
    page.fill("#dt", "2021-09-20")
    page.click("form[action='/console/issue'] button[type=submit]")
    page.wait_for_url(re.compile(r"/console/certificate\?"))
    return str(page.inner_text("dd.uvci"))


def test_sign_in_issue_search_print_and_revoke(page: Any, screenshots: Path) -> None:
    page.goto("/console")
    assert page.url.endswith("/console/login")
    shoot(page, screenshots, "login")
    sign_in(page, "y.ta.lan", "sai mật khẩu")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text(".alert")
    sign_in(page, "y.ta.lan")
    page.wait_for_url(re.compile(r"/console/search$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "vaxcert_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"

    # field-level errors: nothing chosen, a birth date in the future
    page.goto("/console/issue")
    page.fill("#gn", "Thị Phương")
    page.fill("#dob", "2090-01-01")
    page.click("form[action='/console/issue'] button[type=submit]")
    assert page.locator(".field.invalid #fn").count() == 1
    assert page.locator("#fn-error").inner_text().startswith("Bắt buộc")
    assert page.input_value("#gn") == "Thị Phương"  # what was typed stays
    shoot(page, screenshots, "issue-errors")
    page.fill("#fn", "Nguyễn")
    page.select_option("#mp", "EU/1/20/1528")
    page.select_option("#ma", "ORG-100030215")
    page.fill("#dt", "2021-09-20")
    page.click("form[action='/console/issue'] button[type=submit]")
    assert page.locator(".field.invalid #dob").count() == 1  # the service's plausibility check, by field
    assert page.locator(".field.invalid #fn").count() == 0

    uvci = issue(page, "Nguyễn", "Thị Phương")
    assert page.inner_text("dd.holder") == "Nguyễn Thị Phương"
    assert page.locator(".qr svg").count() == 1
    shoot(page, screenshots, "certificate")
    issue(page, "Trần", "Văn Nam", dob="1975-06-01")

    page.goto("/console/search")
    page.fill("#q", "nguyen thi")
    page.click("form.search button")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 1 and "Nguyễn Thị Phương" in rows.inner_text() and "15/04/1990" in rows.inner_text()
    shoot(page, screenshots, "search")
    page.fill("#q", "15/04/1990")
    page.click("form.search button")
    assert page.locator("table.results tbody tr").count() == 1
    page.fill("#q", uvci)
    page.click("form.search button")
    page.click("table.results a")
    page.wait_for_url(re.compile(r"/console/certificate\?"))

    href = page.get_attribute("#print", "href")
    printed = page.context.request.get(href)
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.body())).pages)
    assert "Nguyễn Thị Phương" in text and uvci in text
    reprinted = page.context.request.get(page.get_attribute("#reprint", "href"))
    assert reprinted.status == 200 and reprinted.body()[:5] == b"%PDF-"

    page.fill("#reason", "Nhập sai ngày sinh / wrong date of birth")
    page.click("form[action='/console/certificate/revoke'] button")
    page.wait_for_url(re.compile(r"/console/certificate\?"))
    assert "ĐÃ BỊ THU HỒI" in page.inner_text(".alert.big")  # the catalogue's word, as on the PDF
    assert page.locator("#reason").count() == 0  # nothing left to revoke
    shoot(page, screenshots, "certificate-revoked")


def test_bulk_upload_with_three_bad_rows_and_rejects_download(page: Any, screenshots: Path) -> None:
    sign_in(page, "y.ta.lan")
    page.goto("/console/bulk")
    shoot(page, screenshots, "bulk")
    page.set_input_files("#file", str(VECTORS / "bulk-three-bad.csv"))
    page.click("#bulk-form button")
    page.wait_for_url(re.compile(r"/console/bulk/\d+$"))
    page.wait_for_selector("#job[data-status=finished]", timeout=60_000)
    assert page.inner_text("#rows-issued") == "4" and page.inner_text("#rows-rejected") == "3"
    assert page.eval_on_selector("#job-progress", "bar => [bar.value, bar.max]") == [7, 7]
    assert page.locator("#job-rows tr.bad").count() == 3
    # the script's words come with the page, in its language
    assert page.inner_text("#job-status") == "Hoàn tất"
    assert page.get_attribute("#job-rows tr.bad td", "data-label") == "Dòng"
    assert page.locator("#job-rows tr.good a").count() == 4
    shoot(page, screenshots, "bulk-job")
    with page.expect_download() as waiting:
        page.click("#rejects")
    download = waiting.value
    assert download.suggested_filename == "bulk-three-bad.csv.rejects.csv"
    rejected = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert rejected[0] == ["row", "error"]
    assert [row[0] for row in rejected[1:]] == ["3", "5", "7"]  # file lines; the header is line 1
    assert not any(value in "\n".join(map(",".join, rejected)) for value in ("Lê", "2090-01-01", "Võ"))


def test_dashboard_per_day_site_and_type_and_admin_view(page: Any, screenshots: Path) -> None:
    sign_in(page, "y.ta.binh")
    issue(page, "Đặng", "Văn Lưỡng", dob="1972-01-30")
    sign_in(page, "y.ta.lan")
    issue(page, "Lý", "Thu Hà", dob="1999-09-09")
    page.goto("/console/dashboard")
    own = int(page.inner_text("#total"))
    assert own >= 1
    assert page.locator("#chart-days svg rect").count() == 30
    sites = page.text_content("#chart-sites svg")
    assert "Trạm Y tế Phường Bến Nghé" in sites and "Bệnh viện Đa khoa Tỉnh" not in sites
    assert page.locator("#all-orgs").count() == 0  # only admins look across organisations
    shoot(page, screenshots, "dashboard")
    sign_in(page, "admin.hcm")
    page.goto("/console/dashboard?scope=all")
    assert "Bệnh viện Đa khoa Tỉnh" in page.text_content("#chart-sites svg")
    assert int(page.inner_text("#total")) > own
    shoot(page, screenshots, "dashboard-all")


def test_second_organisation_sees_none_of_the_first(page: Any) -> None:
    sign_in(page, "y.ta.lan")
    uvci = issue(page, "Phạm", "Quỳnh Anh", dob="2001-03-03")
    sign_in(page, "y.ta.binh")
    page.goto("/console/search")
    for query in ("pham quynh", "03/03/2001", uvci):
        page.fill("#q", query)
        page.click("form.search button")
        assert page.locator("table.results tbody tr").count() == 0, query
    viewed = page.goto(f"/console/certificate?uvci={uvci}")
    assert viewed is not None and viewed.status == 404
    pdf = page.context.request.get(f"/console/certificate/pdf?uvci={uvci}")
    assert pdf.status == 404
    revoked = page.context.request.post(
        "/console/certificate/revoke",
        form={"uvci": uvci, "reason": "thử", "csrf": page.get_attribute("input[name=csrf]", "value")},
    )
    assert revoked.status == 404


def test_form_without_csrf_token_is_refused(page: Any, screenshots: Path) -> None:
    sign_in(page, "y.ta.lan")
    uvci = issue(page, "Hoàng", "Minh Châu", dob="1980-08-08")
    page.eval_on_selector("form[action='/console/certificate/revoke'] input[name=csrf]", "field => field.remove()")
    page.fill("#reason", "thử không có mã CSRF")
    page.click("form[action='/console/certificate/revoke'] button")
    assert "Biểu mẫu đã hết hạn" in page.inner_text(".alert")
    shoot(page, screenshots, "csrf-refused")
    refused = page.context.request.post("/console/issue", form={"fn": "Hoàng", "csrf": "forged"})
    assert refused.status == 403
    page.goto(f"/console/certificate?uvci={uvci}")
    assert page.locator(".alert.big").count() == 0  # still valid
    upload = page.context.request.post(
        "/console/bulk",
        multipart={
            "file": {"name": "a.csv", "mimeType": "text/csv", "buffer": (VECTORS / "bulk-three-bad.csv").read_bytes()}
        },
    )
    assert upload.status == 403


def test_read_only_account_cannot_issue_or_revoke(page: Any) -> None:
    sign_in(page, "chi.doc")
    page.wait_for_url(re.compile(r"/console/search$"))
    assert page.locator("nav a[href='/console/issue']").count() == 0
    answer = page.goto("/console/issue")
    assert answer is not None and answer.status == 403


def test_sign_in_is_rate_limited(page: Any) -> None:
    for _ in range(accounts.MAX_FAILURES):
        sign_in(page, "admin.hcm", "đoán mò")
    sign_in(page, "admin.hcm")  # the right password, too late
    assert "Quá nhiều lần đăng nhập sai" in page.inner_text(".alert")
    assert "/console/login" in page.url


def test_names_and_queries_never_reach_the_logs(page: Any) -> None:
    sign_in(page, "y.ta.lan")
    issue(page, SENTINEL, "Thị Mười", dob="1970-10-10")
    page.goto("/console/search")
    for query in (SENTINEL.lower(), "10/10/1970"):
        page.fill("#q", query)
        page.click("form.search button")
        assert page.locator("table.results tbody tr").count() == 1
    assert leaked_log_lines() == [] and leaked_log_lines(SENTINEL.lower()) == []
    assert leaked_log_lines("1970-10-10") == [] and leaked_log_lines("10/10/1970") == []


def test_session_cookie_is_secure_behind_tls_and_login_needs_its_token(client: TestClient) -> None:
    engine = db.make_engine(str(client.app.state.vaxcert.settings.resolved_database_url))  # type: ignore[attr-defined]
    with db.transaction(db.session_factory(engine)) as session:
        accounts.create_account(session, create_organisation(session, "Trạm TLS"), "tls.user", PASSWORD, {"read"})
    engine.dispose()
    base = "https://testserver/console"
    form = client.get(f"{base}/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None and "secure" in form.headers["set-cookie"].lower()
    refused = client.post(f"{base}/login", data={"username": "tls.user", "password": PASSWORD, "csrf": "forged"})
    assert refused.status_code == 403
    signed = client.post(
        f"{base}/login",
        data={"username": "tls.user", "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    cookie = next(v for k, v in signed.headers.multi_items() if k == "set-cookie" and "vaxcert_console=" in v)
    assert {"httponly", "secure", "samesite=strict", "path=/console"} <= {
        part.strip().lower() for part in cookie.split(";")
    }


def test_dashboard_counts_per_day_site_and_type(client: TestClient) -> None:
    settings = client.app.state.vaxcert.settings  # type: ignore[attr-defined]
    first, second = make_key(settings, "Trạm A", {"issue"}), make_key(settings, "Trạm B", {"issue"})
    payloads = {name: load_vector_file(f"payloads/vn-{name}.json") for name in ("vaccination", "test", "recovery")}
    for key, kinds in ((first, ("vaccination", "vaccination", "test")), (second, ("recovery",))):
        for kind in kinds:
            answer = client.post("/v1/certificates", json=payloads[kind], headers=auth(key))
            assert answer.status_code == 201, answer.text
    engine = db.make_engine(settings.resolved_database_url)
    try:
        reads = db.read_only_factory(engine)
        with reads() as session:
            ids = dict(session.execute(select(Organisation.name, Organisation.id)).all())
        own = counts_for_dashboard(reads, ids["Trạm A"])
        every = counts_for_dashboard(reads, None)
    finally:
        engine.dispose()
    today = datetime.now(UTC).strftime("%d/%m")
    assert own["total"] == 3 and own["days"][-1] == (today, 3) and sum(n for _, n in own["days"]) == 3
    assert own["sites"] == [("Trạm A", 3)]
    assert [n for _, n in own["types"]] == [2, 1, 0]
    assert every["total"] == 4 and dict(every["sites"]) == {"Trạm A": 3, "Trạm B": 1}
    assert [n for _, n in every["types"]] == [2, 1, 1]


def test_pages_are_vietnamese_by_default_and_english_for_an_english_browser(client: TestClient) -> None:
    default = client.get("/console/login")
    assert '<html lang="vi">' in default.text and "Đăng nhập" in default.text and "Sign in" not in default.text
    english = client.get("/console/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text and "Đăng nhập" not in english.text
    assert "vaxcert_lang" not in english.headers.get("set-cookie", "")  # nothing to remember: no switch used


def test_the_switch_sets_the_language_and_its_cookie_keeps_it(client: TestClient) -> None:
    vietnamese_browser = {"Accept-Language": "vi-VN"}
    switched = client.get("/console/login?lang=en", headers=vietnamese_browser)
    assert '<html lang="en">' in switched.text and "Sign in" in switched.text
    cookie = next(v for k, v in switched.headers.multi_items() if k == "set-cookie" and "vaxcert_lang=" in v)
    assert cookie.startswith("vaxcert_lang=en;") and "samesite=strict" in cookie.lower()
    # the switch links keep the page where it is, in the other language
    assert 'href="/console/login?lang=vi"' in switched.text
    client.cookies.set("vaxcert_lang", "en")
    kept = client.get("/console/login", headers=vietnamese_browser)
    assert '<html lang="en">' in kept.text and "Sign in" in kept.text
    client.cookies.set("vaxcert_lang", "xx")  # an unknown value falls back to the browser's language
    assert '<html lang="vi">' in client.get("/console/login", headers=vietnamese_browser).text


def test_an_english_page_shows_english_dates_and_country_names(chromium: Any, console: str, screenshots: Path) -> None:
    context = chromium.new_context(base_url=console, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "y.ta.lan")
        page.wait_for_url(re.compile(r"/console/search$"))
        assert "Find a certificate" in page.inner_text("h1")
        issue(page, "Lý", "Thị Hoa", dob="1988-02-29")
        details = page.inner_text("dl")
        assert "29 Feb 1988" in details and "20 Sep 2021" in details and "Vietnam" in details
        assert "Date of birth" in details and "Ngày sinh" not in details
        shoot(page, screenshots, "certificate-en")
        page.click("nav.lang a[hreflang=vi]")  # the switch keeps the certificate on screen
        page.wait_for_url(re.compile(r"/console/certificate\?.*lang=vi"))
        details = page.inner_text("dl")
        assert "29/02/1988" in details and "Việt Nam" in details and "Ngày sinh" in details
        page.goto("/console/search")
        assert "Tra cứu chứng nhận" in page.inner_text("h1")  # remembered over the browser's English
        page.goto("/console/search?lang=en")
        shoot(page, screenshots, "search-en")
    finally:
        context.close()
