"""The pyld parts of canonicalisation, imported only when a DIVOC credential is canonicalised.

pyld's URDNA2015 with a work budget, and a context resolver whose cache is vaxcert's
own (per thread, bounded) rather than pyld's process-wide one.
"""

from __future__ import annotations

import threading
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from .canonical import MAX_N_DEGREE_CALLS, MAX_RELATED_GROUP
from .contexts import load_document

__all__ = ["BoundedURDNA2015", "Budget", "jsonld", "resolver"]
_RESOLVED_CONTEXTS_PER_THREAD = 64


class Budget(Exception):
    pass


class BoundedURDNA2015(URDNA2015):  # type: ignore[misc]  # pyld is untyped
    """pyld's URDNA2015 with a limit on the Hash N-Degree Quads work."""

    def __init__(self) -> None:
        super().__init__()
        self._n_degree_calls = 0

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        # Called once per Hash N-Degree Quads run: the place to count runs and to bound
        # the permutations the caller is about to walk.
        self._n_degree_calls += 1
        if self._n_degree_calls > MAX_N_DEGREE_CALLS:
            raise Budget("too many Hash N-Degree Quads runs")
        related: dict[str, list[str]] = super().create_hash_to_related(id_, issuer)
        if any(len(group) > MAX_RELATED_GROUP for group in related.values()):
            raise Budget("too many indistinguishable blank nodes")
        return related


class _BoundedCache(dict[str, Any]):
    """pyld's resolved-context cache (it only uses ``get`` and item assignment), emptied when full.

    Shipped contexts are few and are cached for good; inline contexts in a credential
    are cached too, and a stream of hostile credentials must not grow it without end.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self and len(self) >= _RESOLVED_CONTEXTS_PER_THREAD:
            self.clear()
        super().__setitem__(key, value)


_local = threading.local()


def resolver() -> ContextResolver:
    # One cache per thread: pyld's caches are not safe to share between threads.
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = _BoundedCache()
    return ContextResolver(cache, load_document)
