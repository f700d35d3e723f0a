"""The seal envelope: decode and encode, and what is not a seal."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.vds import Seal, SealError, decode, encode, looks_like_seal
from vaxcert.vds.seal import MAX_SEAL_BYTES

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=15,
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=5), VALUES, max_size=4),
    sig=st.dictionaries(st.text(max_size=5), VALUES, max_size=4),
    indent=st.sampled_from([None, 2]),
)
def test_encode_decode_round_trip(data: dict[str, Any], sig: dict[str, Any], indent: int | None) -> None:
    seal = Seal(data=data, sig=sig)
    text = encode(seal, indent=indent)
    assert decode(text) == seal
    assert decode(text.encode("utf-8")) == seal
    assert looks_like_seal(text)


def test_header_fields() -> None:
    seal = decode('{"data":{"hdr":{"t":"icao.vacc","v":1,"is":"JPN"},"msg":{}},"sig":{}}')
    assert (seal.seal_type, seal.issuing_country) == ("icao.vacc", "JPN")
    odd = decode('{"data":{"hdr":{"t":5,"is":["JPN"]}},"sig":{}}')
    assert (odd.seal_type, odd.issuing_country, odd.header) == (None, None, {"t": 5, "is": ["JPN"]})
    assert decode('{"data":{"hdr":1},"sig":{}}').header == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "seal.not_json"),
        ("shc:/56", "seal.not_json"),
        ('{"data":{},"sig":{}', "seal.not_json"),
        ("[]", "seal.not_vds"),
        ('{"data":{}}', "seal.not_vds"),
        ('{"sig":{}}', "seal.not_vds"),
        ('{"data":[],"sig":{}}', "seal.bad_data"),
        ('{"data":{},"sig":"x"}', "seal.bad_sig"),
        ('{"data":' + "[" * 40 + "]" * 40 + ',"sig":{}}', "seal.too_deep"),
        ("{" + " " * MAX_SEAL_BYTES + "}", "seal.too_large"),
    ],
)
def test_what_is_not_a_seal(text: str, code: str) -> None:
    with pytest.raises(SealError) as raised:
        decode(text)
    assert raised.value.code == code
    assert not looks_like_seal(text)


def test_invalid_utf8_is_not_a_seal() -> None:
    with pytest.raises(SealError) as raised:
        decode(b'{"data":{"x":"\xff"},"sig":{}}')
    assert raised.value.code == "seal.not_json"


def test_encode_keeps_non_ascii() -> None:
    text = encode(Seal(data={"n": "ĐẶNG"}, sig={}))
    assert "ĐẶNG" in text and json.loads(text) == {"data": {"n": "ĐẶNG"}, "sig": {}}
