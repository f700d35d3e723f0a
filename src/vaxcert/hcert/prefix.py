"""Context identifier stage: ``HC1:`` in front of the Base45 text."""

from __future__ import annotations

import re

from ..errors import PrefixError

HCERT_V1 = "HC1:"

# Future, incompatible HCERT versions are announced as HC2:..HC9:, HCA:..HCZ:.
_OTHER_VERSION = re.compile(r"^HC[2-9A-Z]:")


def encode(base45_text: str) -> str:
    """Put the HCERT v1 context identifier in front of Base45 text."""
    return HCERT_V1 + base45_text


def decode(text: str) -> str:
    """Return the Base45 text behind ``HC1:``, or raise :class:`PrefixError`."""
    if not isinstance(text, str):
        raise PrefixError("unprefix.not_text", f"expected text, got {type(text).__name__}")
    if text.startswith(HCERT_V1):
        return text[len(HCERT_V1) :]
    if _OTHER_VERSION.match(text):
        raise PrefixError(
            "unprefix.unsupported_version",
            f"context identifier {text[:4]!r} is a HCERT version this verifier does not support",
        )
    if not text:
        raise PrefixError("unprefix.empty", "the code is empty")
    shown = text[:4].encode("unicode_escape").decode("ascii")
    raise PrefixError("unprefix.missing", f"the code does not start with 'HC1:' (starts with {shown!r})")
