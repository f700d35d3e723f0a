"""The credential's own expirationDate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vaxcert.divoc import DivocExpiryError
from vaxcert.divoc.expiry import check

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_no_expiration_date() -> None:
    assert check({}, AT) is None


@pytest.mark.parametrize("value", ["2024-06-02T00:00:00Z", "2024-06-01T12:00:00+00:00", "2030-01-01T00:00:00"])
def test_not_yet_expired(value: str) -> None:
    assert check({"expirationDate": value}, AT) is not None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2024-06-01T11:59:59Z", "expiry.expired"),
        ("2020-01-01", "expiry.expired"),
        ("soon", "expiry.bad_date"),
        (5, "expiry.bad_date"),
    ],
)
def test_expired_or_unreadable(value: Any, code: str) -> None:
    with pytest.raises(DivocExpiryError) as raised:
        check({"expirationDate": value}, AT)
    assert raised.value.code == code
