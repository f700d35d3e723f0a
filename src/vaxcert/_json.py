"""Bounded JSON decoding for every format that carries JSON (SHC, VDS-NC, DIVOC, trust files).

The standard library's decoder is fast but recursive and unbounded: deep nesting
raises ``RecursionError`` deep inside it, a huge integer is a quadratic conversion,
and a few megabytes of ``[[[[...`` become millions of objects.  Each caller names a
:class:`JsonLimits` profile; size and depth are checked *before* the decoder runs
(one linear scan), item counts after.  Every failure is one :class:`JsonFormatError`
with a short reason, which the caller turns into its own stage error.

Parsing itself goes to ``orjson`` (about three times faster than the standard library
on a credential) whenever its result is the standard library's: it reads integers of
up to 64 bits exactly but turns longer ones into floats, so a document with a run of
19 or more digits goes to the standard library, as does every document ``orjson``
refuses (a lone surrogate escape, ``1e400``): the standard library then decides,
exactly as it did alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson


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

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_NOT_OPENING_OR_COMMA = bytes(byte for byte in range(256) if byte not in b"[{,")
_OPENING = frozenset(b"[{")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_FAST_DEPTH_BRACKETS = 4096
# Digits become "0" and everything else " ", so a run of 400 digits is one substring search.
_DIGIT_RUNS = bytes(ord("0") if byte in b"0123456789" else ord(" ") for byte in range(256))
_BIG_NUMBER_DIGITS = 400
# The shortest digit run orjson might read as something other than Python's int: every
# integer of 18 digits or fewer fits its 64-bit integers.
_LONG_INTEGER_DIGITS = 19
_LONG_RUN = b"0" * _LONG_INTEGER_DIGITS
_BIG_RUN = b"0" * _BIG_NUMBER_DIGITS


def loads_bounded(data: bytes | str, limits: JsonLimits) -> Any:
    """Decode one JSON document within ``limits``; raises :class:`JsonFormatError` otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise JsonFormatError("too_large", f"JSON of {len(raw)} bytes exceeds the {limits.max_bytes}-byte limit")
    # One pass keeps what bounds the shape; counting the few bytes left is then free.
    structure = raw.translate(None, _NOT_OPENING_OR_COMMA)
    commas = structure.count(b",")
    containers = len(structure) - commas
    _check_depth(raw, limits.max_depth, containers)
    exact = len(raw) < _LONG_INTEGER_DIGITS
    if not exact:
        runs = raw.translate(_DIGIT_RUNS)
        # find, not "in": a bytes operand of "in" is first tried as an integer (a raised and
        # cleared TypeError inside CPython), which costs more than the search itself.
        exact = runs.find(_LONG_RUN) < 0
        if not exact and len(raw) >= _BIG_NUMBER_DIGITS and runs.find(_BIG_RUN) >= 0:
            raise JsonFormatError("too_large", "JSON holds a number of 400 digits or more")
    try:
        value = orjson.loads(raw) if exact else _loads_standard(raw)
    except orjson.JSONDecodeError:
        value = _loads_standard(raw)
    # Every item but a container's first follows a comma, so commas plus containers bound the
    # item count from above: a small document passes without walking its values.
    if commas + containers > min(limits.max_items, limits.max_total_items):
        _check_items(value, limits)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every call: json.loads with a keyword argument builds a new one each time.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _loads_standard(raw: bytes) -> Any:
    try:
        return _DECODER.decode(raw.decode("utf-8"))
    except RecursionError:  # pragma: no cover - _check_depth keeps nesting far below the interpreter's limit
        raise JsonFormatError("too_deep", "JSON nests too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise JsonFormatError("not_json", f"not JSON ({_short(exc)})") from None


def _check_depth(raw: bytes, max_depth: int, containers: int) -> None:
    # Fewer opening brackets than the limit cannot nest deeper than it.
    if containers <= max_depth:
        return
    # Brackets inside strings do not nest: with escapes gone, every other '"'-separated
    # piece is string content, and what is left outside is reduced to its brackets.
    pieces = (_ESCAPE.sub(b"", raw) if b"\\" in raw else raw).split(b'"')
    outside = pieces[::2]
    if len(pieces) % 2 == 0:  # an unterminated string: what follows its quote counts as outside
        outside.append(pieces[-1])
    brackets = b"".join(outside).translate(None, _NOT_BRACKETS)
    # Each pass removes the innermost level of well-nested brackets: a small document that
    # empties within max_depth passes is shallow enough, in a few C-speed calls.
    if len(brackets) <= _FAST_DEPTH_BRACKETS:
        reduced = brackets
        for _ in range(max_depth):
            reduced = _INNERMOST.sub(b"", reduced)
            if not reduced:
                return
    depth = 0
    for byte in brackets:
        if byte in _OPENING:
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
