"""Finding an organisation's certificates by name, date of birth or UVCI.

Names are matched on a folded copy stored with each certificate
(``certificates.search_name``): lower case, Vietnamese diacritics and đ
removed, anything that is not a letter or digit turned into one space.  A
search for "nguyen thi" is then a prefix range over an index on
(organisation_id, search_name), on SQLite and PostgreSQL alike (the
PostgreSQL column uses the "C" collation so the range is byte order).
Neither the query nor a result is ever logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vaxcert import decode_unverified

from .models import Certificate

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Past the last character a folded name can hold, so [q, q + _PAST) is "starts with q".
_PAST = "\x7f"
SEARCH_NAME_LENGTH = 200
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def fold(text: str) -> str:
    """``"Nguyễn Thị  Phương"`` -> ``"nguyen thi phuong"``: the form names are stored and searched in."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", bare).strip()[:SEARCH_NAME_LENGTH]


def indexed_values(dcc: Mapping[str, Any]) -> dict[str, str | None]:
    """The searchable columns of a certificate row, from its DCC payload."""
    name = dcc.get("nam") if isinstance(dcc.get("nam"), dict) else {}
    assert isinstance(name, dict)
    full = " ".join(str(name.get(part) or name.get(part + "t") or "") for part in ("fn", "gn"))
    dob = dcc.get("dob")
    return {"search_name": fold(full), "dob": dob[:10] if isinstance(dob, str) and dob else None}


@dataclass(frozen=True)
class Found:
    """One search result: what a nurse needs to recognise the right certificate."""

    uvci: str
    name: str
    dob: str
    certificate_type: str
    issued_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Query:
    kind: str  # "uvci", "dob" or "name"
    value: str


def parse_query(text: str) -> Query | None:
    """What a search box entry means: a UVCI, a date of birth (dd/mm/yyyy or yyyy-mm-dd) or a name."""
    text = text.strip()
    if not text:
        return None
    if text.upper().startswith("URN:UVCI:"):
        return Query("uvci", "URN:UVCI:" + text[9:])
    for form in _DATE_FORMATS:
        try:
            return Query("dob", datetime.strptime(text, form).date().isoformat())
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}", text):  # a year of birth alone: the DCC allows "1990"
        return Query("dob", text)
    folded = fold(text)
    return Query("name", folded) if folded else None


def search(session: Session, organisation_id: int, query: Query, limit: int = 50) -> list[Found]:
    """The organisation's certificates matching ``query``, newest first (at most ``limit``)."""
    where: list[Any] = [Certificate.organisation_id == organisation_id]
    if query.kind == "uvci":
        where.append(Certificate.uvci == query.value)
    elif query.kind == "dob":
        where.append(Certificate.dob == query.value)
    else:
        where += [Certificate.search_name >= query.value, Certificate.search_name < query.value + _PAST]
    rows = session.execute(
        select(
            Certificate.uvci,
            Certificate.hc1,
            Certificate.certificate_type,
            Certificate.issued_at,
            Certificate.revoked_at,
        )
        .where(*where)
        .order_by(Certificate.search_name if query.kind == "name" else Certificate.issued_at.desc())
        .limit(limit)
    )
    return [_found(uvci, hc1, kind, issued, revoked) for uvci, hc1, kind, issued, revoked in rows]


def _found(uvci: str, hc1: str, kind: str, issued: datetime, revoked: datetime | None) -> Found:
    dcc = decode_unverified(hc1).dcc  # our own signed text: the name as issued, with its diacritics
    name = dcc.get("nam") or {}
    shown = " ".join(str(name.get(part) or name.get(part + "t") or "") for part in ("fn", "gn")).strip()
    issued = issued.replace(tzinfo=UTC) if issued.tzinfo is None else issued
    return Found(uvci, shown, str(dcc.get("dob") or ""), kind, issued, revoked is not None)


def display_date(value: str | date | None) -> str:
    """dd/mm/yyyy for a full ISO date; a year or year-month as given."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else value
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text):
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text
