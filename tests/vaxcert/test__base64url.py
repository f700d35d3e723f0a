"""Strict base64url: a text decodes exactly when it is the one unpadded base64url spelling of its bytes."""

from __future__ import annotations

import base64
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert._base64url import decode_canonical

EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


def _reference(raw: bytes) -> bytes | None:
    """The lenient standard decoder, then: do the bytes write back to this very text?"""
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except ValueError:
        return None
    return data if base64.urlsafe_b64encode(data).rstrip(b"=") == raw else None


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=80))
def test_every_byte_string_round_trips(data: bytes) -> None:
    assert decode_canonical(base64.urlsafe_b64encode(data).rstrip(b"=")) == data


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.sampled_from(list(b"AQgwBCz09-_+/= \n\x00\xff.")), max_size=12).map(bytes))
def test_any_text_decodes_exactly_as_the_reference_decides(raw: bytes) -> None:
    assert decode_canonical(raw) == _reference(raw)
