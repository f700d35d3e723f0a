"""/docs and /redoc come from files shipped in the package: no CDN, so they work on an offline network."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from issuer_service.app import DOCS_ASSETS, create_app
from issuer_service.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ATTRIBUTE_URL = re.compile(r"""(?:src|href|spec-url|url)\s*[=:]\s*["']([^"']+)["']""")


@pytest.fixture
def docs_client(tmp_path: Path) -> TestClient:
    # The documentation pages need no database or keys: the app is not started (no lifespan).
    return TestClient(create_app(Settings(data_dir=tmp_path / "data")))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_reference_only_the_service_itself(docs_client: TestClient, page: str) -> None:
    html = docs_client.get(page)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert "http://" not in html.text and "https://" not in html.text and "//cdn" not in html.text
    references = ATTRIBUTE_URL.findall(html.text)
    assert len(references) >= 2, references
    for reference in references:
        assert reference.startswith("/"), reference
        if reference.startswith("/docs-assets/"):
            asset = docs_client.get(reference)
            assert asset.status_code == 200 and len(asset.content) > 500, reference


def test_the_vendored_files_carry_their_licences() -> None:
    for folder, licence in (("swagger-ui", "Apache License"), ("redoc", "MIT License")):
        assert licence in (DOCS_ASSETS / folder / "LICENSE").read_text(encoding="utf-8")
    assert "swagger-ui-dist" in (DOCS_ASSETS / "SOURCE").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served_docs(tmp_path: Path) -> Iterator[str]:
    """The issuer app on a loopback port (documentation pages only: the app is not started)."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(data_dir=tmp_path / "data")),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _chromium() -> str:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing; scripts/system-packages installs it")
        pytest.skip("Debian's chromium is not installed (scripts/system-packages installs it)")
    pytest.importorskip("playwright", reason="playwright comes with the test extra")
    return CHROMIUM


def test_docs_render_in_chromium_with_the_network_cut_off(served_docs: str, tmp_path: Path) -> None:
    executable = _chromium()
    from playwright.sync_api import Route, sync_playwright

    shots = Path(os.environ.get("VAXCERT_SCREENSHOTS") or tmp_path) / "docs"
    shots.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(served_docs) or route.request.url.startswith("data:"):
            route.continue_()
        else:  # what an offline checkpoint network would do to it
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            for width, height, name in ((1366, 900, "desktop"), (390, 844, "phone")):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route("**/*", only_local)
                page.goto(f"{served_docs}/docs")
                page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
                assert "vaxcert issuer" in page.inner_text(".swagger-ui .info .title")
                page.wait_for_selector(".opblock", timeout=20_000)
                assert page.locator(".opblock").count() >= 8  # every route is listed
                page.screenshot(path=str(shots / f"swagger-{name}.png"))
                page.goto(f"{served_docs}/redoc")
                page.wait_for_selector("h1", timeout=20_000)
                assert "vaxcert issuer" in page.inner_text("h1")
                assert page.get_by_text("/v1/certificates").count() >= 1
                page.screenshot(path=str(shots / f"redoc-{name}.png"))
                page.close()
        finally:
            browser.close()
    assert outside == [], f"the pages asked for files outside the service: {outside}"
