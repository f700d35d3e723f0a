"""Bounded JSON: every bound holds on both sides of its fast path."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert._json import CREDENTIAL, JsonFormatError, JsonLimits, loads_bounded

SMALL = JsonLimits(max_bytes=10_000, max_depth=4, max_items=5, max_total_items=8)


def _reason(text: str, limits: JsonLimits = CREDENTIAL) -> str | None:
    try:
        loads_bounded(text, limits)
    except JsonFormatError as error:
        return error.reason
    return None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[[[[1]]]]", None),
        ("[[[[[1]]]]]", "too_deep"),
        ('["[[[[[[", {"a": "{{{{{{"}]', None),  # brackets inside strings do not nest
        ('[[[[["\\"]]]]]"]]]]]', "too_deep"),  # an escaped quote does not end the string
        ("[1,2,3,4,5]", None),
        ("[1,2,3,4,5,6]", "too_large"),
        ('{"a":[1,2,3],"b":[1,2,3]}', None),  # 8 items in all: the object's 2 and 6
        ('{"a":[1,2,3],"b":[1,2,3,4]}', "too_large"),  # 9
        ('["a,b,c,d,e,f,g,h,i"]', None),  # commas in strings only loosen the fast bound
    ],
)
def test_small_limits(text: str, reason: str | None) -> None:
    assert _reason(text, SMALL) == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" + "9" * 399 + "]", None),
        ("[" + "9" * 400 + "]", "too_large"),
        ("[" + ",".join(["9" * 50] * 20) + "]", None),  # 1,000 digits, no run of 400
        ("[1, " * 33 + "1" + "]" * 33, "too_deep"),
        ("[NaN]", "not_json"),
        ("", "not_json"),
    ],
)
def test_credential_limits(text: str, reason: str | None) -> None:
    assert _reason(text) == reason


@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.integers(), st.text(alphabet='[]{},"\\ab', max_size=6)),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=3), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_the_bounds_match_the_parsed_value(value: object) -> None:
    text = json.dumps(value)
    depth, largest, total = _shape(value)
    expected = "too_deep" if depth > SMALL.max_depth else "too_large" if largest > 5 or total > 8 else None
    assert _reason(text, SMALL) == expected


def _shape(value: object, level: int = 0) -> tuple[int, int, int]:
    if isinstance(value, dict | list):
        items = list(value.values()) if isinstance(value, dict) else value
        shapes = [_shape(item, level + 1) for item in items]
        return (
            max([level + 1, *(s[0] for s in shapes)]),
            max([len(items), *(s[1] for s in shapes)]),
            len(items) + sum(s[2] for s in shapes),
        )
    return level, 0, 0
