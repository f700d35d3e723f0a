from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from vaxcert import PictureError, qr
from vaxcert.hcert import base45 as b45


@given(st.text(alphabet=b45.ALPHABET, min_size=1, max_size=900))
@settings(max_examples=25)
def test_png_round_trip(body: str) -> None:
    text = "HC1:" + body
    assert qr.decode(qr.encode_png(text)) == text


def test_error_correction_level_and_alphanumeric_mode() -> None:
    text = "HC1:" + "NCFOXN%TS3DHWM8YJSX4UGXU" * 23  # 556 characters, like a typical VN certificate
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.encode_png(text))))
    assert found[0].ec_level == "Q"
    # Version 18 at level Q holds at most 574 alphanumeric characters (only 382 in byte mode).
    assert found[0].extra["Version"] == "18"


def test_svg_is_an_svg() -> None:
    svg = qr.encode_svg("HC1:ABC")
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "</svg>" in svg


def test_decode_from_path(tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_bytes(qr.encode_png("HC1:PATH"))
    assert qr.decode(path) == "HC1:PATH"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "picture.empty_image"),
        (b"\x89PNG\r\n\x1a\n garbage", "picture.not_an_image"),
        (b"plain text", "picture.not_an_image"),
        (_png(Image.new("L", (200, 200), 255)), "picture.not_found"),
    ],
)
def test_unreadable_images(data: bytes, code: str) -> None:
    with pytest.raises(PictureError) as info:
        qr.decode(data)
    assert info.value.code == code


def test_oversized_image_is_refused_before_decoding() -> None:
    # A 1-bit PNG of 10000 x 10000 pixels compresses to a few kilobytes.
    with pytest.raises(PictureError) as info:
        qr.decode(_png(Image.new("1", (10_000, 10_000), 1)))
    assert info.value.code == "picture.image_too_large"


def test_missing_file() -> None:
    with pytest.raises(PictureError) as info:
        qr.decode(Path("/nonexistent/code.png"))
    assert info.value.code == "picture.unreadable_file"


@given(st.binary(max_size=4096))
@settings(max_examples=150)
def test_fuzz_random_bytes_as_image(data: bytes) -> None:
    with contextlib.suppress(PictureError):
        qr.decode(data)


@given(st.binary(min_size=1, max_size=2048))
@settings(max_examples=60)
def test_fuzz_corrupted_png(noise: bytes) -> None:
    """A real PNG with bytes overwritten: a typed error or a decode, never another exception."""
    png = bytearray(qr.encode_png("HC1:ABC"))
    for index, value in enumerate(noise[:64]):
        png[(index * 97 + value) % len(png)] = value
    with contextlib.suppress(PictureError):
        qr.decode(bytes(png))


FOREIGN_SVG = b'<?xml version="1.0"?>\n<!-- made elsewhere -->\n<svg xmlns="http://www.w3.org/2000/svg"/>'


def _pdf_with_qr(text: str) -> bytes:
    # fpdf2 comes with the [issuer] extra; the floors check installs the library alone.
    FPDF = pytest.importorskip("fpdf").FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(qr.encode_png(text)), x=10, y=10, w=80)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: qr.encode_svg("HC1:SVG").encode("utf-8"), ("SVG", "PNG/JPEG")),
        (lambda: FOREIGN_SVG, ("SVG",)),
        (lambda: _pdf_with_qr("HC1:PDF"), ("PDF", "PNG/JPEG")),
    ],
)
def test_svg_and_pdf_are_refused_with_a_sentence(make: object, words: tuple[str, ...]) -> None:
    assert callable(make)
    with pytest.raises(PictureError) as info:
        qr.decode(make())
    assert info.value.code == "picture.unsupported_format"
    assert all(word in info.value.message for word in words)
    assert "object at 0x" not in info.value.message


@pytest.mark.parametrize("data", [b"plain text", b"\x89PNG\r\n\x1a\n garbage", b"GIF89a" + b"\x00" * 40])
def test_unreadable_image_message_names_no_python_object(data: bytes) -> None:
    with pytest.raises(PictureError) as info:
        qr.decode(data)
    assert "object at" not in info.value.message and "BytesIO" not in info.value.message
    assert "PNG" in info.value.message
