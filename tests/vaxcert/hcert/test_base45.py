from __future__ import annotations

import base45 as reference
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import Base45Error
from vaxcert.hcert import base45 as b45

STAGE_ERRORS = load_vector_file("stage-errors.json")


@given(st.binary(max_size=2048))
def test_round_trip(data: bytes) -> None:
    assert b45.decode(b45.encode(data)) == data


@given(st.binary(max_size=2048))
def test_encode_matches_reference_package(data: bytes) -> None:
    assert b45.encode(data) == reference.b45encode(data).decode("ascii")


@given(st.text(alphabet=b45.ALPHABET, max_size=600))
def test_decode_agrees_with_reference_package(text: str) -> None:
    try:
        expected: bytes | None = reference.b45decode(text)
    except ValueError:
        expected = None
    try:
        actual: bytes | None = b45.decode(text)
    except Base45Error:
        actual = None
    assert actual == expected


@pytest.mark.parametrize("case", STAGE_ERRORS["base45_examples"], ids=lambda case: case["text"] or "empty")
def test_rfc9285_examples(case: dict[str, str]) -> None:
    data = bytes.fromhex(case["data_hex"])
    assert b45.decode(case["text"]) == data
    assert b45.encode(data) == case["text"]


@pytest.mark.parametrize("case", STAGE_ERRORS["base45"], ids=lambda case: case["why"])
def test_invalid_input_is_a_typed_error(case: dict[str, str]) -> None:
    with pytest.raises(Base45Error) as info:
        b45.decode(case["text"])
    assert info.value.code == case["code"]
    assert isinstance(info.value, ValueError)


def test_division_constants_are_exact_for_every_word() -> None:
    multiplier, shift = b45._DIV2025
    assert all((w * multiplier) >> shift == w // 2025 for w in range(65536))
    multiplier, shift = b45._DIV45
    assert all((r * multiplier) >> shift == r // 45 for r in range(2025))


def test_every_word_encodes_like_the_reference() -> None:
    data = b"".join(w.to_bytes(2, "big") for w in range(65536))
    assert b45.encode(data) == reference.b45encode(data).decode("ascii")
    assert b45.decode(b45.encode(data)) == data
