from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import uvci

VECTORS = load_vector_file("uvci.json")


@pytest.mark.parametrize("value", VECTORS["valid"])
def test_valid_checksums(value: str) -> None:
    assert uvci.has_valid_checksum(value)


@pytest.mark.parametrize("value", VECTORS["invalid"])
def test_invalid_checksums(value: str) -> None:
    assert not uvci.has_valid_checksum(value)


def test_generated_layout() -> None:
    value = uvci.generate("VN")
    assert re.fullmatch(r"URN:UVCI:01:VN:[A-Z0-9]{13}#[A-Z0-9/:]", value)
    assert uvci.has_valid_checksum(value)
    assert len(value) == 30


@given(st.text(alphabet=uvci.CHARSET, min_size=1, max_size=60), st.sampled_from(uvci.CHARSET))
def test_single_substitution_is_detected(body: str, replacement: str) -> None:
    full = f"{body}#{uvci.check_character(body)}"
    assert uvci.has_valid_checksum(full)
    changed = replacement + body[1:]
    if changed != body:
        assert not uvci.has_valid_checksum(f"{changed}#{uvci.check_character(body)}")
