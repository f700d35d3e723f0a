from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import PrefixError
from vaxcert.hcert import prefix

STAGE_ERRORS = load_vector_file("stage-errors.json")


@given(st.text())
def test_round_trip(body: str) -> None:
    assert prefix.decode(prefix.encode(body)) == body


@pytest.mark.parametrize("case", STAGE_ERRORS["prefix"], ids=lambda case: case["text"] or "empty")
def test_rejects_other_prefixes(case: dict[str, str]) -> None:
    with pytest.raises(PrefixError) as info:
        prefix.decode(case["text"])
    assert info.value.code == case["code"]
