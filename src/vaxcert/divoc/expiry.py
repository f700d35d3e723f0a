"""The credential's own validity: W3C VC ``expirationDate`` (DIVOC issuers rarely set it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import DivocExpiryError


def check(document: Mapping[str, Any], at: datetime) -> datetime | None:
    """The expiry moment, if any; raises :class:`DivocExpiryError` when it lies before ``at``."""
    raw = document.get("expirationDate")
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise DivocExpiryError("expiry.bad_date", "expirationDate is not a date-time")
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DivocExpiryError("expiry.bad_date", "expirationDate is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < at:
        raise DivocExpiryError("expiry.expired", f"the credential expired at {moment.isoformat()}")
    return moment
