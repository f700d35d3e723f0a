"""RFC 8785 (JSON Canonicalization Scheme) form of a parsed JSON value: what a VDS-NC signature covers.

The ``rfc8785`` package is the reference implementation used here.  Measured on a
typical seal's ``data`` (about 1 KB) it takes ~265 µs, three times a P-256
verification, so most seals take a fast path instead: when the value holds no
float, no integer outside ±2^53 and no object key with a character at or above
U+E000, a sorted, compact, non-ASCII-preserving JSON writer writes exactly the JCS
bytes: ``orjson`` with sorted keys (~2 µs), or the standard library's ``json.dumps``
(~12 µs) for what ``orjson`` refuses (nesting deeper than it writes, a lone surrogate,
which then fails as before).  Under those conditions either writer agrees with RFC 8785:
integers in the safe range print the same in ECMAScript, both writers escape the same
characters the same way (short forms for ``\\b \\f \\n \\r \\t " \\\\``, lower-case
``\\u00xx`` for other controls), and code-point order equals UTF-16 order.  Everything
else (floats, big integers, astral keys) goes to ``rfc8785``; a property test holds
the two paths equal.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

_SAFE_INTEGER = 2**53 - 1
_DUMPS = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


class CanonicalizationError(ValueError):
    """The value has no RFC 8785 form (a lone surrogate, an infinite or NaN number)."""


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value`` (a result of ``json.loads``)."""
    try:
        if _plain(value):
            try:
                return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
            except orjson.JSONEncodeError:
                return _DUMPS(value).encode("utf-8")
        return rfc8785.dumps(_as_ecmascript_numbers(value))
    except (UnicodeEncodeError, ValueError, OverflowError) as exc:
        raise CanonicalizationError(f"no RFC 8785 form: {str(exc)[:100]}") from None


def canonicalize_reference(value: Any) -> bytes:
    """The ``rfc8785`` package's output alone (no fast path): the yardstick for tests and benchmarks."""
    return rfc8785.dumps(_as_ecmascript_numbers(value))


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` writes ``value`` exactly as RFC 8785 does (see the module docstring)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key) < "\ue000"):
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False  # floats and anything else: the reference implementation decides
    return True


def _as_ecmascript_numbers(value: Any) -> Any:
    """Integers beyond ±2^53 as the doubles an ECMAScript signer parsed them into (``rfc8785`` refuses them)."""
    if type(value) is int and not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return float(value)
    if isinstance(value, dict):
        return {key: _as_ecmascript_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_ecmascript_numbers(item) for item in value]
    return value
