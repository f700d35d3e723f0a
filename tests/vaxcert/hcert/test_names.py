from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import IssuanceError
from vaxcert.hcert.names import transliterate

NAMES: list[dict[str, Any]] = load_vector_file("names.json")


@pytest.mark.parametrize("case", NAMES, ids=[case["icao"] for case in NAMES])
def test_icao_transliteration(case: dict[str, Any]) -> None:
    assert transliterate(case["name"]) == case["icao"], case["why"]


@given(st.text(max_size=60))
def test_output_always_fits_the_schema_or_is_refused(name: str) -> None:
    try:
        result = transliterate(name)
    except IssuanceError:
        return
    assert all(ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ<" for ch in result)
    assert not result.startswith("<") and not result.endswith("<") and "<<" not in result


def test_non_latin_name_is_refused() -> None:
    with pytest.raises(IssuanceError) as info:
        transliterate("山田")
    assert info.value.code == "name.not_transliterable"
