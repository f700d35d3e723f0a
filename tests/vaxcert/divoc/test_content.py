"""Holder and events from credentialSubject and evidence, and only what the signature covers."""

from __future__ import annotations

from typing import Any

import pytest

from vaxcert.divoc.canonical import canonicalize
from vaxcert.divoc.content import read

from .support import template


def test_holder_and_vaccination_from_the_v2_template() -> None:
    content = read(template())
    assert content.holder is not None
    assert (content.holder.name, content.holder.birth_date) == ("Trần Thị Bích Ngọc", "1985-07-14")
    [event] = content.events
    assert (event.type, event.date, event.dose, event.country, event.product) == (
        "vaccination",
        "2024-04-20",
        1,
        "IN",
        "COVISHIELD",
    )


@pytest.mark.parametrize(
    ("dob", "expected"),
    [
        ("1985-07-14", "1985-07-14"),
        ("1985-07", "1985-07"),
        ("1985", "1985"),
        ("19850714", "1985-07-14"),
        ("1985-02-30", None),
        ("38", None),
        ("", None),
        (None, None),
        (1985, None),
        ("1985-07-14T00:00:00Z", "1985-07-14"),
    ],
)
def test_birth_date_only_when_a_date(dob: Any, expected: str | None) -> None:
    credential = template()
    credential["credentialSubject"]["dob"] = dob
    holder = read(credential).holder
    assert holder is not None and holder.birth_date == expected


def test_age_is_never_a_birth_date() -> None:
    credential = template()
    del credential["credentialSubject"]["dob"]
    holder = read(credential).holder
    assert holder is not None and holder.birth_date is None


@pytest.mark.parametrize(
    ("date", "effective_start", "expected"),
    [
        ("2021-04-15T10:00:00.000Z", "2021-04-15", "2021-04-15"),
        ("20210415", "", "2021-04-15"),
        (None, "2021-04-16", "2021-04-16"),
        ("not a date", "2021-04-16", None),
        ("2021-13-01", None, None),
    ],
)
def test_event_date(date: Any, effective_start: Any, expected: str | None) -> None:
    credential = template()
    credential["evidence"][0]["date"] = date
    credential["evidence"][0]["effectiveStart"] = effective_start
    assert read(credential).events[0].date == expected


@pytest.mark.parametrize(
    ("dose", "expected"), [(2, 2), ("3", 3), ("", None), (0, None), (True, None), (1000, None), ("x", None)]
)
def test_dose(dose: Any, expected: int | None) -> None:
    credential = template()
    credential["evidence"][0]["dose"] = dose
    credential["evidence"][0]["totalDoses"] = 9
    assert read(credential).events[0].dose == expected


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.pop("credentialSubject"),
        lambda c: c.__setitem__("credentialSubject", "x"),
        lambda c: c.__setitem__("evidence", "x"),
        lambda c: c["evidence"][0].__setitem__("type", ["Test"]),
        lambda c: c["evidence"][0].__setitem__("facility", [1]),
        lambda c: c["credentialSubject"].__setitem__("name", ["a"]),
    ],
)
def test_odd_shapes_read_as_missing_not_as_errors(change: Any) -> None:
    credential = template()
    change(credential)
    content = read(credential)
    assert content.holder is None or not content.events or content.holder.name == "Trần Thị Bích Ngọc"


def test_evidence_as_one_object_and_many_entries_are_bounded() -> None:
    credential = template()
    credential["evidence"] = credential["evidence"][0]
    assert len(read(credential).events) == 1
    credential["evidence"] = [credential["evidence"]] * 100
    assert len(read(credential).events) == 16


def test_only_signed_values_are_shown() -> None:
    credential = template("v1")  # the v1 context leaves dob undefined: not signed
    content = read(credential, canonicalize(credential).literals)
    assert content.holder is not None and content.holder.birth_date is None
    assert content.unsigned == ("credentialSubject.dob",)
    full = read(template(), canonicalize(template()).literals)
    assert full.unsigned == () and full.holder is not None and full.holder.birth_date == "1985-07-14"


@pytest.mark.parametrize(
    ("dose", "total", "shown"), [(1, 2, 1), (2, 2, 2), (2, 1, None), ("3", "2", None), (3, None, 3)]
)
def test_a_dose_above_total_doses_is_ambiguous(dose: Any, total: Any, shown: int | None) -> None:
    """dose and totalDoses sign as one property, so "2 of 1" could be a signed "1 of 2" with the two swapped."""
    credential = template()
    credential["evidence"][0]["dose"] = dose
    credential["evidence"][0]["totalDoses"] = total
    content = read(credential)
    assert content.events[0].dose == shown
    assert content.ambiguous == (() if shown is not None else ("evidence[0].dose",))
