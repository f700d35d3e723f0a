from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxcert import PrefixError, prefix


@given(st.text())
def test_round_trip(body: str) -> None:
    assert prefix.decode(prefix.encode(body)) == body


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HC2:ABC", "prefix.unsupported_version"),
        ("HCZ:ABC", "prefix.unsupported_version"),
        ("HL0:ABC", "prefix.missing"),
        ("NCFOXN", "prefix.missing"),
        ("hc1:ABC", "prefix.missing"),
        ("", "prefix.empty"),
    ],
)
def test_rejects_other_prefixes(text: str, code: str) -> None:
    with pytest.raises(PrefixError) as info:
        prefix.decode(text)
    assert info.value.code == code
