"""The multi-framework trust store: loading every trust input, lookups, key status."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.multiformat_corpus import CORPUS_DIR
from vaxcert.errors import TrustError
from vaxcert.registry import KeyStatus, TrustRegistry, parse_time
from vaxcert.summary import Status

TRUST = CORPUS_DIR / "trust"
EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "200"))
needs_corpus = pytest.mark.skipif(not TRUST.exists(), reason="shared/ is not beside the checkout")


def _spki() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _entry(status: str = "current", **extra: str) -> dict[str, object]:
    return {"status": status, "validFromDT": "2024-01-01T00:00:00Z", "publicKey": _spki(), **extra}


@needs_corpus
def test_the_public_snapshot_loads_every_framework_and_skips_keyless_entries() -> None:
    registry = TrustRegistry.load(registries=[TRUST / "registry_normalized.json"])
    counts = registry.frameworks()
    assert counts["DCC"] > 800 and counts["SHC"] > 900 and counts["ICAO"] > 200 and counts["DIVOC"] >= 1
    assert registry.skipped_entries and all(entry.startswith("ICAO#") for entry in registry.skipped_entries)
    india = registry.key("DIVOC", "did:india")
    assert india is not None and india.public_key.key_size == 2048  # type: ignore[union-attr]


def test_key_status_and_validity_window_map_to_statuses() -> None:
    document = {
        "DCC": {
            "AAAAAAAAAAA=": _entry(),
            "AQEBAQEBAQE=": _entry("terminated"),
            "AgICAgICAgI=": _entry("revoked"),
            "AwMDAwMDAwM=": _entry(validUntilDT="2024-06-01T00:00:00Z"),
        }
    }
    registry = TrustRegistry.from_registry(document)
    at = datetime(2024, 7, 1, tzinfo=UTC)
    statuses = {key_id: registry.keys[("DCC", key_id)].failure_at(at) for _, key_id in registry.keys}
    assert statuses == {
        "AAAAAAAAAAA=": None,
        "AQEBAQEBAQE=": Status.TERMINATED_KEYS,
        "AgICAgICAgI=": Status.REVOKED_KEYS,
        "AwMDAwMDAwM=": Status.EXPIRED_KEYS,
    }
    before = registry.keys[("DCC", "AAAAAAAAAAA=")].status_at(datetime(2023, 1, 1, tzinfo=UTC))
    assert before is KeyStatus.EXPIRED


def test_a_later_registry_wins_for_the_same_key(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"DIVOC": {"did:x": _entry()}}))
    second.write_text(json.dumps({"DIVOC": {"did:x": _entry("revoked")}}))
    registry = TrustRegistry.load(registries=[first, second])
    key = registry.key("DIVOC", "did:x")
    assert key is not None and key.status is KeyStatus.REVOKED


@needs_corpus
def test_jwks_keys_are_trusted_for_their_issuer_only_and_without_iss_for_any() -> None:
    document = json.loads((TRUST / "synthetic-shc-jwks.json").read_text())
    kid = document["keys"][0]["kid"]
    registry = TrustRegistry.from_jwks(document)
    assert registry.shc_keys(document["iss"], kid)
    assert registry.shc_keys("https://other.example", kid) == ()
    anywhere = TrustRegistry.from_jwks({"keys": document["keys"]})
    assert anywhere.shc_keys("https://other.example", kid)


@needs_corpus
def test_shc_revocation_lists_read_plain_and_timestamped_ids() -> None:
    registry = TrustRegistry.load(crls=[TRUST / "synthetic-shc-crl.json"])
    document = json.loads((TRUST / "synthetic-shc-crl.json").read_text())
    crl = registry.shc_revocation(document["kid"])
    assert crl is not None
    plain = next(rid for rid in document["rids"] if "." not in rid)
    stamped, stamp = next(rid for rid in document["rids"] if "." in rid).split(".")
    cutoff = datetime.fromtimestamp(int(stamp), UTC)
    assert crl.revokes(plain, None)
    assert crl.revokes(stamped, cutoff.replace(year=cutoff.year - 1))
    assert not crl.revokes(stamped, cutoff)
    assert not crl.revokes("unlisted", None)


@needs_corpus
def test_certificates_refused_by_strict_parsers_still_load_as_anchors() -> None:
    registry = TrustRegistry.load(certificates=sorted(TRUST.glob("*.pem")))
    assert len(registry.anchors) == len(list(TRUST.glob("*.pem")))


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ([], "trust.bad_registry"),
        ({"DCC": []}, "trust.bad_registry"),
        ({"DCC": {"k": {"status": "lost", "publicKey": "AAAA"}}}, "trust.bad_registry"),
        ({"DCC": {"k": {"publicKey": "not base64!"}}}, "trust.bad_registry"),
        ({"DCC": {"k": {"publicKey": "AAAA", "validFromDT": "yesterday"}}}, "trust.bad_registry"),
    ],
)
def test_malformed_registries_are_refused_with_a_code(document: object, code: str) -> None:
    with pytest.raises(TrustError) as caught:
        TrustRegistry.from_registry(document)
    assert caught.value.code == code


def test_an_unusable_key_fails_only_when_used() -> None:
    registry = TrustRegistry.from_registry({"DIVOC": {"did:bad": {"publicKey": "AAAA"}}})
    key = registry.key("DIVOC", "did:bad")
    assert key is not None
    with pytest.raises(TrustError) as caught:
        _ = key.public_key
    assert caught.value.code == "trust.bad_key"


def test_oversized_and_deep_trust_files_are_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(TrustError) as caught:
        TrustRegistry.load(registries=[deep])
    assert caught.value.code == "trust.too_deep"
    with pytest.raises(TrustError) as caught:
        TrustRegistry.load(jwks=[tmp_path / "missing.json"])
    assert caught.value.code == "trust.unreadable"


def test_impossible_dates_in_the_wild_are_read_as_the_next_valid_day() -> None:
    assert parse_time("2021-02-29T01:25:35.057Z") == datetime(2021, 3, 1, 1, 25, 35, 57000, tzinfo=UTC)


@settings(max_examples=EXAMPLES)
@given(st.recursive(st.none() | st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_any_registry_document_loads_or_fails_with_a_trust_error(document: object) -> None:
    try:
        TrustRegistry.from_registry(document)
        TrustRegistry.from_jwks(document)
    except TrustError as exc:
        assert exc.code.startswith("trust.")
