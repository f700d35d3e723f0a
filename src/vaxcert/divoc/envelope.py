"""The DIVOC QR envelope: the QR's binary content is a ZIP archive holding ``certificate.json``.

Everything is bounded before anything is inflated: the payload size, the number of
members, each member's declared size, its compression method, and then the actual
inflated size (declared sizes are written by whoever made the ZIP and may lie, so the
member is read with a cap).  Only ``certificate.json`` is ever inflated.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from .errors import EnvelopeError

ZIP_MAGIC = b"PK\x03\x04"
CERTIFICATE_NAME = "certificate.json"
# A QR code holds at most 2,953 bytes; room for a few members' overhead, no more.
MAX_PAYLOAD_BYTES = 16 * 1024
MAX_MEMBERS = 8
# A DIVOC credential inflates to 1 to 3 KB; 64 KiB leaves room for images (seal, signature) some issuers embed.
MAX_CERTIFICATE_BYTES = 64 * 1024
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
# What a broken archive makes the standard library raise, besides BadZipFile itself.
_ZIP_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OverflowError,
    struct.error,
    OSError,
    UnicodeDecodeError,
)


def decode(payload: bytes) -> bytes:
    """The bytes of ``certificate.json`` in ``payload``; raises :class:`EnvelopeError` otherwise."""
    if not payload:
        raise EnvelopeError("envelope.empty", "no QR payload")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise EnvelopeError(
            "envelope.too_large", f"a payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit"
        )
    if not payload.startswith(ZIP_MAGIC):
        raise EnvelopeError("envelope.not_zip", "the payload does not start with a ZIP local header")
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise EnvelopeError(
                    "envelope.too_many_members", f"the ZIP holds {len(members)} members, more than {MAX_MEMBERS}"
                )
            named = [info for info in members if info.filename == CERTIFICATE_NAME]
            if not named:
                raise EnvelopeError("envelope.no_certificate", f"the ZIP holds no {CERTIFICATE_NAME}")
            if len(named) > 1:
                raise EnvelopeError("envelope.duplicate_member", f"the ZIP holds {CERTIFICATE_NAME} more than once")
            return _read_member(archive, named[0])
    except EnvelopeError:
        raise
    except _ZIP_FAILURES as exc:
        raise EnvelopeError("envelope.corrupt", f"not a readable ZIP archive ({type(exc).__name__})") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.flag_bits & 0x1:
        raise EnvelopeError("envelope.encrypted", f"{CERTIFICATE_NAME} is encrypted")
    if info.compress_type not in _METHODS:
        raise EnvelopeError(
            "envelope.unsupported_method", f"{CERTIFICATE_NAME} uses compression method {info.compress_type}"
        )
    if info.file_size > MAX_CERTIFICATE_BYTES:
        raise EnvelopeError(
            "envelope.too_large",
            f"{CERTIFICATE_NAME} declares {info.file_size} bytes, over the {MAX_CERTIFICATE_BYTES}-byte limit",
        )
    with archive.open(info) as member:
        data = member.read(MAX_CERTIFICATE_BYTES + 1)
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise EnvelopeError(
            "envelope.too_large", f"{CERTIFICATE_NAME} inflates beyond the {MAX_CERTIFICATE_BYTES}-byte limit"
        )
    if len(data) != info.file_size:
        raise EnvelopeError("envelope.size_mismatch", f"{CERTIFICATE_NAME} inflates to another size than declared")
    if data.startswith(ZIP_MAGIC):
        raise EnvelopeError("envelope.nested_zip", f"{CERTIFICATE_NAME} is itself a ZIP archive")
    return data


def encode(certificate: bytes, *, compress: bool = True) -> bytes:
    """Pack ``certificate`` as ``certificate.json`` in a ZIP, the way DIVOC issuers make the QR payload."""
    if len(certificate) > MAX_CERTIFICATE_BYTES:
        raise EnvelopeError("envelope.too_large", f"{CERTIFICATE_NAME} exceeds {MAX_CERTIFICATE_BYTES} bytes")
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        # A fixed timestamp: the same credential always packs to the same bytes.
        info = zipfile.ZipInfo(CERTIFICATE_NAME, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = method
        archive.writestr(info, certificate)
    return buffer.getvalue()
