"""Raw DEFLATE with a cap on the inflated size."""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.shc import InflateError, inflate

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(max_size=5000))
def test_round_trip_is_raw_deflate(data: bytes) -> None:
    packed = inflate.encode(data)
    assert inflate.decode(packed, "DEF") == data
    assert zlib.decompress(packed, -15) == data  # no zlib header, no gzip header


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_inflate_or_fail_typed(data: bytes) -> None:
    try:
        assert len(inflate.decode(data, "DEF")) <= inflate.MAX_INFLATED
    except InflateError as exc:
        assert exc.code.startswith("inflate.")


@pytest.mark.parametrize(
    ("data", "zip_header", "code"),
    [
        (inflate.encode(b"{}"), None, "inflate.no_zip"),
        (inflate.encode(b"{}"), "GZIP", "inflate.unsupported_zip"),
        (inflate.encode(b"{}"), "def", "inflate.unsupported_zip"),
        (zlib.compress(b"{}"), "DEF", "inflate.corrupt"),
        (b'{"iss":"x"}', "DEF", "inflate.corrupt"),
        (inflate.encode(b"{}")[:-1], "DEF", "inflate.truncated"),
        (inflate.encode(b"{}") + b"junk", "DEF", "inflate.trailing_data"),
        (inflate.encode(b"0" * (inflate.MAX_INFLATED + 1)), "DEF", "inflate.too_large"),
    ],
)
def test_refusals(data: bytes, zip_header: object, code: str) -> None:
    with pytest.raises(InflateError) as caught:
        inflate.decode(data, zip_header)
    assert caught.value.code == code


def test_bomb_stops_at_the_cap() -> None:
    bomb = inflate.encode(b"\0" * 200_000_000)
    assert len(bomb) < 250_000
    with pytest.raises(InflateError) as caught:
        inflate.decode(bomb, "DEF")
    assert caught.value.code == "inflate.too_large"
