"""The scanner page in a real browser: Debian's Chromium driven by Playwright, a fake camera.

Screenshots (phone 390×844 and desktop 1366×900) go to ``$VAXCERT_SCREENSHOTS`` when set,
else to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_camera import CHROMIUM, chromium_arguments, chromium_missing_reason, scene, write_y4m
from tests.support.multiformat_corpus import CORPUS_DIR, corpus_cases
from tests.verifier_cli.test_serve import (
    Checkpoint,
    anchor,  # noqa: F401  (a fixture)
    cache_with_revocations,
    recent_vaccination,
    revocation_list,
    start_checkpoint,
)
from vaxcert import PemSigner, issue

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
VERDICT_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def chromium() -> None:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VAXCERT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def dsc_file(signer: PemSigner, tmp_path: Path) -> Path:
    path = tmp_path / "dsc.pem"
    path.write_text(signer.certificate.pem(), encoding="ascii")
    return path


class Browser:
    """One Chromium whose camera plays ``video``, with every request the pages make recorded."""

    def __init__(self, video: Path) -> None:
        self._manager = playwright_api.sync_playwright()
        self._playwright = self._manager.__enter__()
        self.browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=chromium_arguments(video))
        self.requests: list[str] = []

    def page(self, checkpoint: Checkpoint, viewport: dict[str, int], locale: str = "vi-VN") -> Any:
        # the locale is the browser language the page hears in Accept-Language
        context = self.browser.new_context(viewport=viewport, permissions=["camera"], locale=locale)
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.goto(f"http://127.0.0.1:{checkpoint.port}/")
        return page

    def close(self) -> None:
        self.browser.close()
        self._manager.__exit__(None, None, None)


@pytest.fixture
def browser_with(tmp_path: Path, chromium: None) -> Iterator[Any]:
    opened: list[Browser] = []

    def start(code: str | bytes | None) -> Browser:
        video = write_y4m(tmp_path / f"camera-{len(opened)}.y4m", [scene(code)] * 5)
        opened.append(Browser(video))
        return opened[-1]

    yield start
    for browser in opened:
        browser.close()


def only_local(requests: list[str], checkpoint: Checkpoint) -> list[str]:
    origin = f"http://127.0.0.1:{checkpoint.port}/"
    return [url for url in requests if not url.startswith(origin)]


def test_the_camera_reads_a_certificate_and_the_verdict_names_the_holder(
    browser_with: Any,
    dsc_file: Path,
    tmp_path: Path,
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
    screenshots: Path,
) -> None:
    vaccination_payload["nam"] = {"fn": "Trần", "gn": "Thị Bích Ngọc"}
    text = issue(recent_vaccination(vaccination_payload), signer).text
    browser = browser_with(text)
    # (browser language, words the verdict must show): Vietnamese first, English from the browser's language
    languages = {
        "vi": ("vi-VN", ("15/04/1990", "HỢP LỆ", "Ngày sinh"), "CHƯA KIỂM TRA THU HỒI", "Sẵn sàng quét"),
        "en": ("en-GB", ("15 Apr 1990", "VALID", "Date of birth"), "REVOCATION NOT CHECKED", "Ready to scan"),
    }
    for checkpoint in start_checkpoint("--trust-cert", str(dsc_file), "--cache-dir", str(tmp_path / "cache")):
        for language, (locale, shown, alarm, ready) in languages.items():
            for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page = browser.page(checkpoint, viewport, locale)
                verdict = page.locator("#verdict.green")
                verdict.wait_for(timeout=VERDICT_TIMEOUT_MS)
                assert "Thị Bích Ngọc" in verdict.inner_text() and "Trần" in verdict.inner_text()
                assert all(word in verdict.inner_text() for word in shown)
                # the lists bar warns that nothing was cached
                assert page.locator("#alarm").is_visible() and alarm in page.inner_text("#alarm")
                page.screenshot(path=str(screenshots / f"scanner-camera-valid-{language}-{name}.png"), full_page=True)
                # privacy: "next scan" clears the name from the page
                page.click("#next")
                page.wait_for_timeout(1500)  # the code is still in front of the camera: it must not come back
                assert "Trần" not in page.inner_text("#verdict") and ready in page.inner_text("#verdict")
                page.context.close()
    assert only_local(browser.requests, checkpoint) == []  # no CDN, fonts or anything else off this machine


def test_handheld_scanner_input_truncated_revoked_and_chunked(
    browser_with: Any,
    dsc_file: Path,
    tmp_path: Path,
    signer: PemSigner,
    anchor: tuple[PemSigner, Path],  # noqa: F811
    vaccination_payload: dict[str, Any],
    screenshots: Path,
) -> None:
    vaccination_payload["nam"] = {"fn": "Phạm", "gn": "Văn Đức"}
    payload = recent_vaccination(vaccination_payload)
    good, revoked = issue(payload, signer).text, issue(payload, signer).text
    signed = revocation_list(anchor[0], [revoked], issued=datetime.now(UTC) - timedelta(hours=5), hours=48)
    cache = cache_with_revocations(tmp_path, anchor, signed)
    [chunked] = [case for case in corpus_cases("shc") if case.id == "synthetic/shc/valid-3-chunks-scan-order"]
    jwks = str(CORPUS_DIR / chunked.trust["jwks"][0])
    browser = browser_with(None)  # an empty desk in front of the camera
    options = (
        "--trust-cert",
        str(dsc_file),
        "--trust-jwks",
        jwks,
        "--rules",
        str(Path(__file__).parents[2] / "spec" / "rules-vn.json"),
    )
    for checkpoint in start_checkpoint(*options, "--cache-dir", str(cache)):
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = browser.page(checkpoint, viewport, "en-US")
            page.locator("#lists li").first.wait_for()
            assert page.locator("#code").evaluate("input => document.activeElement === input")
            page.keyboard.type(good[: len(good) - 3])  # a keyboard-wedge scanner types, then presses Enter
            page.keyboard.press("Enter")
            verdict = page.locator("#verdict.red")
            verdict.wait_for(timeout=VERDICT_TIMEOUT_MS)
            assert "Incomplete scan, scan again" in verdict.inner_text()
            assert "Mã quét chưa đủ" not in verdict.inner_text()  # one language at a time
            page.screenshot(path=str(screenshots / f"scanner-incomplete-{name}.png"), full_page=True)

            page.fill("#code", revoked)
            page.press("#code", "Enter")
            page.locator("#verdict[data-status=revoked]").wait_for(timeout=VERDICT_TIMEOUT_MS)
            text = page.inner_text("#verdict")
            assert "The issuer has revoked this certificate" in text and "Phạm Văn Đức" in text
            assert "NOT trustworthy" in text
            page.screenshot(path=str(screenshots / f"scanner-revoked-{name}.png"), full_page=True)

            # a chunked SMART Health Card, one part per scan, in the order 2, 3, 1
            for part in chunked.qr[:-1]:
                page.fill("#code", part)
                page.press("#code", "Enter")
            assert "of 3" in page.inner_text("#chunks")
            page.fill("#code", chunked.qr[-1])
            page.press("#code", "Enter")
            page.locator("#verdict:has-text('SMART Health Card')").wait_for(timeout=VERDICT_TIMEOUT_MS)
            assert "Lê" in page.inner_text("#verdict") and "30 Jun 1978" in page.inner_text("#verdict")
            assert "Phạm" not in page.inner_text("#verdict")  # the previous person is gone
            page.screenshot(path=str(screenshots / f"scanner-shc-{name}.png"), full_page=True)
            lists = page.inner_text("#lists")
            assert "signed 5 hours ago" in lists and "rules" in lists
            # the VI | EN switch: Vietnamese for this browser from now on, whatever its own language
            page.click("nav.lang a[hreflang=vi]")
            page.locator("#lists li").first.wait_for()
            assert page.locator("html").get_attribute("lang") == "vi"
            assert "Sẵn sàng quét" in page.inner_text("#verdict") and "ký 5 giờ trước" in page.inner_text("#lists")
            page.fill("#code", revoked)
            page.press("#code", "Enter")
            page.locator("#verdict[data-status=revoked]").wait_for(timeout=VERDICT_TIMEOUT_MS)
            assert "Nơi cấp đã thu hồi chứng nhận này" in page.inner_text("#verdict")
            page.screenshot(path=str(screenshots / f"scanner-revoked-vi-{name}.png"), full_page=True)
            page.goto(f"http://127.0.0.1:{checkpoint.port}/")
            assert page.locator("html").get_attribute("lang") == "vi"  # remembered
            page.context.close()
    assert only_local(browser.requests, checkpoint) == []
