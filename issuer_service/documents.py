"""The printable certificate (PDF): one A4 page, Vietnamese first with English beside it.

Every label and every value a person reads is in both languages (from the shared catalogues in
:mod:`vaxcert_apps.i18n`); dates are dd/mm/yyyy, countries are named, and names and
identifiers are set in a size at which no word has to break.  A revoked certificate's page
says so across the whole page.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fpdf import FPDF

from vaxcert import ValueSets, decode_unverified, qr
from vaxcert.hcert.cwt import CwtClaims
from vaxcert.hcert.valuesets import (
    TEST_RESULT,
    TEST_TYPE,
    VACCINE_MANUFACTURER,
    VACCINE_PRODUCT,
    VACCINE_TYPE,
)
from vaxcert_apps.i18n import N_, VALUE_TEXT, both, translator

log = logging.getLogger("vaxcert.issuer")

# DejaVu covers Vietnamese; Debian ships it as fonts-dejavu-core (installed by scripts/system-packages).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TITLES = {
    "v": N_("COVID-19 Vaccination Certificate"),
    "t": N_("COVID-19 Test Certificate"),
    "r": N_("COVID-19 Recovery Certificate"),
}
QR_MM = 62.0  # printed size; verifiers need at least 35 mm to read a full HC1 code reliably
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 15.0
LABEL_W = 52.0
NAVY = (20, 52, 102)
GREY = (95, 95, 95)
RED = (190, 20, 20)
VIET_NAM = timezone(timedelta(hours=7))
FOOTER_TOP = PAGE_H - MARGIN - 14


@dataclass(frozen=True)
class Issuer:
    """Who prints the certificate: names (Vietnamese may be absent) and an optional PNG/JPEG logo."""

    name: str
    name_vi: str | None = None
    logo: Path | None = None


def _display(value_set: str, code: Any) -> str:
    found = ValueSets.bundled().get(value_set)
    entry = found.entries.get(code) if found is not None and isinstance(code, str) else None
    return entry.display if entry else str(code)


def _bilingual(message: str) -> str:
    vietnamese, english = both(message)
    return vietnamese if vietnamese == english else f"{vietnamese} / {english}"


def _coded(value_set: str, code: Any) -> str:
    """A coded value in both languages when it is words, as the value set names it otherwise."""
    if isinstance(code, str) and code in VALUE_TEXT:
        return _bilingual(VALUE_TEXT[code])
    return _display(value_set, code)


def _day(value: object) -> str:
    return translator("vi").date(value) or "—"


def _date(moment: datetime) -> str:
    """The calendar day of a moment, in Viet Nam (UTC+7), as dd/mm/yyyy: what a printed page needs."""
    return translator("vi").date(moment.astimezone(VIET_NAM).date().isoformat())


def _country(code: object) -> str:
    vietnamese, english = translator("vi").country(code), translator("en").country(code)
    return vietnamese if vietnamese == english else f"{vietnamese} / {english}"


class _Page:
    """An A4 page with a label column and a value column whose width grows once the QR is passed."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale  # below 1 when a long record must be set tighter to stay on one page
        self.qr_size = QR_MM
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.add_page()
        self.pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.narrow_until = 0.0  # below this y the QR sits to the right of the values

    def fitting_size(self, text: str, width: float, size: float, style: str = "") -> float:
        """The largest size up to ``size`` at which every word of ``text`` fits ``width`` (no mid-word break)."""
        words = text.split() or [""]
        while size > 5.5:
            self.pdf.set_font("DejaVu", style, size)
            if max(self.pdf.get_string_width(word) for word in words) <= width - 1:
                break
            size -= 0.5
        return size

    def line_size(self, text: str, width: float, size: float, style: str = "") -> float:
        """The largest size up to ``size`` at which ``text`` fits on one line of ``width``."""
        while size > 5.5:
            self.pdf.set_font("DejaVu", style, size)
            if self.pdf.get_string_width(text) <= width - 2:
                break
            size -= 0.5
        return size

    def value_width(self) -> float:
        full = PAGE_W - 2 * MARGIN - LABEL_W
        return full - self.qr_size - 6 if self.pdf.get_y() < self.narrow_until else full

    def section(self, message: str) -> None:
        pdf = self.pdf
        pdf.ln(3 * self.scale)
        pdf.set_font("DejaVu", "B", 10.5)
        pdf.set_text_color(*NAVY)
        pdf.cell(0, 6, _bilingual(message).upper(), new_x="LMARGIN", new_y="NEXT")
        width = (self.value_width() + LABEL_W) if pdf.get_y() < self.narrow_until else PAGE_W - 2 * MARGIN
        pdf.set_draw_color(*NAVY)
        pdf.set_line_width(0.4)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + width, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_text_color(0, 0, 0)

    def row(self, label: str, value: str, size: float = 11, style: str = "") -> None:
        pdf = self.pdf
        top = pdf.get_y()
        vietnamese, english = both(label)
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(LABEL_W - 2, 4.2, vietnamese, align="L", new_x="LMARGIN", new_y="NEXT")
        if english != vietnamese:
            pdf.set_font("DejaVu", "", 7.5)
            pdf.set_text_color(*GREY)
            pdf.multi_cell(LABEL_W - 2, 3.6, english, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
        label_bottom = pdf.get_y()
        pdf.set_y(top)
        width = self.value_width()
        size = self.fitting_size(value, width, size * min(1.0, self.scale + 0.15), style)
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(MARGIN + LABEL_W)
        pdf.multi_cell(width, size * 0.5, value, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(label_bottom, pdf.get_y()) + 3.4 * self.scale)


def render_pdf(
    hc1: str,
    issuer_name: str | Issuer,
    *,
    shc_png: bytes | None = None,
    revoked_at: datetime | None = None,
) -> bytes:
    """The printable certificate of a stored record; its QR is ``shc_png`` (a SMART Health Card's) when given.

    The text rows always come from the record (the EU payload); a card carries no expiry, so
    its page has no "valid until" row.  ``revoked_at`` marks the page REVOKED across its face.
    A record whose text would run into the footer is set again, tighter (never on a second page).
    """
    issuer = issuer_name if isinstance(issuer_name, Issuer) else Issuer(issuer_name)
    claims = decode_unverified(hc1)  # our own signed text, straight from our database
    picture = shc_png or qr.encode_png(hc1, scale=6)
    for scale in (1.0, 0.85, 0.72, 0.6):
        page = _layout(claims, issuer, picture, shc_png is not None, revoked_at, scale)
        if page.pdf.get_y() <= FOOTER_TOP - 2:
            break
    return bytes(page.pdf.output())


def _layout(
    claims: CwtClaims, issuer: Issuer, picture: bytes, card: bool, revoked_at: datetime | None, scale: float
) -> _Page:
    dcc = claims.dcc
    kind = next(group for group in ("v", "t", "r") if group in dcc)
    entry: Mapping[str, Any] = dcc[kind][0]
    page = _Page(scale)
    pdf = page.pdf
    if revoked_at is not None:
        _revoked_watermark(page)  # first, so that the text and the QR's white ground lie on top of it
    _header(page, issuer)
    title_vi, title_en = both(TITLES[kind])
    pdf.set_y(44)
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 9, title_vi.upper(), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("DejaVu", "", 12.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 7, title_en, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3 * scale)
    if revoked_at is not None:
        _revoked_banner(page, revoked_at)

    # The holder's names take the full width: long Vietnamese names wrap between words only.
    name = dcc.get("nam", {})
    page.section(N_("Holder"))
    full_name = f"{name.get('fn', '')} {name.get('gn', '')}".strip()
    page.row(N_("Full name"), full_name or "—", size=15, style="B")
    # A break may fall between the primary and the secondary identifier ("<<"), never inside one.
    standard = "<<".join(part for part in (name.get("fnt"), name.get("gnt")) if part)
    pdf.set_font("DejaVu", "", 11)
    if pdf.get_string_width(standard) > PAGE_W - 2 * MARGIN - LABEL_W - 2:
        standard = standard.replace("<<", "<< ", 1)
    page.row(N_("Standardised name"), standard or "—")
    page.row(N_("Date of birth"), _day(dcc.get("dob")))

    qr_size = max(QR_MM * min(1.0, scale + 0.1), 40.0)
    qr_top = pdf.get_y() + 4
    qr_x = PAGE_W - MARGIN - qr_size
    pdf.image(io.BytesIO(picture), x=qr_x, y=qr_top, w=qr_size, h=qr_size)
    pdf.set_xy(qr_x, qr_top + qr_size + 1)
    pdf.set_font("DejaVu", "B", 8.5)
    pdf.multi_cell(qr_size, 4, _bilingual(N_("Scan to verify")), align="C", new_x="LMARGIN", new_y="NEXT")
    page.narrow_until = pdf.get_y() + 2
    page.qr_size = qr_size
    pdf.set_y(qr_top - 2.5)

    page.section(_SECTIONS[kind])
    page.row(N_("Disease"), _display("disease-agent-targeted", entry.get("tg")))
    if kind == "v":
        doses = _bilingual(N_("Dose {dose} of {doses}")).format(dose=entry.get("dn"), doses=entry.get("sd"))
        page.row(N_("Dose"), doses, style="B")
        page.row(N_("Date of vaccination"), _day(entry.get("dt")))
        page.row(N_("Vaccine"), _display(VACCINE_PRODUCT, entry.get("mp")))
        page.row(N_("Vaccine type"), _coded(VACCINE_TYPE, entry.get("vp")))
        page.row(N_("Manufacturer"), _display(VACCINE_MANUFACTURER, entry.get("ma")))
    elif kind == "t":
        page.row(N_("Test type"), _coded(TEST_TYPE, entry.get("tt")))
        if entry.get("nm") or entry.get("ma"):
            page.row(N_("Test name"), str(entry.get("nm") or entry.get("ma")))
        page.row(N_("Sample collected"), _day(entry.get("sc")))
        page.row(N_("Result"), _coded(TEST_RESULT, entry.get("tr")), style="B")
        if entry.get("tc"):
            page.row(N_("Testing centre"), str(entry.get("tc")))
    else:
        page.row(N_("First positive test"), _day(entry.get("fr")))
        period = _bilingual(N_("from {start} to {end}")).format(start=_day(entry.get("df")), end=_day(entry.get("du")))
        page.row(N_("Valid"), period, style="B")
    page.row(N_("Country"), _country(entry.get("co")))
    pdf.set_y(max(pdf.get_y(), page.narrow_until))

    page.section(N_("Certificate"))
    page.row(N_("Certificate issuer"), str(entry.get("is") or issuer.name))
    page.row(N_("Certificate identifier"), str(entry.get("ci")), size=10.5)
    if claims.issued_at is not None:
        page.row(N_("Issued on"), _date(datetime.fromtimestamp(claims.issued_at, UTC)))
    if not card and claims.expires_at is not None:
        page.row(N_("QR code valid until"), _date(datetime.fromtimestamp(claims.expires_at, UTC)))
    bottom = pdf.get_y()
    _footer(page, issuer, "SMART Health Card (shc:/)" if card else "EU DCC (HC1)")
    pdf.set_y(bottom)
    return page


_SECTIONS = {"v": N_("Vaccination"), "t": N_("Test"), "r": N_("Recovery")}


def _header(page: _Page, issuer: Issuer) -> None:
    pdf = page.pdf
    x = MARGIN
    if issuer.logo is not None:
        try:
            pdf.image(str(issuer.logo), x=MARGIN, y=MARGIN - 2, h=22, keep_aspect_ratio=True, w=22)
            x = MARGIN + 26
        except Exception as exc:  # a bad logo file must not cost the certificate
            log.warning("issuer logo %s not drawn: %s", issuer.logo, type(exc).__name__)
    pdf.set_xy(x, MARGIN)
    if issuer.name_vi:
        pdf.set_font("DejaVu", "B", 13)
        pdf.set_text_color(*NAVY)
        pdf.cell(0, 7, issuer.name_vi.upper(), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(x)
        pdf.set_font("DejaVu", "", 10.5)
        pdf.set_text_color(*GREY)
    else:
        pdf.set_font("DejaVu", "B", 13)
        pdf.set_text_color(*NAVY)
    pdf.cell(0, 6, issuer.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, 39, PAGE_W - MARGIN, 39)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, 40.2, PAGE_W - MARGIN, 40.2)


def _revoked_banner(page: _Page, revoked_at: datetime) -> None:
    pdf = page.pdf
    pdf.set_fill_color(*RED)
    pdf.set_text_color(255, 255, 255)
    text = _bilingual(N_("REVOKED")) + " — " + _bilingual(N_("not valid since {date}")).format(date=_date(revoked_at))
    size = page.line_size(text, PAGE_W - 2 * MARGIN, 15, "B")
    pdf.set_font("DejaVu", "B", size)
    pdf.cell(0, 11, text, new_x="LMARGIN", new_y="NEXT", align="C", fill=True)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _revoked_watermark(page: _Page) -> None:
    pdf = page.pdf
    with pdf.local_context(fill_opacity=0.18, text_color=RED):
        pdf.set_font("DejaVu", "B", 64)
        with pdf.rotation(angle=52, x=PAGE_W / 2, y=PAGE_H / 2):
            for offset, text in zip((-14, 14), both(N_("REVOKED")), strict=True):
                width = pdf.get_string_width(text)
                pdf.text(PAGE_W / 2 - width / 2, PAGE_H / 2 + offset, text)


def _footer(page: _Page, issuer: Issuer, code_format: str) -> None:
    pdf = page.pdf
    top = FOOTER_TOP
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, top, PAGE_W - MARGIN, top)
    pdf.set_xy(MARGIN, top + 1.5)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    note = _bilingual(N_("This certificate is genuine only if its QR code verifies with a certificate verifier."))
    pdf.multi_cell(0, 3.6, note, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 4, f"{issuer.name} — {code_format}", align="C")
    pdf.set_text_color(0, 0, 0)
