"""What a seal says: holder and events from icao.vacc and icao.test data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.vaxcert.vds.pki import vector
from vaxcert.vds import ContentError, Seal
from vaxcert.vds.content import read


def _read(data: dict[str, Any]) -> Any:
    return read(Seal(data=data, sig={}))


def test_a_vaccination_seal(vaccination: dict[str, Any]) -> None:
    content = _read(vaccination)
    expected = vector("expected.json")["vaccination"]
    assert (content.seal_type, content.version, content.issuing_country) == ("icao.vacc", 1, "UTO")
    assert content.identifier == "U-TEST-VDS-0001"
    assert content.holder.to_json() == expected["holder"]
    assert [event.to_json() for event in content.events] == expected["events"]


def test_a_test_seal(test_result: dict[str, Any]) -> None:
    content = _read(test_result)
    expected = vector("expected.json")["test"]
    assert (content.seal_type, content.identifier) == ("icao.test", "U-TEST-VDS-T001")
    assert content.holder.to_json() == expected["holder"]
    assert [event.to_json() for event in content.events] == expected["events"]


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("2030-01-05", "2030-01-05"),
        ("2030-01", "2030-01"),
        ("2030", "2030"),
        ("2030-01-05T10:00:00Z", "2030-01-05"),
        ("05/01/2030", None),
        (20300105, None),
        (None, None),
        ("", None),
    ],
)
def test_dates_as_written(vaccination: dict[str, Any], written: Any, read_as: str | None) -> None:
    data = copy.deepcopy(vaccination)
    data["msg"]["ve"][0]["vd"][0]["dvc"] = written
    data["msg"]["pid"]["dob"] = written
    content = _read(data)
    assert content.events[0].date == read_as
    assert content.holder.birth_date == read_as


@pytest.mark.parametrize(("written", "dose"), [(2, 2), ("3", 3), ("٣", None), (-1, None), (True, None), (1.5, None)])
def test_dose_numbers(vaccination: dict[str, Any], written: Any, dose: int | None) -> None:
    data = copy.deepcopy(vaccination)
    data["msg"]["ve"][0]["vd"][0]["seq"] = written
    assert _read(data).events[0].dose == dose


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d.pop("hdr"), "content.not_health_proof"),
        (lambda d: d.update(msg=[]), "content.not_health_proof"),
        (lambda d: d["hdr"].update(t="icao.visa"), "content.unsupported_type"),
        (lambda d: d["hdr"].pop("t"), "content.unsupported_type"),
        (lambda d: d["msg"].pop("pid"), "content.no_holder"),
        (lambda d: d["msg"]["pid"].update(n="  "), "content.no_holder"),
        (lambda d: d["msg"]["pid"].update(n=["A", "B"]), "content.no_holder"),
        (lambda d: d["msg"].update(ve={}), "content.bad_events"),
        (lambda d: d["msg"].update(ve=["x"]), "content.bad_events"),
        (lambda d: d["msg"]["ve"][0].update(vd=None), "content.bad_events"),
        (lambda d: d["msg"]["ve"][0].update(vd=[1]), "content.bad_events"),
    ],
)
def test_data_that_is_no_health_proof(vaccination: dict[str, Any], change: Any, code: str) -> None:
    data = copy.deepcopy(vaccination)
    change(data)
    with pytest.raises(ContentError) as raised:
        _read(data)
    assert raised.value.code == code


def test_a_test_seal_needs_dates_and_result(test_result: dict[str, Any]) -> None:
    data = copy.deepcopy(test_result)
    del data["msg"]["tr"]
    with pytest.raises(ContentError) as raised:
        _read(data)
    assert raised.value.code == "content.bad_events"


def test_long_text_is_cut(vaccination: dict[str, Any]) -> None:
    data = copy.deepcopy(vaccination)
    data["msg"]["pid"]["n"] = "A" * 10_000
    assert len(_read(data).holder.name) == 256
