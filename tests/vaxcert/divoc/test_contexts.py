"""The shipped JSON-LD contexts: complete, documented, and the only ones served."""

from __future__ import annotations

from importlib import resources

import pytest

from vaxcert.divoc import UnknownContextError, shipped_contexts
from vaxcert.divoc.contexts import load_document

EXPECTED = {
    "https://www.w3.org/2018/credentials/v1",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/v2",
    "https://cowin.gov.in/credentials/vaccination/v1",
    "https://cowin.gov.in/credentials/vaccination/v2",
}


def test_every_context_divoc_issuers_use_is_shipped() -> None:
    assert set(shipped_contexts()) >= EXPECTED
    assert all("@context" in document for document in shipped_contexts().values())


def test_the_package_says_where_its_contexts_come_from() -> None:
    source = resources.files("vaxcert.divoc").joinpath("contexts", "SOURCE").read_text(encoding="utf-8")
    assert "Apache-2.0" in source and "ddcc-validator" in source


def test_the_loader_serves_a_copy() -> None:
    first = load_document("https://w3id.org/security/v2")
    first["document"]["@context"] = "changed"
    assert load_document("https://w3id.org/security/v2")["document"]["@context"] != "changed"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/ctx",
        "http://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/v3",
        "file:///etc/passwd",
    ],
)
def test_anything_else_is_unknown(url: str) -> None:
    with pytest.raises(UnknownContextError) as raised:
        load_document(url)
    assert raised.value.url == url
