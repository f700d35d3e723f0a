"""The message catalogues are complete and current; dates and country names read as people write them."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from vaxcert.summary import STATUS_TEXT, Status
from vaxcert_apps.i18n import LOCALE_DIR, Translator, both, negotiate, resolve_language, translator

babel = pytest.importorskip("babel", reason="Babel (the catalogue tool) comes with the test extra")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import read_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

SOURCES = ("vaxcert_apps", "verifier_cli", "issuer_service", "trust_list")
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "vaxcert.po"
MO = PO.with_suffix(".mo")
FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def _source_ids() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for package in SOURCES:
        for _, _, message, _, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add((context, message if isinstance(message, str) else message[0]))
    return found


def _po() -> dict[tuple[str | None, str], object]:
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue if m.id}


def test_every_message_in_the_sources_has_a_vietnamese_translation() -> None:
    ids, po = _source_ids(), _po()
    assert len(ids) > 50  # the extractor found the apps' messages (a broken keyword list finds none)
    missing = sorted(str(key) for key in ids if key not in po or not getattr(po[key], "string", ""))
    assert not missing, f"untranslated (run scripts/i18n extract, update, translate, compile): {missing}"
    fuzzy = sorted(str(key) for key, message in po.items() if getattr(message, "fuzzy", False))
    assert not fuzzy, f"fuzzy translations: {fuzzy}"
    stale = sorted(str(key) for key in po if key not in ids)
    assert not stale, f"messages no source uses any more (run scripts/i18n extract, update): {stale}"


def test_translations_keep_every_placeholder() -> None:
    for (_, message_id), message in _po().items():
        translated = getattr(message, "string", "")
        assert sorted(FIELD.findall(message_id)) == sorted(FIELD.findall(str(translated))), message_id


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with MO.open("rb") as handle:
        compiled = {(m.context, m.id): m.string for m in read_mo(handle) if m.id}
    written = {key: getattr(message, "string", None) for key, message in _po().items()}
    assert compiled == written, "the .mo is stale: run scripts/i18n compile"


def test_status_lines_are_the_shared_summary_texts() -> None:
    vietnamese, english = translator("vi"), translator("en")
    for status in Status:
        assert (vietnamese.status(status), english.status(status)) == STATUS_TEXT[status]


def test_a_missing_translation_shows_the_english_text() -> None:
    assert translator("vi").gettext("a message nobody wrote") == "a message nobody wrote"
    assert both("Date of birth") == ("Ngày sinh", "Date of birth")


@pytest.mark.parametrize(
    ("value", "vietnamese", "english"),
    [
        ("1990-04-15", "15/04/1990", "15 Apr 1990"),
        ("1990-04", "04/1990", "Apr 1990"),
        ("1990", "1990", "1990"),
        ("2021-09-20T10:05:00Z", "20/09/2021 10:05 UTC", "20 Sep 2021 10:05 UTC"),
        ("2021-09-20T10:05:00+07:00", "20/09/2021 10:05 UTC+07:00", "20 Sep 2021 10:05 UTC+07:00"),
        (datetime(2027, 5, 1, 23, 59, tzinfo=UTC), "01/05/2027 23:59 UTC", "1 May 2027 23:59 UTC"),
        (
            datetime(2027, 5, 1, tzinfo=timezone(-timedelta(hours=5))),
            "01/05/2027 00:00 UTC-05:00",
            "1 May 2027 00:00 UTC-05:00",
        ),
        (1_809_129_600, "01/05/2027 00:00 UTC", "1 May 2027 00:00 UTC"),
        ("1990-13-01", "1990-13-01", "1990-13-01"),
        ("not a date\x1b[2J", "not a date?[2J", "not a date?[2J"),
        (["a", "list"], "?", "?"),
        (None, "", ""),
        (2**100, "?", "?"),
    ],
)
def test_dates(value: object, vietnamese: str, english: str) -> None:
    assert (translator("vi").date(value), translator("en").date(value)) == (vietnamese, english)


@pytest.mark.parametrize(
    ("code", "vietnamese", "english"),
    [
        ("VN", "Việt Nam", "Vietnam"),
        ("VNM", "Việt Nam", "Vietnam"),
        ("vnm", "Việt Nam", "Vietnam"),
        ("DE", "Đức", "Germany"),
        ("DEU", "Đức", "Germany"),
        ("D<<", "Đức", "Germany"),  # ICAO 9303's code for Germany
        ("XK", "Kosovo", "Kosovo"),  # in the EU DCC country value set, not in ISO 3166-1
        ("GBR", "Vương quốc Anh", "United Kingdom"),
        ("QQ", "QQ", "QQ"),
        (42, "42", "42"),
    ],
)
def test_country_names(code: object, vietnamese: str, english: str) -> None:
    assert (translator("vi").country(code), translator("en").country(code)) == (vietnamese, english)


def test_every_country_of_the_dcc_value_set_has_a_name() -> None:
    from vaxcert import ValueSets

    codes = ValueSets.bundled().get("country-2-codes")
    assert codes is not None and len(codes.entries) > 200
    for code in codes.entries:
        assert translator("vi").country(code) != code, code


def test_the_bundled_country_table_is_what_babel_says() -> None:
    """scripts/make-country-names writes the table; it must be rerun when CLDR (Babel) changes."""
    import importlib.machinery
    import importlib.util
    import json

    loader = importlib.machinery.SourceFileLoader("make_country_names", str(ROOT / "scripts" / "make-country-names"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)

    bundled = json.loads((LOCALE_DIR.parent / "countries.json").read_text(encoding="utf-8"))
    assert module.table() == bundled


def test_language_choice() -> None:
    assert resolve_language(None, {}) == "vi"
    assert resolve_language(None, {"VAXCERT_LANG": "en"}) == "en"
    assert resolve_language(None, {"VAXCERT_LANG": "vi_VN.UTF-8"}) == "vi"
    assert resolve_language(None, {"VAXCERT_LANG": "fr"}) == "vi"  # unknown: the default, not a crash
    assert resolve_language("en", {"VAXCERT_LANG": "vi"}) == "en"  # --lang wins
    with pytest.raises(ValueError):
        resolve_language("fr", {})
    with pytest.raises(ValueError):
        Translator("fr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "vi"),
        ("", "vi"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.5,vi;q=0.8", "vi"),
        ("vi-VN,vi;q=0.9,en-US;q=0.8", "vi"),
        ("de, en;q=0", "vi"),
        ("en;q=bad, vi;q=0.1", "vi"),
    ],
)
def test_browser_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_catalogues_ship_with_the_package() -> None:
    assert Path(MO).is_file() and (LOCALE_DIR.parent / "countries.json").is_file()
    assert (LOCALE_DIR.parent / "LICENSE.unicode").is_file()


@given(value=st.one_of(st.text(max_size=200), st.integers(), st.floats(), st.none(), st.lists(st.text(), max_size=3)))
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
def test_any_unverified_value_shows_as_a_short_printable_line(value: object) -> None:
    for language in ("vi", "en"):
        t = translator(language)
        for shown in (t.date(value), t.country(value)):
            assert isinstance(shown, str) and len(shown) <= 80 and shown.isprintable()


def test_coded_values_in_words() -> None:
    assert translator("vi").value("260415000") == "Không phát hiện (âm tính)"
    assert translator("en").value("260415000") == "Not detected (negative)"
    assert translator("vi").value("LP217198-3") == "Xét nghiệm nhanh kháng nguyên"
    assert translator("vi").value("EU/1/20/1528") is None and translator("vi").value(["x"]) is None
