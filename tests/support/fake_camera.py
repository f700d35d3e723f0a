"""A fake camera for browser tests: a QR code in a Y4M video Chromium plays as its webcam.

Chromium's ``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE.y4m``
loops the file as the camera's picture, so the scanner page sees the code as a checkpoint's
webcam would (and the benchmark can time frame to verdict).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import zxingcpp
from PIL import Image

from vaxcert import qr

FRAME_SIZE = (640, 480)
CHROMIUM = Path("/usr/bin/chromium")


def qr_picture(code: str | bytes, scale: int = 3) -> Image.Image:
    """The QR code of a text (as vaxcert prints it) or of raw bytes (a DIVOC ZIP), in grey levels."""
    if isinstance(code, str):
        return Image.open(io.BytesIO(qr.encode_png(code, scale=scale))).convert("L")
    symbol = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="L")
    pixels = memoryview(symbol.to_image(scale=scale, add_quiet_zones=True))
    return Image.frombytes("L", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())


def scene(code: str | bytes | None, size: tuple[int, int] = FRAME_SIZE, scale: int = 3) -> Image.Image:
    """A grey camera picture with the code in the middle (none: an empty desk)."""
    frame = Image.new("L", size, 190)
    if code is not None:
        picture = qr_picture(code, scale)
        frame.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    return frame


def jpeg(picture: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def write_y4m(path: Path, frames: list[Image.Image], fps: int = 15) -> Path:
    """A YUV 4:2:0 video of grey pictures (chroma neutral), the format Chromium's fake camera reads."""
    width, height = frames[0].size
    neutral = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames:
            out.write(b"FRAME\n" + frame.convert("L").tobytes() + neutral + neutral)
    return path


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None.  In CI a missing browser is a failure, not a skip."""
    if CHROMIUM.exists():
        return None
    reason = f"{CHROMIUM} is missing: install Debian's chromium and chromium-driver (scripts/system-packages)"
    if os.environ.get("CI"):
        raise RuntimeError(reason)
    return reason


def chromium_arguments(video: Path) -> list[str]:
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
