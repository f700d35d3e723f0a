from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import CompressionError
from vaxcert.hcert import compression

STAGE_ERRORS = load_vector_file("stage-errors.json")


@given(st.binary(max_size=4096))
def test_round_trip(data: bytes) -> None:
    assert compression.decode(compression.encode(data)) == data


def test_uncompressed_cose_is_recognised_but_rejected() -> None:
    cose = b"\xd2\x84" + b"\x00" * 20
    assert compression.inflate(cose) == compression.Inflated(cose, was_compressed=False)
    with pytest.raises(CompressionError) as info:
        compression.decode(cose)
    assert info.value.code == "decompress.not_compressed"


def test_zip_bomb_is_capped() -> None:
    bomb = zlib.compress(b"\x00" * (compression.MAX_INFLATED_SIZE * 4))
    with pytest.raises(CompressionError) as info:
        compression.decode(bomb)
    assert info.value.code == "decompress.too_large"


@pytest.mark.parametrize("case", STAGE_ERRORS["zlib"], ids=lambda case: case["why"])
def test_broken_streams(case: dict[str, str]) -> None:
    with pytest.raises(CompressionError) as info:
        compression.decode(bytes.fromhex(case["data_hex"]))
    assert info.value.code == case["code"]
