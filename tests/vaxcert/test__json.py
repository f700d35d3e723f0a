"""Bounded JSON: the depth and digit-run checks agree with the document's real shape."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import QUIET_HEALTH_CHECKS
from vaxcert._json import CREDENTIAL, JsonFormatError, JsonLimits, loads_bounded

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


EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "200"))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=EXAMPLES)
@given(json_values)
def test_ordinary_json_decodes_as_the_standard_library_does(value: object) -> None:
    text = json.dumps(value)
    assert loads_bounded(text, CREDENTIAL) == json.loads(text)


@settings(max_examples=EXAMPLES)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_input_decodes_or_fails_with_a_reason(data: bytes | str) -> None:
    try:
        loads_bounded(data, CREDENTIAL)
    except JsonFormatError as exc:
        assert exc.reason in {"not_json", "too_deep", "too_large"}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "too_deep"),
        ("[" + ",".join(["0"] * 5000) + "]", "too_large"),
        ("1" * 5000, "too_large"),
        ("x" * (2 << 20), "too_large"),
        ("NaN", "not_json"),
        ('{"a": 1} {"b": 2}', "not_json"),
        (b"\xff\xfe", "not_json"),
    ],
    ids=["deep-arrays", "deep-objects", "wide-array", "huge-number", "oversized", "nan", "two-documents", "not-utf8"],
)
def test_hostile_shapes_fail_fast_and_small(document: str | bytes, reason: str) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(JsonFormatError) as caught:
        loads_bounded(document, CREDENTIAL)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.reason == reason
    assert elapsed < 1.0 and peak < 32 << 20, (elapsed, peak)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    limits = JsonLimits(max_bytes=1 << 16, max_depth=2, max_items=10, max_total_items=10)
    assert loads_bounded('{"a": "[[[[{{{{\\"[["}', limits) == {"a": '[[[[{{{{"[['}
    with pytest.raises(JsonFormatError):
        loads_bounded('{"a": [[["x"]]]}', limits)


def test_total_item_count_is_bounded_across_containers() -> None:
    limits = JsonLimits(max_bytes=1 << 16, max_depth=4, max_items=10, max_total_items=20)
    with pytest.raises(JsonFormatError) as caught:
        loads_bounded(json.dumps([[0] * 9] * 3), limits)
    assert caught.value.reason == "too_large"


# -- each bound on both sides of its fast path (counts of brackets, commas and digits) --
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


@settings(max_examples=EXAMPLES, deadline=None)
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


# -- the fast parser gives exactly the standard library's value, or the standard library decides --
def _exact(value: object) -> object:
    """``value`` with every type, float spelling and key order made visible to ``==``."""
    if isinstance(value, dict):
        return ("dict", [(key, _exact(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_exact(item) for item in value])
    return (type(value).__name__, repr(value))


def _standard(text: str | bytes) -> object:
    def refuse(name: str) -> object:
        raise ValueError(name)

    try:
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        return _exact(json.loads(raw.decode("utf-8"), parse_constant=refuse))
    except ValueError:
        return "refused"


def _bounded(text: str | bytes) -> object:
    try:
        return _exact(loads_bounded(text, CREDENTIAL))
    except JsonFormatError:
        return "refused"


_NUMBER_TOKENS = st.builds(
    lambda sign, whole, fraction, exponent: sign + whole + fraction + exponent,
    st.sampled_from(["", "-"]),
    st.from_regex(r"\A(0|[1-9][0-9]{0,24})\Z"),
    st.sampled_from(["", ".0", ".5"]) | st.from_regex(r"\A\.[0-9]{1,20}\Z"),
    st.sampled_from(["", "e5", "E-7", "e+308", "e309", "e-330", "e400"]) | st.from_regex(r"\A[eE][+-]?[0-9]{1,3}\Z"),
)
_STRING_TOKENS = st.sampled_from(['"\\ud800"', '"\\udfff\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"\x7f"', '"é"'])


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.recursive(
        _NUMBER_TOKENS | _STRING_TOKENS | st.sampled_from(["true", "null", "NaN", "-Infinity", "1e400"]),
        lambda children: (
            st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
            | st.lists(st.tuples(_STRING_TOKENS | st.sampled_from(['"a"', '"b"']), children), max_size=4).map(
                lambda members: "{" + ",".join(f"{key}:{item}" for key, item in members) + "}"
            )
        ),
        max_leaves=12,
    )
)
def test_numbers_strings_and_duplicate_keys_decode_exactly_as_the_standard_library_does(text: str) -> None:
    assert _bounded(text) == _standard(text)
    assert _bounded(text.encode("utf-8", "surrogatepass")) == _standard(text)


@settings(max_examples=EXAMPLES, deadline=None)
@given(json_values, st.booleans())
def test_values_decode_exactly_as_the_standard_library_does(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _bounded(text) == _standard(text)
