"""QR stage: render ``HC1:`` text as PNG/SVG (ECC level Q) and read it back from images.

zxing-cpp does both directions.  It picks the alphanumeric mode by itself
for HC1 text, since Base45 was designed around exactly that character set.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import zxingcpp
from PIL import Image, UnidentifiedImageError

from .errors import PictureError

# Images larger than this are refused before decoding: a phone photo of a
# certificate is a few megapixels, a decompression-bomb PNG is not.
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
ERROR_CORRECTION = "Q"


def _barcode(text: str | bytes, error_correction: str = ERROR_CORRECTION) -> zxingcpp.Barcode:
    # bytes make a byte-mode code: a binary payload such as a DIVOC credential's ZIP.
    if not text:
        raise PictureError("picture.empty", "cannot encode empty text as a QR code")
    try:
        return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=error_correction)
    except (ValueError, RuntimeError) as exc:
        raise PictureError("picture.too_long", f"text does not fit in a QR code ({exc})") from None


def encode_png(text: str | bytes, scale: int = 4, error_correction: str = ERROR_CORRECTION) -> bytes:
    """A PNG of the QR code, ``scale`` pixels per module, with the quiet zone."""
    image = _barcode(text, error_correction).to_image(scale=scale, add_quiet_zones=True)
    height, width = image.shape[0], image.shape[1]
    pixels = Image.frombuffer("L", (width, height), bytes(memoryview(image)), "raw", "L", 0, 1)  # type: ignore[arg-type]
    out = io.BytesIO()
    pixels.convert("1").save(out, "PNG")
    return out.getvalue()


def encode_svg(text: str, scale: int = 4, error_correction: str = ERROR_CORRECTION) -> str:
    """An SVG of the QR code."""
    return str(_barcode(text, error_correction).to_svg(scale=scale, add_quiet_zones=True))


def symbol_version(text: str, error_correction: str = ERROR_CORRECTION) -> int:
    """The QR version (1-40) zxing-cpp chooses for ``text`` at ``error_correction``."""
    modules = _barcode(text, error_correction).to_image(scale=1, add_quiet_zones=False).shape[0]
    return (int(modules) - 17) // 4


_PDF_MAGIC = b"%PDF-"
_SVG_SNIFF_BYTES = 1024


def _refuse_documents(data: bytes) -> None:
    """Refuse the service's own SVG and PDF outputs with a sentence saying what to do instead.

    Rendering them would need an SVG rasteriser or a PDF renderer, heavy
    dependencies a checkpoint laptop should not carry for a screenshot's worth of work.
    """
    if data.lstrip()[:5] == _PDF_MAGIC:
        raise PictureError(
            "picture.unsupported_format",
            "Tệp PDF chưa được hỗ trợ: hãy chụp ảnh mã QR (PNG/JPEG) hoặc dán chuỗi HC1: / "
            "PDF files are not supported: use a PNG/JPEG picture of the QR code, or paste the HC1: text",
        )
    head = data[:_SVG_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<svg" in head:  # an XML prolog or comment may come first
        raise PictureError(
            "picture.unsupported_format",
            "Tệp SVG chưa được hỗ trợ: hãy dùng ảnh PNG/JPEG của mã QR hoặc dán chuỗi HC1: / "
            "SVG files are not supported: use a PNG/JPEG picture of the QR code, or paste the HC1: text",
        )


def decode(image: bytes | str | Path) -> str:
    """The text of the QR code in a PNG/JPEG image (bytes or a path).

    Raises :class:`PictureError` for unreadable files, oversized images,
    SVG and PDF documents (``picture.unsupported_format``) and images without
    exactly one readable QR code.
    """
    return str(_read_one(image).text)


def decode_payload(image: bytes | str | Path) -> str | bytes:
    """What the QR code in an image holds: its text, or its raw bytes for a binary code (a DIVOC ZIP)."""
    code = _read_one(image)
    raw = bytes(code.bytes)
    return raw if raw.startswith(b"PK\x03\x04") else str(code.text)


def _read_one(image: bytes | str | Path) -> zxingcpp.Barcode:
    if isinstance(image, (str, Path)):
        try:
            data = Path(image).read_bytes()
        except OSError as exc:
            raise PictureError("picture.unreadable_file", f"cannot read {image}: {exc.strerror}") from None
    else:
        data = image
    if not data:
        raise PictureError("picture.empty_image", "the image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise PictureError("picture.image_too_large", f"the image file exceeds {MAX_IMAGE_BYTES} bytes")
    _refuse_documents(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise PictureError(
                    "picture.image_too_large", f"{opened.width}x{opened.height} pixels exceeds the limit"
                )
            picture = opened.convert("L")
    except PictureError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError("picture.image_too_large", "the image has more pixels than a certificate photo") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Pillow's message names a Python object (<_io.BytesIO object at 0x…>): nothing for people.
        raise PictureError(
            "picture.not_an_image",
            "Tệp không phải ảnh PNG/JPEG đọc được / the file is not a readable PNG or JPEG image",
        ) from None
    try:
        found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
    except (ValueError, RuntimeError) as exc:
        raise PictureError("picture.decode_failed", f"the QR reader failed ({exc})") from None
    codes = [code for code in found if code.valid]
    if not codes:
        raise PictureError("picture.not_found", "no readable QR code in the image")
    if len(codes) > 1:
        raise PictureError("picture.several_codes", f"the image holds {len(codes)} QR codes; show one at a time")
    return codes[0]
