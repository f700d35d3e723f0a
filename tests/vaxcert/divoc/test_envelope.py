"""The ZIP envelope: round trips, and every bound holds before anything is inflated."""

from __future__ import annotations

import contextlib
import io
import os
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.divoc import EnvelopeError, decode_envelope, encode_envelope
from vaxcert.divoc.envelope import MAX_CERTIFICATE_BYTES, MAX_MEMBERS, MAX_PAYLOAD_BYTES

FUZZ = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@given(certificate=st.binary(max_size=2048).filter(lambda b: not b.startswith(b"PK\x03\x04")), compress=st.booleans())
@settings(max_examples=FUZZ, deadline=None)
def test_encode_decode_round_trip(certificate: bytes, compress: bool) -> None:
    assert decode_envelope(encode_envelope(certificate, compress=compress)) == certificate


def test_encode_is_deterministic() -> None:
    assert encode_envelope(b'{"a": 1}') == encode_envelope(b'{"a": 1}')


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "envelope.empty"),
        (b"{}", "envelope.not_zip"),
        (b"PK\x03\x04" + b"\0" * 40, "envelope.corrupt"),
        (b"PK\x03\x04" + b"x" * MAX_PAYLOAD_BYTES, "envelope.too_large"),
    ],
)
def test_unreadable_payloads(payload: bytes, code: str) -> None:
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(payload)
    assert raised.value.code == code


def test_member_count_is_checked_before_inflating() -> None:
    members = [(f"m{i}", b"") for i in range(MAX_MEMBERS)] + [("certificate.json", b"{}")]
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(_zip(members))
    assert raised.value.code == "envelope.too_many_members"


def test_declared_size_over_the_cap_is_refused_without_inflating() -> None:
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(_zip([("certificate.json", b"\0" * (4 << 20))]))
    assert raised.value.code == "envelope.too_large"


def test_a_bomb_that_lies_about_its_size_stops_at_the_declared_size() -> None:
    packed = bytearray(_zip([("certificate.json", b"\0" * (4 << 20))]))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = packed.index(signature) + offset
        packed[at : at + 4] = (1000).to_bytes(4, "little")
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(bytes(packed))
    assert raised.value.code == "envelope.corrupt"  # the CRC of the first 1000 bytes does not match


def test_exactly_the_cap_is_accepted() -> None:
    assert len(decode_envelope(_zip([("certificate.json", b" " * MAX_CERTIFICATE_BYTES)]))) == MAX_CERTIFICATE_BYTES


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ([("cert.json", b"{}")], "envelope.no_certificate"),
        ([("dir/certificate.json", b"{}")], "envelope.no_certificate"),
        ([("CERTIFICATE.JSON", b"{}")], "envelope.no_certificate"),
        ([("certificate.json", b"{}"), ("certificate.json", b"{}")], "envelope.duplicate_member"),
        ([("certificate.json", _zip([("certificate.json", b"{}")]))], "envelope.nested_zip"),
    ],
)
def test_member_names_and_nesting(members: list[tuple[str, bytes]], code: str) -> None:
    with pytest.warns(UserWarning) if len(members) == 2 else contextlib.nullcontext():
        payload = _zip(members)
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(payload)
    assert raised.value.code == code


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_only_stored_and_deflate_are_inflated(method: int) -> None:
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(_zip([("certificate.json", b"{}")], method))
    assert raised.value.code == "envelope.unsupported_method"


def test_encrypted_member_is_refused() -> None:
    packed = bytearray(_zip([("certificate.json", b"{}")]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        packed[packed.index(signature) + offset] |= 0x1
    with pytest.raises(EnvelopeError) as raised:
        decode_envelope(bytes(packed))
    assert raised.value.code == "envelope.encrypted"


@given(data=st.binary(max_size=4096))
@settings(max_examples=FUZZ, deadline=None)
def test_fuzz_random_bytes_after_the_zip_magic_give_typed_errors(data: bytes) -> None:
    try:
        decode_envelope(b"PK\x03\x04" + data)
    except EnvelopeError as exc:
        assert exc.code.startswith("envelope.")


@given(data=st.data())
@settings(max_examples=FUZZ, deadline=None)
def test_fuzz_mutated_zip_gives_bytes_or_a_typed_error(data: st.DataObject) -> None:
    packed = bytearray(encode_envelope(b'{"credentialSubject": {"name": "X"}}' * 20))
    for _ in range(data.draw(st.integers(1, 8))):
        packed[data.draw(st.integers(0, len(packed) - 1))] = data.draw(st.integers(0, 255))
    try:
        result = decode_envelope(bytes(packed))
    except EnvelopeError as exc:
        assert exc.code.startswith("envelope.")
    else:
        assert len(result) <= MAX_CERTIFICATE_BYTES
