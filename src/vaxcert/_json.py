"""Bounded JSON decoding for every format that carries JSON (SHC, VDS-NC, DIVOC, trust files).

The standard library's decoder is fast but recursive and unbounded: deep nesting
raises ``RecursionError`` deep inside it, a huge integer is a quadratic conversion,
and a few megabytes of ``[[[[...`` become millions of objects.  Each caller names a
:class:`JsonLimits` profile; size and depth are checked *before* the decoder runs
(one linear scan), item counts after.  Every failure is one :class:`JsonFormatError`
with a short reason, which the caller turns into its own stage error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class JsonFormatError(ValueError):
    """The text is not JSON, or exceeds the profile's bounds.  ``reason`` is a code suffix."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int
    max_depth: int
    max_items: int  # per array or object
    max_total_items: int


# A credential inside one QR code: a few kilobytes at most once inflated.
CREDENTIAL = JsonLimits(max_bytes=1 << 20, max_depth=32, max_items=4096, max_total_items=65_536)
# Trust input: the full multi-framework registry snapshot is about 1.5 MB with ~2,100 keys.
TRUST_FILE = JsonLimits(max_bytes=64 << 20, max_depth=32, max_items=1_000_000, max_total_items=8_000_000)

_BRACKETS = re.compile(rb"[\[\]{}]")
# Unrolled ("normal* (special normal*)*"): the same strings as '"(?:[^"\\]|\\.)*"', five
# times faster where the nesting has to be scanned.
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BIG_NUMBER = re.compile(rb"\d{400}")  # any run of 400 digits, found without trying every start twice


def loads_bounded(data: bytes | str, limits: JsonLimits) -> Any:
    """Decode one JSON document within ``limits``; raises :class:`JsonFormatError` otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise JsonFormatError("too_large", f"JSON of {len(raw)} bytes exceeds the {limits.max_bytes}-byte limit")
    openings = raw.count(b"[") + raw.count(b"{")
    # No more openings than the limit: nothing can nest deeper (the common case, checked in C).
    if openings > limits.max_depth:
        _check_depth(raw, limits.max_depth)
    # Fewer than 400 digits in all cannot hold a 400-digit number (one pass in C, no scan).
    if len(raw) - len(raw.translate(None, b"0123456789")) >= 400 and _BIG_NUMBER.search(raw):
        raise JsonFormatError("too_large", "JSON holds a number of 400 digits or more")
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # pragma: no cover - _check_depth keeps nesting far below the interpreter's limit
        raise JsonFormatError("too_deep", "JSON nests too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise JsonFormatError("not_json", f"not JSON ({_short(exc)})") from None
    # Every item but a container's first follows a comma, so commas plus openings bound the
    # item count from above (commas inside strings only loosen the bound): most documents
    # need no walk.
    if raw.count(b",") + openings > min(limits.max_items, limits.max_total_items):
        _check_items(value, limits)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(raw: bytes, max_depth: int) -> None:
    # Brackets inside strings do not nest, so strings are blanked out first.
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise JsonFormatError("too_deep", f"JSON nests deeper than {max_depth} levels")
        else:
            depth -= 1


def _check_items(value: Any, limits: JsonLimits) -> None:
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            if len(item) > limits.max_items:
                raise JsonFormatError("too_large", f"a JSON container holds more than {limits.max_items} items")
            total += len(item)
            if total > limits.max_total_items:
                raise JsonFormatError("too_large", f"JSON holds more than {limits.max_total_items} items")
            stack.extend(item.values() if isinstance(item, dict) else item)


def _short(exc: BaseException) -> str:
    return str(exc)[:120]
