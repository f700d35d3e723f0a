from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import IssuanceError
from vaxcert.hcert import names
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


_NAME_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F),
    st.characters(min_codepoint=0x1E00, max_codepoint=0x1EFF),
    st.sampled_from(" \t-\u2010\u2011\u2013\u2014\u00a0\u3000'.\u02bc\u0301\u0303"),
    st.characters(),  # anything else sends the name down the per-character path
)


@given(st.text(alphabet=_NAME_ALPHABET, max_size=40))
def test_the_table_path_transliterates_as_the_per_character_path(name: str) -> None:
    def outcome(function: Callable[[str], str]) -> str:
        try:
            return function(name)
        except IssuanceError as error:
            return error.code

    assert outcome(names.transliterate) == outcome(names.transliterate_each)
