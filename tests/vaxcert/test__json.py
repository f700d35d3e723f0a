"""Bounded JSON: the depth and digit-run checks agree with the document's real shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import QUIET_HEALTH_CHECKS
from vaxcert._json import JsonFormatError, JsonLimits, loads_bounded

LIMITS = JsonLimits(max_bytes=1 << 20, max_depth=6, max_items=1000, max_total_items=10_000)
# Strings full of what the scanner must not take for structure: brackets, quotes, backslashes, digits.
_TEXT = st.text(alphabet='[]{}"\\:,0123456789aé\n', max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | _TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(value=_VALUES, indent=st.sampled_from([None, 0, 2]))
@settings(max_examples=300, suppress_health_check=QUIET_HEALTH_CHECKS)
def test_depth_is_that_of_the_value_whatever_its_strings_hold(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=indent is None)
    if _depth(value) > LIMITS.max_depth:
        with pytest.raises(JsonFormatError) as info:
            loads_bounded(text, LIMITS)
        assert info.value.reason == "too_deep"
    else:
        assert loads_bounded(text, LIMITS) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" + "1" * 399 + "]", None),
        ("[" + "1" * 400 + "]", "too_large"),
        ('["' + "7" * 400 + '"]', "too_large"),  # digit runs are refused wherever they are, as before
        ('{"a": -' + "9" * 500 + "}", "too_large"),
        ("[" + "1" * 200 + "." + "1" * 200 + "]", None),
        ("[" * 7 + "]" * 7, "too_deep"),
        ('["' + "[" * 50 + '"]', None),
        ('["\\"' + "{" * 50 + '"]', None),  # an escaped quote does not end the string
        ('"' + "[" * 50, "too_deep"),  # brackets after an unterminated quote count: it fails safe
    ],
)
def test_edges(text: str, reason: str | None) -> None:
    if reason is None:
        assert loads_bounded(text, LIMITS) == json.loads(text)
        return
    with pytest.raises(JsonFormatError) as info:
        loads_bounded(text, LIMITS)
    assert info.value.reason == reason
