"""RFC 8785 canonical form: hand-worked vectors, the fast path against the reference, re-serialisation."""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vaxcert.vds.pki import vector
from vaxcert._json import CREDENTIAL, loads_bounded
from vaxcert.vds.jcs import CanonicalizationError, canonicalize, canonicalize_reference

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
CASES = vector("jcs.json")["cases"]

# Keys and text that exercise every difference between JSON writers: escapes, non-ASCII,
# astral characters (UTF-16 surrogate pairs) against U+E000..U+FFFF in key order.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1f", "\x7f", '"', "\\", "/", "\u2028", "\ufb01", "\uffff", "😀", "\U0010ffff"]),
    ),
    max_size=8,
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 0.1, 100.0]),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=20,
)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vectors(case: dict[str, str]) -> None:
    value = json.loads(case["input"])
    assert canonicalize(value) == case["canonical"].encode("utf-8")
    assert canonicalize_reference(value) == case["canonical"].encode("utf-8")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(JSON)
def test_the_fast_path_writes_what_the_reference_writes(value: Any) -> None:
    assert canonicalize(value) == canonicalize_reference(value)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(JSON, st.randoms(use_true_random=False), st.booleans(), st.sampled_from([None, 0, 2, "\t", " \n "]))
def test_stable_under_reserialisation(value: Any, rng: random.Random, ascii_only: bool, indent: Any) -> None:
    once = canonicalize(value)
    shuffled = _shuffled(value, rng)
    if rng.random() < 0.5:
        text = json.dumps(shuffled, ensure_ascii=ascii_only, indent=indent)
    else:
        text = _spaced(shuffled, rng, ascii_only)  # spacing json.dumps never writes
    again = canonicalize(loads_bounded(text, CREDENTIAL))
    assert again == once
    assert canonicalize(json.loads(once)) == once  # the canonical form is its own canonical form


def _spaced(value: Any, rng: random.Random, ascii_only: bool) -> str:
    """JSON text with random insignificant whitespace around every token."""

    def space() -> str:
        return "".join(rng.choice(" \t\n\r") for _ in range(rng.randint(0, 2)))

    if isinstance(value, dict):
        members = [
            f"{space()}{json.dumps(key, ensure_ascii=ascii_only)}{space()}:{_spaced(item, rng, ascii_only)}"
            for key, item in value.items()
        ]
        return space() + "{" + ",".join(members) + space() + "}" + space()
    if isinstance(value, list):
        return space() + "[" + ",".join(_spaced(item, rng, ascii_only) for item in value) + space() + "]" + space()
    return space() + json.dumps(value, ensure_ascii=ascii_only) + space()


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.dictionaries(TEXT, TEXT, min_size=1, max_size=5), st.data())
def test_a_changed_character_changes_the_form(value: dict[str, str], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    changed = {**value, key: value[key] + data.draw(st.characters(codec="utf-8"))}
    assert canonicalize(changed) != canonicalize(value)


@pytest.mark.parametrize("value", [{"a": "\ud800"}, ["\udfff"], {"\ud83d": 1}, [float("inf")], [float("nan")]])
def test_values_without_a_canonical_form_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(value)


def test_nesting_deeper_than_the_fast_writer_goes_still_has_its_canonical_form() -> None:
    value: Any = {"b": 1, "a": "x"}
    for _ in range(300):  # orjson writes at most 254 levels; the standard library's writer takes over
        value = [value]
    assert canonicalize(value) == canonicalize_reference(value)
