"""The card's own validity: past ``exp``, or issued (``nbf``) later than the verification time."""

from __future__ import annotations

from datetime import datetime, timedelta

from .errors import ShcExpiryError
from .payload import ShcClaims

# Clocks of issuers and checkpoints drift; a card issued "in a few minutes" is not a forgery sign.
CLOCK_SKEW = timedelta(minutes=5)


def check(claims: ShcClaims, at: datetime) -> None:
    if claims.exp is not None and claims.exp < at:
        raise ShcExpiryError("expiry.expired", "the card is past its expiry ('exp')")
    if claims.nbf is not None and claims.nbf > at + CLOCK_SKEW:
        raise ShcExpiryError("expiry.not_yet_valid", "the card is issued later than the verification time ('nbf')")
