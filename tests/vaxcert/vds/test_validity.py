"""The barcode signer certificate's own validity window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.vaxcert.vds.pki import NOT_AFTER, NOT_BEFORE, Issued
from vaxcert.vds import SignerValidityError, parse_certificate
from vaxcert.vds.validity import check


def test_inside_and_on_the_edges(signer: Issued) -> None:
    parsed = parse_certificate(signer.der)
    for moment in (NOT_BEFORE, NOT_BEFORE + timedelta(days=400), NOT_AFTER):
        check(parsed, at=moment)


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (NOT_BEFORE - timedelta(seconds=1), "validity.not_yet_valid"),
        (NOT_AFTER + timedelta(seconds=1), "validity.expired"),
    ],
)
def test_outside(signer: Issued, offset: object, code: str) -> None:
    with pytest.raises(SignerValidityError) as raised:
        check(parse_certificate(signer.der), at=offset)  # type: ignore[arg-type]
    assert raised.value.code == code
