"""The shc:/ numeric encoding: round trips, chunk reassembly in any scan order, and every refusal."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.shc import NumericError, numeric

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
# Every character a JWS can hold (base64url and '.'), plus the rest of the encodable range.
_JWS_TEXT = st.text(alphabet=[chr(code) for code in range(45, 123)], min_size=1, max_size=2000)


def _chunks(jws: str, count: int) -> list[str]:
    size = -(-len(jws) // count)
    pieces = [jws[i : i + size] for i in range(0, len(jws), size)]
    return [f"shc:/{index}/{len(pieces)}/" + numeric.encode(piece)[5:] for index, piece in enumerate(pieces, 1)]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(_JWS_TEXT)
def test_encode_decode_round_trip(jws: str) -> None:
    text = numeric.encode(jws)
    assert text.startswith("shc:/") and text[5:].isdigit() and len(text) == 5 + 2 * len(jws)
    assert numeric.decode(text) == numeric.NumericCode(jws, 1)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(jws=_JWS_TEXT, count=st.integers(1, 20), data=st.data())
def test_chunks_reassemble_in_any_order(jws: str, count: int, data: st.DataObject) -> None:
    chunks = _chunks(jws, count)
    order = data.draw(st.permutations(chunks))
    decoded = numeric.decode(order)
    assert decoded.jws == jws and decoded.chunks == len(chunks)


def test_digit_pairs_map_to_characters() -> None:
    assert numeric.decode("shc:/00017677").jws == "-.yz"
    assert numeric.encode("-.yz") == "shc:/00017677"
    assert numeric.decode("SHC:/00").jws == "-"  # the scheme is case-insensitive


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        ("shc:/567", "numeric.odd_length"),
        ("shc:/5678", "numeric.pair_too_big"),
        ("shc:/99", "numeric.pair_too_big"),
        ("shc:/56a6", "numeric.not_digits"),
        ("shc:/56٣6", "numeric.not_digits"),  # a non-ASCII digit
        ("shc:/", "numeric.not_digits"),
        ("shc:5676", "numeric.bad_prefix"),
        ("HC1:5676", "numeric.bad_prefix"),
        ([], "numeric.empty"),
        ("shc:/1/3/5676", "numeric.chunk_missing"),
        (["shc:/1/2/56", "shc:/1/2/56"], "numeric.chunk_duplicate"),
        (["shc:/1/2/56", "shc:/2/3/56"], "numeric.chunk_inconsistent"),
        (["shc:/1/2/56", "shc:/3/2/56"], "numeric.chunk_out_of_range"),
        (["shc:/0/2/56", "shc:/1/2/56"], "numeric.chunk_out_of_range"),
        (["shc:/1/2/56", "shc:/5676"], "numeric.chunk_header_missing"),
        (["shc:/1/2/56", "shc:/2/2/5"], "numeric.odd_length"),
        (["shc:/1/2/56", "shc:/2/2/56/"], "numeric.not_digits"),
        ([f"shc:/{i}/65/56" for i in range(1, 66)], "numeric.too_many_chunks"),
        ("shc:/" + "5" * (2 * numeric.MAX_JWS_CHARS + 100), "numeric.too_long"),
    ],
)
def test_refusals(texts: str | list[str], code: str) -> None:
    with pytest.raises(NumericError) as caught:
        numeric.decode(texts)
    assert caught.value.code == code


def test_single_chunk_with_a_header_is_read() -> None:
    assert numeric.decode("shc:/1/1/5676").jws == "ey"


@pytest.mark.parametrize("jws", ["", "a b", "é", "{}"])
def test_encode_refuses_characters_outside_the_range(jws: str) -> None:
    with pytest.raises(NumericError) as caught:
        numeric.encode(jws)
    assert caught.value.code == "numeric.bad_character"


def _expected(digits: str) -> str:
    """The rules spelled out one character pair at a time: the text, or the refusal's code."""
    if not digits or any(character not in "0123456789" for character in digits):
        return "numeric.not_digits"
    if len(digits) % 2:
        return "numeric.odd_length"
    pairs = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    if any(pair > 77 for pair in pairs):
        return "numeric.pair_too_big"
    return "".join(chr(pair + 45) for pair in pairs)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(alphabet="0123456789789aF \t\n٣", max_size=14))
def test_any_digits_decode_or_are_refused_for_the_first_reason(digits: str) -> None:
    try:
        outcome = numeric.decode("shc:/" + digits).jws
    except NumericError as error:
        outcome = error.code
    assert outcome == _expected(digits)
