"""The JSON-LD contexts DIVOC credentials name, served from copies shipped in this package.

A checkpoint verifier works offline, and a context fetched at verify time would let
whoever serves it change what a credential's terms mean.  The loader here answers
only for the URLs in ``contexts/index.json``; any other URL is an
:class:`UnknownContextError`, never a network request.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any


class UnknownContextError(LookupError):
    """A credential names a JSON-LD context this package does not ship."""

    def __init__(self, url: str) -> None:
        super().__init__(f"unknown JSON-LD context {url[:120]!r}: only contexts shipped with vaxcert are used")
        self.url = url


@functools.cache
def shipped_contexts() -> Mapping[str, Any]:
    """URL -> parsed context document, read once from the package."""
    folder = resources.files("vaxcert.divoc").joinpath("contexts")
    index = json.loads(folder.joinpath("index.json").read_text(encoding="utf-8"))
    documents: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    for url, name in index.items():
        if name not in parsed:
            parsed[name] = json.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        documents[url] = parsed[name]
    return documents


def load_document(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader that serves only shipped contexts (``options`` is pyld's, unused)."""
    document = shipped_contexts().get(url)
    if document is None:
        raise UnknownContextError(url)
    # A copy: pyld resolves relative URLs inside a context in place.
    # "static" lets pyld cache the processed context in our resolver's cache (see canonical.py).
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document), "tag": "static"}
