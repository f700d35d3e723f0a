from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands run without --cache-dir read an empty cache of their own, never the developer's."""
    before = os.environ.get("VAXCERT_HOME")
    os.environ["VAXCERT_HOME"] = str(tmp_path_factory.mktemp("vaxcert-home"))
    yield
    if before is None:
        os.environ.pop("VAXCERT_HOME", None)
    else:
        os.environ["VAXCERT_HOME"] = before
