"""Compact JWS: three parts of strict unpadded base64url."""

from __future__ import annotations

import base64
import contextlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.shc import JwsError, jws

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(min_size=1, max_size=300), st.binary(min_size=1, max_size=300), st.binary(max_size=80))
def test_round_trip(header: bytes, payload: bytes, signature: bytes) -> None:
    text = jws.encode(header, payload, signature)
    assert "=" not in text and "+" not in text and "/" not in text
    parsed = jws.decode(text)
    assert (parsed.header, parsed.payload, parsed.signature) == (header, payload, signature)
    assert parsed.signing_input == text.rsplit(".", 1)[0].encode()


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(min_size=1, max_size=60))
def test_only_the_canonical_text_decodes(data: bytes) -> None:
    text = jws.b64url_encode(data)
    assert jws.b64url_decode(text) == data
    # Changing the last character's unused low bits gives other text for the same bytes: refused.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for other in alphabet:
        candidate = text[:-1] + other
        if candidate == text:
            continue
        with contextlib.suppress(JwsError):
            assert jws.b64url_decode(candidate) != data


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a.b", "jws.parts"),
        ("a.b.c.d", "jws.parts"),
        ("", "jws.parts"),
        (".e30.", "jws.empty_part"),
        ("e30..", "jws.empty_part"),
        ("e30=.e30.", "jws.bad_base64url"),
        ("e3+.e30.", "jws.bad_base64url"),
        ("e3/.e30.", "jws.bad_base64url"),
        ("e30.e30.A", "jws.bad_base64url"),
        ("e30.e 30.", "jws.bad_base64url"),
        ("e30.e3é.", "jws.bad_base64url"),
        ("e31.e30.", "jws.bad_base64url"),  # '1' leaves stray bits: 'e30' is the only spelling
    ],
)
def test_refusals(text: str, code: str) -> None:
    with pytest.raises(JwsError) as caught:
        jws.decode(text)
    assert caught.value.code == code


def test_standard_base64_of_the_same_bytes_is_refused() -> None:
    data = bytes([0xFB, 0xFF, 0xBF])
    standard = base64.b64encode(data).decode()
    assert "+" in standard or "/" in standard
    with pytest.raises(JwsError):
        jws.b64url_decode(standard)
    assert jws.b64url_decode(jws.b64url_encode(data)) == data


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(alphabet="AQgw_-+/=9zé.", max_size=12))
def test_a_part_decodes_exactly_when_it_is_the_canonical_spelling_of_its_bytes(text: str) -> None:
    # The reference: the lenient standard decoder, then "the bytes write back to this very text".
    try:
        expected: bytes | None = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        expected = None
    if expected is not None and jws.b64url_encode(expected) != text:
        expected = None
    try:
        decoded: bytes | None = jws.b64url_decode(text)
    except JwsError as error:
        assert error.code == "jws.bad_base64url"
        decoded = None
    assert decoded == expected
