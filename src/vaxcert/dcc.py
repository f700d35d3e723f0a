"""Pydantic models of the EU DCC payload (schema 1.3.x) for building certificates.

Issuers build a :class:`DigitalCovidCertificate` from these models (or from a
JSON document with the same field names); verification never depends on
them: it validates decoded payloads against the official JSON schemas.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .names import transliterate

Text80 = Annotated[str, Field(max_length=80)]
Transliterated = Annotated[str, Field(pattern=r"^[A-Z<]*$", max_length=80)]
DosePositiveInt = Annotated[int, Field(ge=1, strict=True)]
DISEASE_COVID19 = "840539006"
CURRENT_SCHEMA_VERSION = "1.3.0"


class _DccModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class PersonName(_DccModel):
    """Surname(s) ``fn`` and forename(s) ``gn``, with their ICAO 9303 forms."""

    fn: Text80 | None = None
    fnt: Transliterated | None = None
    gn: Text80 | None = None
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
                if data.get(native) and not data.get(standard) and isinstance(data[native], str):
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
    ci: Text80 | None = Field(default=None, description="UVCI; generated at issuance when absent")


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
    ci: Text80 | None = Field(default=None, description="UVCI; generated at issuance when absent")


class Recovery(_DccModel):
    """One recovery statement (``r[0]``)."""

    tg: str = DISEASE_COVID19
    fr: date
    co: str = Field(pattern=r"^[A-Z]{2}$")
    is_: Text80 = Field(alias="is")
    df: date
    du: date
    ci: Text80 | None = Field(default=None, description="UVCI; generated at issuance when absent")


class DigitalCovidCertificate(_DccModel):
    """The whole DCC: holder, date of birth, and exactly one of v, t, r."""

    ver: str = Field(default=CURRENT_SCHEMA_VERSION, pattern=r"^\d+\.\d+\.\d+$")
    nam: PersonName
    dob: str = Field(pattern=r"^((19|20)\d\d(-\d\d){0,2}){0,1}$")
    v: Annotated[list[Vaccination], Field(min_length=1, max_length=1)] | None = None
    t: Annotated[list[Test], Field(min_length=1, max_length=1)] | None = None
    r: Annotated[list[Recovery], Field(min_length=1, max_length=1)] | None = None

    @model_validator(mode="after")
    def _exactly_one_entry(self) -> DigitalCovidCertificate:
        present = [name for name in ("v", "t", "r") if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(f"exactly one of v, t, r is required (got {', '.join(present) or 'none'})")
        if self.dob:
            _check_partial_date(self.dob)
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


def _check_partial_date(value: str) -> None:
    parts = [int(p) for p in value.split("-")]
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        raise ValueError(f"date of birth {value!r} has month {parts[1]}")
    if len(parts) == 3:
        date(parts[0], parts[1], parts[2])  # raises ValueError for an impossible day
