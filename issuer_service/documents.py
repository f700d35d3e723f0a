"""The printable certificate (PDF): Vietnamese and English labels, holder, doses, issuer, QR."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from vaxcert import ValueSets, decode_unverified, qr
from vaxcert.hcert.valuesets import TEST_RESULT, TEST_TYPE, VACCINE_MANUFACTURER, VACCINE_PRODUCT

# DejaVu covers Vietnamese; Debian ships it as fonts-dejavu-core (installed by scripts/system-packages).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TITLES = {
    "v": ("CHỨNG NHẬN TIÊM CHỦNG COVID-19", "COVID-19 Vaccination Certificate"),
    "t": ("CHỨNG NHẬN XÉT NGHIỆM COVID-19", "COVID-19 Test Certificate"),
    "r": ("CHỨNG NHẬN KHỎI BỆNH COVID-19", "COVID-19 Recovery Certificate"),
}


def _display(value_set: str, code: Any) -> str:
    found = ValueSets.bundled().get(value_set)
    entry = found.entries.get(code) if found is not None and isinstance(code, str) else None
    return entry.display if entry else str(code)


def render_pdf(hc1: str, issuer_name: str) -> bytes:
    claims = decode_unverified(hc1)  # our own signed text, straight from our database
    dcc = claims.dcc
    kind = next(group for group in ("v", "t", "r") if group in dcc)
    entry = dcc[kind][0]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    vietnamese, english = TITLES[kind]
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, vietnamese, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 7, english, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(4)
    name = dcc.get("nam", {})
    rows: list[tuple[str, str, str]] = [
        ("Họ và tên", "Name", f"{name.get('fn', '')} {name.get('gn', '')}".strip()),
        ("Tên chuẩn hóa", "Standardised name", f"{name.get('fnt', '')}<<{name.get('gnt', '')}"),
        ("Ngày sinh", "Date of birth", str(dcc.get("dob") or "—")),
    ]
    if kind == "v":
        rows += [
            ("Mũi tiêm", "Dose", f"{entry.get('dn')}/{entry.get('sd')}"),
            ("Ngày tiêm", "Date of vaccination", str(entry.get("dt"))),
            ("Vắc xin", "Vaccine", _display(VACCINE_PRODUCT, entry.get("mp"))),
            ("Nhà sản xuất", "Manufacturer", _display(VACCINE_MANUFACTURER, entry.get("ma"))),
        ]
    elif kind == "t":
        rows += [
            ("Loại xét nghiệm", "Test type", _display(TEST_TYPE, entry.get("tt"))),
            ("Thời gian lấy mẫu", "Sample collected", str(entry.get("sc"))),
            ("Kết quả", "Result", _display(TEST_RESULT, entry.get("tr"))),
        ]
    else:
        rows += [
            ("Ngày dương tính", "First positive test", str(entry.get("fr"))),
            ("Hiệu lực", "Valid", f"{entry.get('df')} to {entry.get('du')}"),
        ]
    expires = datetime.fromtimestamp(claims.expires_at or 0, UTC).strftime("%Y-%m-%d")
    rows += [
        ("Quốc gia", "Country", str(entry.get("co"))),
        ("Đơn vị cấp", "Issuer", str(entry.get("is") or issuer_name)),
        ("Mã chứng nhận", "Certificate identifier", str(entry.get("ci"))),
        ("Mã QR hết hạn", "QR code valid until", expires),
    ]
    for vietnamese_label, english_label, value in rows:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(75, 6, f"{vietnamese_label} / {english_label}")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    image = io.BytesIO(qr.encode_png(hc1, scale=6))
    size = 90
    pdf.image(image, x=(210 - size) / 2, y=pdf.get_y() + 8, w=size, h=size)
    pdf.set_y(280)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, f"{issuer_name} — EU DCC (HC1) format", align="C")
    return bytes(pdf.output())
