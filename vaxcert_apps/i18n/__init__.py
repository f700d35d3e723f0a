"""Vietnamese first: the message catalogues, dates and country names every app shows people.

One set of gettext catalogues serves the CLI verdict, the certificate PDF and the web pages.
The English text is the message id; ``locale/vi/LC_MESSAGES/vaxcert.po`` holds the Vietnamese,
compiled to ``vaxcert.mo`` (both shipped in the package; reading them needs only the standard
library's :mod:`gettext`, so the offline verifier gains no dependency).  Vietnamese is the
default language; English is the toggle.

Using it (a CLI, a PDF, a web page)::

    from vaxcert_apps.i18n import N_, resolve_language, translator

    t = translator(resolve_language(args.lang))      # --lang, else $VAXCERT_LANG, else "vi"
    t = translator(negotiate(request.headers.get("accept-language")))   # a web page
    t.gettext("Incomplete scan, scan again")         # "Mã quét chưa đủ, hãy quét lại" in vi
    t.gettext("dose {dose} of {doses}").format(dose=2, doses=2)
    t.pgettext("recovery", "Valid")                  # a context where one English word has two meanings
    t.date("1990-04-15")                              # "15/04/1990" (vi), "15 Apr 1990" (en); partial dates too
    t.country("VN"), t.country("VNM")                 # "Việt Nam" / "Vietnam": alpha-2, alpha-3, ICAO "D"
    t.status(Status.VERIFIED)                         # the vaxcert.summary status line in this language
    t.value("260415000")                              # an EU value-set code in words: "Không phát hiện (âm tính)"
    t.messages(["Valid", "Invalid"])                  # {msgid: text} for a page's script (JSON)
    both("Certificate identifier")                    # ("Mã chứng nhận", "Certificate identifier"): bilingual print

Strings defined away from a call (tables, constants) are marked with ``N_("…")`` so that the
extractor finds them, and translated where they are shown.  Placeholders are ``str.format``
fields (``{dose}``); a translation keeps every field of its message id.

Workflow (Babel, in the ``test`` extra; ``scripts/i18n`` runs these steps)::

    scripts/i18n extract    # pybabel extract the apps' sources into vaxcert.pot
    scripts/i18n update     # merge new ids into locale/vi/LC_MESSAGES/vaxcert.po; translate them there
    scripts/i18n compile    # vaxcert.mo, committed beside the .po

``tests/vaxcert_apps/test_i18n.py`` fails when a message id in the sources has no Vietnamese
translation, when a translation loses a placeholder, or when the .mo is older than the .po.
"""

from __future__ import annotations

import gettext
import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from vaxcert.summary import Status

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "VALUE_TEXT",
    "Translator",
    "both",
    "negotiate",
    "resolve_language",
    "translator",
]

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "vaxcert"
HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
ENV_VARIABLE = "VAXCERT_LANG"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MAX_SHOWN = 80


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


# The shared status lines: vaxcert.summary.STATUS_TEXT's English is the message id, spelled out
# here so that the extractor sees it (the tests check both stay the same).
_STATUS_IDS = {
    Status.VERIFIED: N_("Valid"),
    Status.NOT_SUPPORTED: N_("Not a supported health certificate"),
    Status.INVALID_ENCODING: N_("Damaged or incomplete code, scan again"),
    Status.INVALID_COMPRESSION: N_("Compressed content is broken"),
    Status.INVALID_SIGNING_FORMAT: N_("Invalid signature format"),
    Status.ISSUER_NOT_TRUSTED: N_("Issuer not trusted"),
    Status.TERMINATED_KEYS: N_("Issuer's signing key terminated"),
    Status.REVOKED_KEYS: N_("Issuer's signing key revoked"),
    Status.EXPIRED_KEYS: N_("Issuer's signing key expired"),
    Status.INVALID_SIGNATURE: N_("Signature invalid: altered or forged"),
    Status.REVOKED: N_("Certificate revoked"),
    Status.EXPIRED: N_("Certificate expired"),
    Status.REVOCATION_UNKNOWN: N_("Revocation not checked: the revocation list is out of date"),
    Status.RULES_NOT_MET: N_("Genuine, but entry rules not met"),
}


# EU value-set entries whose displays are words (not product or company names), for people to read.
VALUE_TEXT = {
    "LP6464-4": N_("Nucleic acid amplification test (e.g. RT-PCR)"),
    "LP217198-3": N_("Rapid antigen test"),
    "260415000": N_("Not detected (negative)"),
    "260373001": N_("Detected (positive)"),
    "1119349007": N_("SARS-CoV-2 mRNA vaccine"),
    "1119305005": N_("SARS-CoV-2 antigen vaccine"),
    "1157024006": N_("Inactivated whole SARS-CoV-2 antigen vaccine"),
    "29061000087103": N_("COVID-19 non-replicating viral vector vaccine"),
    "1162643001": N_("SARS-CoV-2 recombinant spike protein antigen vaccine"),
}


def _language(value: str | None) -> str | None:
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0].split(".", 1)[0]
    return primary if primary in LANGUAGES else None


def resolve_language(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``--lang`` when given, else ``$VAXCERT_LANG``, else Vietnamese; ``vi_VN.UTF-8`` counts as ``vi``.

    An explicit value outside :data:`LANGUAGES` raises ``ValueError`` (the CLI's argparse
    choices catch it first); an unknown ``$VAXCERT_LANG`` falls back to Vietnamese.
    """
    if explicit is not None:
        language = _language(explicit)
        if language is None:
            raise ValueError(f"unsupported language {explicit!r}; choose one of {', '.join(LANGUAGES)}")
        return language
    env = os.environ if environ is None else environ
    return _language(env.get(ENV_VARIABLE)) or DEFAULT_LANGUAGE


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best of :data:`LANGUAGES` for a browser's ``Accept-Language`` header (q-values honoured)."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "")[:1000].split(",")):
        tag, _, parameters = part.strip().partition(";")
        language = _language(tag)
        if language is None:
            continue
        quality = 1.0
        match = re.search(r"q=([^;\s]*)", parameters)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality > 0 and (best is None or (quality, -position) > best[:2]):
            best = (quality, -position, language)
    return best[2] if best is not None else default


@cache
def _countries() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / "countries.json").read_text(encoding="utf-8"))
    return data


def _shown(value: object) -> str:
    """An unverified value as short printable text (never str() of a hostile structure)."""
    if isinstance(value, str):
        text = "".join(ch if ch.isprintable() else "?" for ch in value[: _MAX_SHOWN + 1])
        return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return str(value)
    return "" if value is None else "?"


class Translator:
    """Messages, dates and country names in one language; get one from :func:`translator`."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self._catalogue: gettext.NullTranslations = (
            gettext.NullTranslations()
            if language == "en"  # the message ids are the English text
            else gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
        )

    def gettext(self, message: str) -> str:
        return self._catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._catalogue.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalogue.pgettext(context, message)

    def messages(self, ids: Iterable[str]) -> dict[str, str]:
        """Several messages at once, e.g. as JSON for a page's script."""
        return {message: self.gettext(message) for message in ids}

    def value(self, code: object) -> str | None:
        """A coded EU value-set entry (test type, result, vaccine type) in words, or None when it has none."""
        message = VALUE_TEXT.get(code) if isinstance(code, str) else None
        return self.gettext(message) if message is not None else None

    def status(self, status: Status) -> str:
        """The one-line meaning of a :class:`vaxcert.summary.Status`."""
        return self.gettext(_STATUS_IDS[status])

    def date(self, value: object) -> str:
        """A date or date-time as people here write it: ``15/04/1990`` (vi), ``15 Apr 1990`` (en).

        Accepts ISO 8601 text (``1990``, ``1990-04``, ``1990-04-15``, a date-time with its zone),
        a :class:`datetime` or a Unix timestamp.  A date-time keeps its own zone, shown as
        ``UTC`` or an offset.  Anything unreadable comes back as short printable text.
        """
        if isinstance(value, datetime):
            return self._datetime(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return self._datetime(datetime.fromtimestamp(value, UTC))
            except (OverflowError, OSError, ValueError):
                return _shown(value)
        if not isinstance(value, str):
            return _shown(value)
        text = value.strip()
        match = _DATE.match(text)
        if match is not None:
            year, month, day = match.groups()
            if month is not None and not 1 <= int(month) <= 12:
                return _shown(value)
            return self._day(year, month, day)
        if len(text) <= 40 and "T" in text:
            try:
                moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
            except ValueError:
                return _shown(value)
            return self._datetime(moment)
        return _shown(value)

    def _day(self, year: str, month: str | None, day: str | None) -> str:
        if self.language == "vi":
            return "/".join(part for part in (day, month, year) if part is not None)
        named = _MONTHS[int(month) - 1] if month is not None else None
        return " ".join(str(int(part)) if part is day else part for part in (day, named, year) if part is not None)

    def _datetime(self, moment: datetime) -> str:
        day = self._day(f"{moment.year:04d}", f"{moment.month:02d}", f"{moment.day:02d}")
        offset = moment.utcoffset()
        if offset is None:
            zone = ""
        elif not offset:
            zone = " UTC"
        else:
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            zone = f" UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return f"{day} {moment.hour:02d}:{moment.minute:02d}{zone}"

    def country(self, code: object) -> str:
        """The country's name for an ISO 3166-1 alpha-2 or alpha-3 code (or ICAO's ``D``); else the code."""
        if not isinstance(code, str):
            return _shown(code)
        table = _countries()
        key = code.strip().upper().rstrip("<")
        key = table["alpha3"].get(key) or table["other"].get(key) or key
        names = table["names"].get(key)
        return names[self.language] if names else _shown(code)


@cache
def translator(language: str = DEFAULT_LANGUAGE) -> Translator:
    """The (cached) translator for one of :data:`LANGUAGES`."""
    return Translator(language)


def both(message: str) -> tuple[str, str]:
    """A message in Vietnamese and English, for bilingual print (the PDF)."""
    return translator("vi").gettext(message), message
