from __future__ import annotations

import base45 as reference
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxcert import Base45Error
from vaxcert import base45 as b45


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


@pytest.mark.parametrize(
    ("text", "data"),
    [("BB8", b"AB"), ("%69 VD92EX0", b"Hello!!"), ("UJCLQE7W581", b"base-45"), ("", b"")],
)
def test_rfc9285_examples(text: str, data: bytes) -> None:
    assert b45.decode(text) == data
    assert b45.encode(data) == text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GGW", "base45.overflow"),  # RFC 9285 §4.4: decodes above 65535
        ("ZZ", "base45.overflow"),
        ("A", "base45.bad_length"),
        ("ABCD", "base45.bad_length"),
        ("ab", "base45.bad_character"),
        ("AB#", "base45.bad_character"),
        ("ÄBC", "base45.bad_character"),
    ],
)
def test_invalid_input_is_a_typed_error(text: str, code: str) -> None:
    with pytest.raises(Base45Error) as info:
        b45.decode(text)
    assert info.value.code == code
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
