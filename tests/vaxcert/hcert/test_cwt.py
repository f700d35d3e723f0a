from __future__ import annotations

import json

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import CwtError
from vaxcert.hcert import cwt

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


def _claims_with(value: object) -> bytes:
    return cbor2.dumps({1: "VN", -260: {1: {"ver": "1.3.0", "v": [{"x": value}]}}})


def test_every_tag_is_refused_except_date_text() -> None:
    """Scans tag numbers as the decoder profile was built: a tag cbor2 (a new version included)
    decodes by itself and vaxcert does not override would decode here instead of being refused."""
    tags = [*range(70_000), 2**16 - 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1]
    accepted = []
    for tag in tags:
        try:
            cwt.decode(_claims_with(cbor2.CBORTag(tag, "a")))
        except CwtError as exc:
            if exc.code != "cwt.forbidden_tag":
                accepted.append((tag, exc.code))
        else:
            accepted.append((tag, "decoded"))
    assert accepted == [(0, "decoded")]


@pytest.mark.parametrize("value", [1, b"x", ["a"], {"a": 1}], ids=["int", "bytes", "array", "map"])
def test_date_tag_around_anything_but_text_is_refused(value: object) -> None:
    with pytest.raises(CwtError) as info:
        cwt.decode(_claims_with(cbor2.CBORTag(0, value)))
    assert info.value.code == "cwt.forbidden_tag"


@pytest.mark.parametrize(
    ("encode", "code"),
    [
        (lambda: cbor2.dumps([[1, 2]] * 2, value_sharing=True), "cwt.forbidden_tag"),
        (lambda: cbor2.dumps(["a long text string"] * 3, string_referencing=True), "cwt.forbidden_tag"),
    ],
    ids=["value-sharing", "string-references"],
)
def test_sharing_and_string_references_are_refused(encode: object, code: str) -> None:
    encoded = encode()  # type: ignore[operator]
    payload = b"\xa1\x39\x01\x03\xa1\x01\xa1\x61v" + encoded  # {-260: {1: {"v": <encoded>}}}
    with pytest.raises(CwtError) as info:
        cwt.decode(payload)
    assert info.value.code == code


@pytest.mark.parametrize("size", [64, 65])
def test_a_container_holds_at_most_64_items(size: int) -> None:
    payload = _claims_with(list(range(size)))
    if size <= 64:
        assert cwt.decode(payload).dcc["v"][0]["x"] == list(range(size))
    else:
        with pytest.raises(CwtError) as info:
            cwt.decode(payload)
        assert info.value.code == "cwt.too_large"


def test_items_are_bounded_in_all() -> None:
    with pytest.raises(CwtError) as info:
        cwt.decode(_claims_with([[0] * 50 for _ in range(25)]))
    assert info.value.code == "cwt.too_large"
    assert cwt.decode(_claims_with([[0] * 50 for _ in range(15)])).dcc["ver"] == "1.3.0"


def test_nesting_is_bounded() -> None:
    nested: object = 0
    for _ in range(11):
        nested = [nested]
    assert cwt.decode(_claims_with(nested)).dcc["v"][0]["x"] == nested
    with pytest.raises(CwtError) as info:
        cwt.decode(_claims_with([[nested]]))
    assert info.value.code == "cwt.too_deep"


def test_json_compatible_survives_cycles_depth_and_size() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    table: dict[str, object] = {"loop": loop}
    table["self"] = table
    assert cwt.json_compatible(table) == {"loop": [1, cwt.CYCLE], "self": cwt.CYCLE}
    deep: object = "end"
    for _ in range(100_000):
        deep = [deep]
    printed = json.dumps(cwt.json_compatible(deep))
    assert printed.count("[") == cwt.JSON_MAX_DEPTH and cwt.TOO_DEEP in printed
    wide = cwt.json_compatible({"v": [{}] * 1_000_000})
    assert len(wide["v"]) <= cwt.JSON_MAX_VALUES and wide["v"][-1] == cwt.TRUNCATED
    shared = [[0] * 10] * 10  # the same list many times is no cycle
    assert cwt.json_compatible(shared) == [[0] * 10] * 10
    assert json.dumps(cwt.json_compatible({"n": 10**5000, "t": cbor2.CBORTag(99, [b"\x01"])}))


def test_claims_to_json_is_safe_for_a_hand_built_cycle() -> None:
    dcc: dict[str, object] = {"ver": "1.3.0"}
    dcc["v"] = [dcc]
    printed = cwt.CwtClaims("VN", 1, 2, dcc).to_json()
    assert printed["hcert"] == {"ver": "1.3.0", "v": [cwt.CYCLE]}


any_decoded = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**60, max_value=2**70)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children)
        | st.dictionaries(st.text(max_size=6) | st.integers(), children, max_size=4)
        | st.builds(cbor2.CBORTag, st.integers(0, 300), children)
    ),
    max_leaves=30,
)


@given(any_decoded)
def test_claims_to_json_is_the_bounded_conversion(dcc: object) -> None:
    claims = cwt.CwtClaims("VN", 1, 2, {"v": dcc})
    printed = claims.to_json()
    assert json.dumps(printed, allow_nan=False) == json.dumps(
        cwt.json_compatible({"iss": "VN", "iat": 1, "exp": 2, "hcert": {"v": dcc}}), allow_nan=False
    )


@pytest.mark.parametrize("size", [cwt.JSON_MAX_VALUES - 6, cwt.JSON_MAX_VALUES - 5, cwt.JSON_MAX_VALUES - 4])
def test_claims_to_json_truncates_where_the_bounded_conversion_does(size: int) -> None:
    # root, iss, iat, exp, hcert and its list are 6 values: the list's items bring the total to the bound.
    claims = cwt.CwtClaims("VN", 1, 2, {"v": [0] * size})
    assert claims.to_json() == cwt.json_compatible({"iss": "VN", "iat": 1, "exp": 2, "hcert": {"v": [0] * size}})


def test_claims_to_json_is_a_copy() -> None:
    dcc = {"v": [{"ci": "URN:UVCI:01:VN:X#1"}]}
    printed = cwt.CwtClaims("VN", 1, 2, dcc).to_json()
    printed["hcert"]["v"][0]["ci"] = "edited"
    assert dcc == {"v": [{"ci": "URN:UVCI:01:VN:X#1"}]}
