from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxcert import CompressionError, compression


@given(st.binary(max_size=4096))
def test_round_trip(data: bytes) -> None:
    assert compression.decode(compression.encode(data)) == data


def test_uncompressed_cose_is_recognised_but_rejected() -> None:
    cose = b"\xd2\x84" + b"\x00" * 20
    assert compression.inflate(cose) == compression.Inflated(cose, was_compressed=False)
    with pytest.raises(CompressionError) as info:
        compression.decode(cose)
    assert info.value.code == "zlib.not_compressed"


def test_zip_bomb_is_capped() -> None:
    bomb = zlib.compress(b"\x00" * (compression.MAX_INFLATED_SIZE * 4))
    with pytest.raises(CompressionError) as info:
        compression.decode(bomb)
    assert info.value.code == "zlib.too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "zlib.empty"),
        (b"\x78\xda\x07\x00", "zlib.corrupt"),
        (zlib.compress(b"hello")[:-3], "zlib.truncated"),
        (zlib.compress(b"hello") + b"junk", "zlib.trailing_data"),
        (b"not zlib at all", "zlib.corrupt"),
    ],
)
def test_broken_streams(data: bytes, code: str) -> None:
    with pytest.raises(CompressionError) as info:
        compression.decode(data)
    assert info.value.code == code
