"""The certificate PDF, read as text and looked at as a picture (pdftoppm): bilingual, one full page, a big QR."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image, ImageChops
from pypdf import PdfReader

from issuer_service.app import create_app
from issuer_service.documents import Issuer, render_pdf
from issuer_service.settings import Settings
from tests.issuer_service.conftest import auth, make_key
from vaxcert import PemSigner, issue

DPI = 100
MM_PER_INCH = 25.4
LONG_NAME = {"fn": "Tôn Nữ Hoàng Phương Thảo Nguyễn Ngọc", "gn": "Phạm Thị Thanh Thủy Diễm Kiều Trang Khánh Linh"}
ISSUER = Issuer("Ministry of Health of Viet Nam", "Bộ Y tế Việt Nam")


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VAXCERT_SCREENSHOTS") or tmp_path) / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _png(pdf: bytes, folder: Path, name: str) -> Image.Image:
    """The page as pdftoppm draws it, kept in ``folder`` for people to look at."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is missing; scripts/system-packages installs it")
        pytest.skip("pdftoppm (poppler-utils) is not installed; scripts/system-packages installs it")
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-singlefile", str(source), str(folder / name)], check=True)
    return Image.open(folder / f"{name}.png").convert("RGB")


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def _qr_mm(picture: Image.Image, expected: str) -> float:
    """The printed width of the QR code in the picture, after checking that it reads back as ``expected``."""
    [found] = zxingcpp.read_barcodes(picture)
    assert found.text == expected
    xs = [point.x for point in (found.position.top_left, found.position.top_right)]
    return (max(xs) - min(xs)) / DPI * MM_PER_INCH


def _content_reaches(picture: Image.Image) -> float:
    """How far down the page (0-1) the certificate's content goes, the footer left out."""
    grey = picture.convert("L")
    width, height = grey.size
    footer = int(height * (297 - 15 - 14) / 297) - 3
    for row in range(footer, 0, -1):
        if min(grey.crop((0, row, width, row + 1)).tobytes()) < 128:
            return row / height
    return 0.0


def _red_share(picture: Image.Image) -> float:
    r, g, b = picture.split()
    masks = (r.point(lambda v: 255 if v > 150 else 0), g.point(lambda v: 255 if v < 110 else 0))
    red = ImageChops.multiply(ImageChops.multiply(*masks), b.point(lambda v: 255 if v < 110 else 0))
    return red.histogram()[255] / (picture.width * picture.height)


@pytest.mark.parametrize("kind", ["vaccination", "test", "recovery"])
def test_each_kind_reads_in_both_languages_on_one_full_page(
    kind: str, signer: PemSigner, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    payload: dict[str, Any] = request.getfixturevalue(f"{kind}_payload")
    issued = issue(payload, signer)
    pdf = render_pdf(issued.text, ISSUER)
    text = _text(pdf)
    assert "BỘ Y TẾ VIỆT NAM" in text and "Ministry of Health of Viet Nam" in text
    assert "Việt Nam / Vietnam" in text and "Country" in text and "Quốc gia" in text
    assert payload["nam"]["fn"] in text
    expected = {
        "vaccination": ["CHỨNG NHẬN TIÊM CHỦNG COVID-19", "COVID-19 Vaccination Certificate", "Mũi 2/2 / Dose 2 of 2"],
        "test": [
            "CHỨNG NHẬN XÉT NGHIỆM COVID-19",
            "Không phát hiện (âm tính) / Not detected (negative)",
            "Xét nghiệm khuếch đại axit nucleic",
        ],
        "recovery": ["CHỨNG NHẬN KHỎI BỆNH COVID-19", "COVID-19 Recovery Certificate"],
    }[kind]
    for words in expected:
        assert words in text, words
    day, month, year = payload["dob"][8:10], payload["dob"][5:7], payload["dob"][:4]
    assert "/".join(part for part in (day, month, year) if part) in text  # dd/mm/yyyy, partial dates too
    if kind == "recovery":
        entry = payload["r"][0]
        start = "/".join(reversed(entry["df"].split("-")))
        assert f"từ {start} đến" in text and f"from {start} to" in text
    assert "Ngày cấp" in text and "Issued on" in text and "QR code valid until" in text
    for iso in (payload.get("dob", ""), *(str(value) for value in payload[kind[0]][0].values())):
        if len(iso) == 10 and iso[4] == "-":
            assert iso not in text, f"an ISO date is printed: {iso}"
    picture = _png(pdf, _screenshots(tmp_path), kind)
    assert _qr_mm(picture, issued.text) >= 35
    assert _content_reaches(picture) > 0.7  # no half-empty page
    assert _red_share(picture) < 0.001  # no revocation mark on a certificate that was not revoked


def test_a_very_long_vietnamese_name_breaks_between_words_only(
    vaccination_payload: dict[str, Any], signer: PemSigner, tmp_path: Path
) -> None:
    vaccination_payload["nam"] = dict(LONG_NAME)
    issued = issue(vaccination_payload, signer)
    pdf = render_pdf(issued.text, ISSUER)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    lines = reader.pages[0].extract_text().splitlines()
    words = f"{LONG_NAME['fn']} {LONG_NAME['gn']}".split()
    for word in words:  # a word broken across lines would not be whole on any line
        assert any(word in line.split() for line in lines), word
    uvci = next(line for line in lines if "URN:UVCI:" in line)
    assert uvci.split()[-1].startswith("URN:UVCI:") and len(uvci.split()[-1]) > 20  # the identifier on one line
    picture = _png(pdf, _screenshots(tmp_path), "long-name")
    assert _qr_mm(picture, issued.text) >= 35
    assert _content_reaches(picture) < (297 - 15 - 14) / 297  # nothing runs into the footer


def test_a_revoked_certificate_says_so_across_the_page(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any], tmp_path: Path
) -> None:
    key = make_key(settings, "Bach Mai Hospital", {"issue", "read", "revoke"})
    created = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
    assert created.status_code == 201, created.text
    path = f"/v1/certificates/{quote(created.json()['uvci'], safe='')}"
    before = client.get(f"{path}/pdf", headers=auth(key)).content
    assert "REVOKED" not in _text(before)
    assert client.post(f"{path}/revoke", json={"reason": "entered twice"}, headers=auth(key)).status_code == 200
    after = client.get(f"{path}/pdf", headers=auth(key))
    assert after.status_code == 200
    text = _text(after.content)
    assert "ĐÃ BỊ THU HỒI / REVOKED" in text and "not valid since" in text
    assert "entered twice" not in text  # the reason is for staff, not printed
    picture = _png(after.content, _screenshots(tmp_path), f"revoked-{settings.resolved_database_url[:6]}")
    assert _red_share(picture) > 0.02  # the banner and the watermark
    assert _qr_mm(picture, created.json()["hc1"]) >= 35  # the mark leaves the QR readable


def test_the_issuer_logo_and_names_are_configurable(
    settings: Settings, vaccination_payload: dict[str, Any], tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 120), (200, 30, 30)).save(logo)
    configured = settings.model_copy(
        update={"issuer_logo": logo, "issuer_name": "Cho Ray Hospital", "issuer_name_vi": "Bệnh viện Chợ Rẫy"}
    )
    with TestClient(create_app(configured)) as client:
        key = make_key(configured, "Cho Ray", {"issue", "read"})
        created = client.post("/v1/certificates", json=vaccination_payload, headers=auth(key))
        pdf = client.get(f"/v1/certificates/{quote(created.json()['uvci'], safe='')}/pdf", headers=auth(key))
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert len(page.images) == 2  # the logo and the QR
    text = page.extract_text()
    assert "BỆNH VIỆN CHỢ RẪY" in text and "Cho Ray Hospital" in text


def test_the_logo_setting_must_name_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VAXCERT_ISSUER_LOGO", str(tmp_path / "missing.png"))
    with pytest.raises(ValueError, match="issuer_logo"):
        Settings()
