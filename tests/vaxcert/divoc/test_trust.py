"""The issuer's key from its DID in the registry, and the key's registry status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vaxcert.divoc import DivocTrustError
from vaxcert.divoc.credential import Proof
from vaxcert.divoc.trust import find_key, key_failure, public_key
from vaxcert.registry import KeyStatus, TrustedKey, TrustRegistry
from vaxcert.summary import Status

from .support import ED_DID, registry


def _proof(method: str) -> Proof:
    return Proof("Ed25519Signature2018", method, "EdDSA", "h", b"s", {})


@pytest.mark.parametrize("method", [ED_DID, ED_DID + "#key-1"])
def test_found_by_method_or_its_did(method: str) -> None:
    assert find_key(_proof(method), registry()).key_id == ED_DID


def test_an_entry_for_the_full_method_wins_over_the_did() -> None:
    exact = TrustedKey("DIVOC", ED_DID + "#key-2", registry().key("DIVOC", ED_DID).spki)  # type: ignore[union-attr]
    trust = registry().merged(TrustRegistry(keys={("DIVOC", exact.key_id): exact}))
    assert find_key(_proof(ED_DID + "#key-2"), trust).key_id == ED_DID + "#key-2"


@pytest.mark.parametrize(
    "method", ["did:vaxcert-test", "did:vaxcert-test:ed25519x", "https://divoc.vaxcert-test.example/"]
)
def test_unknown(method: str) -> None:
    with pytest.raises(DivocTrustError) as raised:
        find_key(_proof(method), registry())
    assert raised.value.code == "trust.unknown_did"


def test_another_framework_does_not_count() -> None:
    key = registry().key("DIVOC", ED_DID)
    assert key is not None
    trust = TrustRegistry(keys={("SHC", ED_DID): TrustedKey("SHC", ED_DID, key.spki)})
    with pytest.raises(DivocTrustError):
        find_key(_proof(ED_DID), trust)


@pytest.mark.parametrize(
    ("status", "until", "expected", "code"),
    [
        (KeyStatus.CURRENT, None, None, None),
        (KeyStatus.TERMINATED, None, Status.TERMINATED_KEYS, "trust.terminated_key"),
        (KeyStatus.REVOKED, None, Status.REVOKED_KEYS, "trust.revoked_key"),
        (KeyStatus.EXPIRED, None, Status.EXPIRED_KEYS, "trust.expired_key"),
        (KeyStatus.CURRENT, datetime(2024, 1, 1, tzinfo=UTC), Status.EXPIRED_KEYS, "trust.expired_key"),
    ],
)
def test_key_status(status: KeyStatus, until: datetime | None, expected: Status | None, code: str | None) -> None:
    key = TrustedKey("DIVOC", ED_DID, b"", status=status, valid_until=until)
    found = key_failure(key, datetime(2024, 6, 1, tzinfo=UTC))
    assert (found[0], found[1].code) == (expected, code) if found else expected is None


def test_an_unusable_registry_key() -> None:
    with pytest.raises(DivocTrustError) as raised:
        public_key(TrustedKey("DIVOC", ED_DID, b"\x30\x03\x02\x01\x00"))
    assert raised.value.code == "trust.bad_key"
