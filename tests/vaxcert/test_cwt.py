from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import CwtError, cwt

STAGE_ERRORS = load_vector_file("stage-errors.json")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(
    issuer=st.none() | st.text(max_size=3),
    iat=st.none() | st.integers(0, 2**40),
    exp=st.none() | st.integers(0, 2**40),
    dcc=st.dictionaries(st.text(max_size=8), json_values, max_size=6),
)
def test_round_trip(issuer: str | None, iat: int | None, exp: int | None, dcc: dict[str, object]) -> None:
    claims = cwt.CwtClaims(issuer, iat, exp, dcc)
    assert cwt.decode(cwt.encode(claims)) == claims


def test_tagged_date_times_decode_as_text() -> None:
    body = {1: "VN", 4: 2, 6: 1, -260: {1: {"t": [{"sc": cbor2.CBORTag(0, "2021-05-01T10:00:00Z")}]}}}
    claims = cwt.decode(cbor2.dumps(body))
    assert claims.dcc["t"][0]["sc"] == "2021-05-01T10:00:00Z"


def test_frozen_maps_and_tuples_become_plain_containers() -> None:
    claims = cwt.decode(cbor2.dumps({-260: {1: {"v": [{"dn": 1}]}}}))
    assert type(claims.dcc) is dict and type(claims.dcc["v"]) is list and type(claims.dcc["v"][0]) is dict


@pytest.mark.parametrize("case", STAGE_ERRORS["cwt"], ids=lambda case: case["why"])
def test_malformed_claims(case: dict[str, str]) -> None:
    with pytest.raises(CwtError) as info:
        cwt.decode(bytes.fromhex(case["data_hex"]))
    assert info.value.code == case["code"]
