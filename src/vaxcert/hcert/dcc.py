"""Pydantic models of the EU DCC payload (schema 1.3.x) for building certificates.

Issuers build a :class:`DigitalCovidCertificate` from these models (or from a
JSON document with the same field names); verification never depends on
them: it validates decoded payloads against the official JSON schemas.

The models refuse what no issuer should sign, even where the schema allows
it: a UVCI outside the grammar or with a wrong check character, a name with
control characters or emoji, a birth or event in the future, an event before
the birth.  Each refusal names its field (``v.0.ci``) and has an ``issue.*``
error type.  "Now" is the ``now`` entry of the validation context when given
(``model_validate(data, context={"now": moment})``), else the system clock.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from . import uvci as _uvci
from .names import transliterate

Text80 = Annotated[str, Field(max_length=80)]
# A clock a little behind the issuer's: a site east of UTC records "today" before UTC gets there.
DATE_LEEWAY = timedelta(hours=14)
# Sample times carry an offset; only the two machines' clocks can disagree.
TIME_LEEWAY = timedelta(minutes=5)
# Variation selectors and the keycap mark are combining marks that only ever decorate emoji.
_EMOJI_MARKS = frozenset(chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x20E3])
# Apostrophes (ASCII, typographic, modifier letter), full stops and commas occur in real names.
_NAME_PUNCTUATION = frozenset("'\u2019\u02bc.,")


def _name_problem(value: str) -> str | None:
    if _NAME_CHARACTERS.issuperset(value):  # nearly every name: one set test in C
        return None
    return _character_problem(value)


def _character_problem(value: str) -> str | None:
    for ch in value:
        category = unicodedata.category(ch)
        if ch in _EMOJI_MARKS or category[0] in "CS" or category in ("Zl", "Zp"):
            return f"U+{ord(ch):04X} ({unicodedata.name(ch, category)}) is not allowed in a name"
        if category[0] == "P" and category != "Pd" and ch not in _NAME_PUNCTUATION:
            return f"{ch!r} is not allowed in a name"
    return None


# The Latin blocks names are written in (Vietnamese letters sit in Latin Extended Additional),
# combining marks and the dashes and apostrophes people type, filtered by the very rule above.
_NAME_CHARACTERS = frozenset(
    ch
    for start, end in ((0x20, 0x250), (0x2BC, 0x2BD), (0x300, 0x370), (0x1E00, 0x1F00), (0x2010, 0x2020))
    for ch in map(chr, range(start, end))
    if _character_problem(ch) is None
)


def _check_name(value: str) -> str:
    problem = _name_problem(value)
    if problem:
        raise PydanticCustomError("issue.bad_name_character", problem)
    return value


def _check_uvci(value: str) -> str:
    problem = _uvci.grammar_problem(value)
    if problem:
        raise PydanticCustomError("issue.bad_uvci", problem)
    if not _uvci.has_valid_checksum(value):
        raise PydanticCustomError("issue.bad_uvci_checksum", "the UVCI's check character is wrong")
    return value


NativeName = Annotated[str, Field(max_length=80), AfterValidator(_check_name)]
Uvci = Annotated[str, Field(max_length=80), AfterValidator(_check_uvci)]
Transliterated = Annotated[str, Field(pattern=r"^[A-Z<]*$", max_length=80)]
DosePositiveInt = Annotated[int, Field(ge=1, strict=True)]
DISEASE_COVID19 = "840539006"
CURRENT_SCHEMA_VERSION = "1.3.0"


class _DccModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class PersonName(_DccModel):
    """Surname(s) ``fn`` and forename(s) ``gn``, with their ICAO 9303 forms."""

    fn: NativeName | None = None
    fnt: Transliterated | None = None
    gn: NativeName | None = None
    gnt: Transliterated | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_standardised_names(cls, data: Any) -> Any:
        # Vaccination systems know the name as written; ICAO forms are derived.
        if isinstance(data, dict):
            data = dict(data)
            for native, standard in (("fn", "fnt"), ("gn", "gnt")):
                if isinstance(data.get(native), str):  # input often arrives NFD (macOS) or mixed
                    data[native] = unicodedata.normalize("NFC", data[native])
                if (
                    data.get(native)
                    and not data.get(standard)
                    and isinstance(data[native], str)
                    and _name_problem(data[native]) is None  # else the field's own check names the problem
                ):
                    data[standard] = transliterate(data[native])
        return data

    @model_validator(mode="after")
    def _needs_a_standardised_name(self) -> PersonName:
        if self.fnt is None and self.gnt is None:
            raise ValueError("at least one of fnt (standardised surname) or gnt (standardised forename) is required")
        return self

    @classmethod
    def from_names(cls, family_name: str | None, given_name: str | None) -> PersonName:
        """Fill fnt/gnt by transliteration.  Vietnamese: family = họ, given = tên đệm + tên."""
        return cls(
            fn=family_name or None,
            fnt=transliterate(family_name) if family_name else None,
            gn=given_name or None,
            gnt=transliterate(given_name) if given_name else None,
        )


class Vaccination(_DccModel):
    """One vaccination event (``v[0]``)."""

    tg: str = DISEASE_COVID19
    vp: str
    mp: str
    ma: str
    dn: DosePositiveInt
    sd: DosePositiveInt
    dt: date
    co: str = Field(pattern=r"^[A-Z]{2}$")
    is_: Text80 = Field(alias="is")
    ci: Uvci | None = Field(default=None, description="UVCI; generated at issuance when absent")


class Test(_DccModel):
    """One test result (``t[0]``)."""

    tg: str = DISEASE_COVID19
    tt: str
    nm: Text80 | None = None
    ma: str | None = None
    sc: datetime
    tr: str
    tc: Text80 | None = None
    co: str = Field(pattern=r"^[A-Z]{2}$")
    is_: Text80 = Field(alias="is")
    ci: Uvci | None = Field(default=None, description="UVCI; generated at issuance when absent")


class Recovery(_DccModel):
    """One recovery statement (``r[0]``)."""

    tg: str = DISEASE_COVID19
    fr: date
    co: str = Field(pattern=r"^[A-Z]{2}$")
    is_: Text80 = Field(alias="is")
    df: date
    du: date
    ci: Uvci | None = Field(default=None, description="UVCI; generated at issuance when absent")


class DigitalCovidCertificate(_DccModel):
    """The whole DCC: holder, date of birth, and exactly one of v, t, r."""

    ver: str = Field(default=CURRENT_SCHEMA_VERSION, pattern=r"^\d+\.\d+\.\d+$")
    nam: PersonName
    dob: str = Field(pattern=r"^((19|20)\d\d(-\d\d){0,2}){0,1}$")
    v: Annotated[list[Vaccination], Field(min_length=1, max_length=1)] | None = None
    t: Annotated[list[Test], Field(min_length=1, max_length=1)] | None = None
    r: Annotated[list[Recovery], Field(min_length=1, max_length=1)] | None = None

    @field_validator("dob")
    @classmethod
    def _real_calendar_date(cls, value: str) -> str:
        # A field validator, so the error carries the field's location (``dob: …``).
        if value:
            _check_partial_date(value)
        return value

    @model_validator(mode="after")
    def _exactly_one_entry(self) -> DigitalCovidCertificate:
        present = [name for name in ("v", "t", "r") if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(f"exactly one of v, t, r is required (got {', '.join(present) or 'none'})")
        return self

    @model_validator(mode="after")
    def _plausible(self, info: ValidationInfo) -> DigitalCovidCertificate:
        context = info.context if isinstance(info.context, dict) else {}
        now = context.get("now") or datetime.now(UTC)
        if not isinstance(now, datetime):
            raise TypeError("the validation context's 'now' must be a datetime")
        problems = list(_implausibilities(self, _as_utc(now)))
        if problems:
            # Raised as a ValidationError of its own so each problem keeps its field's location.
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(type=PydanticCustomError("issue.implausible", message), loc=loc, input=value)
                    for loc, value, message in problems
                ],
            )
        return self

    @property
    def certificate_type(self) -> Literal["v", "t", "r"]:
        return "v" if self.v else "t" if self.t else "r"

    @property
    def entry(self) -> Vaccination | Test | Recovery:
        entries: list[Vaccination] | list[Test] | list[Recovery] = self.v or self.t or self.r or []
        return entries[0]

    @property
    def uvci(self) -> str | None:
        return self.entry.ci

    def with_uvci(self, uvci: str) -> DigitalCovidCertificate:
        """A copy whose single entry carries ``uvci``."""
        group = self.certificate_type
        return self.model_copy(update={group: [self.entry.model_copy(update={"ci": uvci})]})

    def to_json(self) -> dict[str, Any]:
        """The payload as it goes into the CWT: JSON types, ``is`` spelt as such."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data


def _as_utc(moment: datetime) -> datetime:
    # CertLogic's convention: a date-time without an offset is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _earliest_birth(dob: str) -> date | None:
    """The first day a partial date of birth (YYYY, YYYY-MM, YYYY-MM-DD) can mean."""
    if not dob:
        return None
    parts = [int(p) for p in dob.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _implausibilities(dcc: DigitalCovidCertificate, now: datetime) -> list[tuple[tuple[str | int, ...], Any, str]]:
    """(location, value, message) of every date no issuer should sign.

    A partial date of birth is compared by its first possible day, so "1990"
    accepts any event in 1990 and a birth in the current year is not future.
    """
    today = (now + DATE_LEEWAY).date()
    born = _earliest_birth(dcc.dob)
    found: list[tuple[tuple[str | int, ...], Any, str]] = []
    if born is not None and born > today:
        found.append((("dob",), dcc.dob, f"date of birth {dcc.dob} is in the future"))

    def not_future(loc: tuple[str | int, ...], day: date, what: str) -> None:
        if day > today:
            found.append((loc, day.isoformat(), f"{what} {day.isoformat()} is in the future"))

    def not_before_birth(loc: tuple[str | int, ...], day: date, what: str) -> None:
        if born is not None and day < born:
            found.append((loc, day.isoformat(), f"{what} {day.isoformat()} is before the date of birth {dcc.dob}"))

    for index, vaccination in enumerate(dcc.v or []):
        not_future(("v", index, "dt"), vaccination.dt, "vaccination date")
        not_before_birth(("v", index, "dt"), vaccination.dt, "vaccination date")
    for index, test in enumerate(dcc.t or []):
        sampled = _as_utc(test.sc)
        if sampled > now + TIME_LEEWAY:
            # The result exists only once the sample does: a later sample means the result predates it.
            found.append(
                (("t", index, "sc"), test.sc.isoformat(), f"sample time {sampled.isoformat()} is in the future")
            )
        not_before_birth(("t", index, "sc"), sampled.date(), "sample date")
    for index, recovery in enumerate(dcc.r or []):
        not_future(("r", index, "fr"), recovery.fr, "first positive test date")
        not_before_birth(("r", index, "fr"), recovery.fr, "first positive test date")
        if recovery.df > recovery.du:
            found.append((("r", index, "du"), recovery.du.isoformat(), "valid until is before valid from"))
        if recovery.df < recovery.fr:
            found.append((("r", index, "df"), recovery.df.isoformat(), "valid from is before the first positive test"))
    return found


def _check_partial_date(value: str) -> None:
    parts = [int(p) for p in value.split("-")]
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        # Messages reach API callers and, through them, logs: name the problem, never the date itself.
        raise ValueError("the date of birth has no such month")
    if len(parts) == 3:
        try:
            date(parts[0], parts[1], parts[2])
        except ValueError:
            raise ValueError("the date of birth has no such day") from None
