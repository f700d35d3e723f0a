"""The VDS-NC seal: a JSON object ``{"data": {"hdr": …, "msg": …}, "sig": {"alg", "cer", "sigvl"}}``.

:func:`decode` reads the envelope only: bounded JSON (``vaxcert._json``), an object
with ``data`` and ``sig`` objects.  What ``data`` says is :mod:`.content`'s business
and what ``sig`` holds is checked by :mod:`.certificate` and :mod:`.signature`, so a
seal with a bad signature still shows whose it is.  :func:`encode` writes a seal back
(compact, or indented as some issuers print it); the signature does not depend on
the layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .._json import CREDENTIAL, JsonFormatError, loads_bounded
from .errors import SealError

# A seal has to fit one QR code (at most 2,953 bytes in binary mode); the cap leaves
# room for pretty-printed copies and stays far below the shared credential limit.
MAX_SEAL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Seal:
    """A decoded seal.  ``data`` is the signed JSON value exactly as parsed; ``sig`` the raw signature object."""

    data: dict[str, Any]
    sig: dict[str, Any]

    @property
    def header(self) -> dict[str, Any]:
        header = self.data.get("hdr")
        return header if isinstance(header, dict) else {}

    @property
    def issuing_country(self) -> str | None:
        country = self.header.get("is")
        return country if isinstance(country, str) else None

    @property
    def seal_type(self) -> str | None:
        kind = self.header.get("t")
        return kind if isinstance(kind, str) else None


def looks_like_seal(text: str | bytes) -> bool:
    """Whether ``text`` is a VDS-NC envelope (a JSON object with ``data`` and ``sig``): format detection."""
    try:
        decode(text)
    except SealError:
        return False
    return True


def decode(text: str | bytes) -> Seal:
    """Parse a seal's text; raises :class:`SealError` (``seal.*``) for anything that is not a VDS-NC envelope."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if len(raw) > MAX_SEAL_BYTES:
        raise SealError("seal.too_large", f"a seal of {len(raw)} bytes exceeds the {MAX_SEAL_BYTES}-byte limit")
    try:
        value = loads_bounded(raw, CREDENTIAL)
    except JsonFormatError as exc:
        raise SealError(f"seal.{exc.reason}", f"not a VDS-NC seal: {exc}") from None
    if not isinstance(value, dict) or "data" not in value or "sig" not in value:
        raise SealError("seal.not_vds", "not a VDS-NC seal: a JSON object with 'data' and 'sig' is expected")
    data, sig = value["data"], value["sig"]
    if not isinstance(data, dict):
        raise SealError("seal.bad_data", "the seal's 'data' is not a JSON object")
    if not isinstance(sig, dict):
        raise SealError("seal.bad_sig", "the seal's 'sig' is not a JSON object")
    return Seal(data=data, sig=sig)


def encode(seal: Seal, *, indent: int | None = None) -> str:
    """The seal as JSON text: compact by default; non-ASCII kept as written."""
    document = {"data": seal.data, "sig": seal.sig}
    if indent is None:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(document, ensure_ascii=False, indent=indent)
