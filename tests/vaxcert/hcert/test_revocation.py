"""Revocation hashes against the published samples, and signed revocation lists end to end."""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert import PemSigner, Policy, TrustStore, issue, verify
from vaxcert import cose as vaxcert_cose
from vaxcert.hcert import base45 as b45
from vaxcert.hcert import cwt as vaxcert_cwt
from vaxcert.hcert import revocation
from vaxcert.hcert.revocation import HashType, RevocationListError
from vaxcert.pki import create_csca

SHARED = Path(os.environ.get("VAXCERT_SHARED", Path(__file__).resolve().parents[4] / "shared"))
SAMPLES = SHARED / "conformance" / "revocation" / "hash-samples.json"


@pytest.mark.skipif(not SAMPLES.exists(), reason="revocation samples not beside the checkout")
def test_published_hash_samples() -> None:
    """Each expected hash is also derived here by hand from the raw COSE structure, independently of the module.

    UCI = SHA-256(ci)[0:16]; COUNTRYCODEUCI = SHA-256(iss + ci)[0:16];
    SIGNATURE = SHA-256(r)[0:16] for ES256 (the first 32 bytes of the signature), else the whole signature.
    """
    samples = json.loads(SAMPLES.read_text(encoding="utf-8"))
    assert len(samples) == 3
    for sample in samples:
        raw = cbor2.loads(zlib.decompress(b45.decode(sample["barcodeData"][4:])))
        items = raw.value if isinstance(raw, cbor2.CBORTag) else raw
        claims_map = cbor2.loads(items[2])
        dcc = claims_map[-260][1]
        uvci = next(dcc[g][0]["ci"] for g in ("v", "t", "r") if g in dcc)
        alg = cbor2.loads(items[0])[1]
        signature = items[3][:32] if alg == -7 else items[3]
        by_hand = {
            HashType.UCI: hashlib.sha256(uvci.encode()).digest()[:16],
            HashType.COUNTRYCODEUCI: hashlib.sha256((claims_map[1] + uvci).encode()).digest()[:16],
            HashType.SIGNATURE: hashlib.sha256(signature).digest()[:16],
        }
        _, computed = revocation.hashes_for_code(sample["barcodeData"])
        for kind, key in (
            (HashType.UCI, "expUCI"),
            (HashType.COUNTRYCODEUCI, "expCOUNTRYCODEUCI"),
            (HashType.SIGNATURE, "expSIGNATURE"),
        ):
            assert by_hand[kind].hex() == sample[key], (sample["description"], kind)
            assert computed[kind].hex() == sample[key], (sample["description"], kind)


@pytest.fixture(scope="module")
def anchor(tmp_path_factory: pytest.TempPathFactory) -> PemSigner:
    folder = tmp_path_factory.mktemp("revocation-anchor")
    pair = create_csca(common_name="revocation list signer")
    (folder / "a.pem").write_bytes(pair.certificate_pem())
    (folder / "k.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / "k.pem", folder / "a.pem")


NOW = datetime(2026, 5, 2, tzinfo=UTC)


def _list(entries: list[tuple[bytes, HashType, bytes]], sequence: int = 1) -> revocation.RevocationList:
    return revocation.build(
        entries, sequence=sequence, issued_at=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=1)
    )


@pytest.mark.parametrize("hash_type", list(HashType))
def test_revoked_certificate_is_reported_offline(
    anchor: PemSigner, signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any], hash_type: HashType
) -> None:
    revoked = issue(vaccination_payload, signer, issued_at=NOW - timedelta(days=1)).text
    kept = issue(vaccination_payload, signer, issued_at=NOW - timedelta(days=1)).text
    _, hashes = revocation.hashes_for_code(revoked)
    signed = revocation.sign(_list([(signer.certificate.kid, hash_type, hashes[hash_type])]), anchor)
    revocations = revocation.verify(signed, [anchor.certificate])
    policy = Policy(revocations=revocations)
    report = verify(revoked, trust, at=NOW, policy=policy)
    assert not report.valid and report.outcome("revocation").code == "revocation.revoked"
    assert report.checks["signature"] is True  # authentic, but revoked
    assert verify(kept, trust, at=NOW, policy=policy).valid


def test_stale_list_fails_closed_unless_allowed(
    anchor: PemSigner, signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]
) -> None:
    text = issue(vaccination_payload, signer, issued_at=NOW - timedelta(days=1)).text
    revocations = revocation.verify(revocation.sign(_list([]), anchor), [anchor.certificate])
    late = NOW + timedelta(days=2)
    closed = verify(text, trust, at=late, policy=Policy(revocations=revocations))
    assert closed.outcome("revocation").code == "revocation.list_stale"
    assert verify(text, trust, at=late, policy=Policy(revocations=revocations, allow_stale_revocations=True)).valid


def test_tampered_rolled_back_and_unpinned_lists(anchor: PemSigner, signer: PemSigner) -> None:
    signed = revocation.sign(_list([(signer.certificate.kid, HashType.UCI, b"\x01" * 16)], sequence=5), anchor)
    for position in range(0, len(signed), 3):
        tampered = bytearray(signed)
        tampered[position] ^= 0x04
        with pytest.raises(RevocationListError):
            revocation.verify(bytes(tampered), [anchor.certificate])
    with pytest.raises(RevocationListError) as info:
        revocation.verify(signed, [anchor.certificate], minimum_sequence=6)
    assert info.value.code == "revocationlist.rollback"
    with pytest.raises(RevocationListError) as info:
        revocation.verify(signed, [signer.certificate])
    assert info.value.code == "revocationlist.unknown_signer"


def test_batch_lookup_is_exact() -> None:
    hashes = [hashlib.sha256(str(i).encode()).digest()[:16] for i in range(1000)]
    batch = revocation.RevocationBatch.of(b"k" * 8, HashType.UCI, hashes)
    assert len(batch) == 1000 and all(h in batch for h in hashes)
    assert hashlib.sha256(b"other").digest()[:16] not in batch and b"short" not in batch


@settings(max_examples=200, deadline=None)
@given(
    listed=st.lists(st.binary(min_size=16, max_size=16), max_size=300),
    probes=st.lists(st.binary(min_size=16, max_size=16), max_size=20),
    prefix_bytes=st.binary(min_size=1, max_size=2),
)
def test_batch_membership_matches_a_set(listed: list[bytes], probes: list[bytes], prefix_bytes: bytes) -> None:
    # Crowd one bucket (shared leading bytes) and probe with windows that straddle two
    # packed hashes: neither may confuse the bucketed scan.
    crowded = [prefix_bytes + item[len(prefix_bytes) :] for item in listed[::2]]
    batch = revocation.RevocationBatch.of(b"k" * 8, HashType.UCI, listed + crowded)
    expected = set(listed + crowded)
    straddling = [batch.packed[i : i + 16] for i in range(1, len(batch.packed) - 16, 7)]
    for probe in probes + straddling + list(expected):
        assert (probe in batch) == (probe in expected)


def test_a_signed_list_with_hashes_out_of_order_is_refused(anchor: PemSigner) -> None:
    # Even from the pinned signer: a lookup would silently miss the misplaced hashes (fail open).
    hashes = sorted(hashlib.sha256(str(i).encode()).digest()[:16] for i in range(200))
    hashes[10], hashes[150] = hashes[150], hashes[10]
    shuffled = revocation.RevocationList(
        sequence=1,
        issued_at=NOW,
        next_update=NOW + timedelta(days=1),
        batches=(revocation.RevocationBatch(b"k" * 8, HashType.UCI, b"".join(hashes)),),
    )
    with pytest.raises(RevocationListError) as info:
        revocation.verify(revocation.sign(shuffled, anchor), [anchor.certificate])
    assert info.value.code == "revocationlist.bad_format" and "not sorted" in info.value.message


def test_a_list_beyond_the_certificate_bounds_still_loads(anchor: PemSigner) -> None:
    """Signed lists decode with their own profile: more batches than any DCC container may hold."""
    entries = [(index.to_bytes(8, "big"), HashType.UCI, index.to_bytes(16, "big")) for index in range(300)]
    revocations = revocation.verify(revocation.sign(_list(entries), anchor), [anchor.certificate])
    assert len(revocations.batches) == 300


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _high_s_copy(text: str) -> str:
    """The same certificate with its ECDSA signature (r, s) replaced by (r, n - s): equally valid."""
    message = cbor2.loads(zlib.decompress(b45.decode(text[4:])))
    items = list(message.value)
    r, s = items[3][:32], int.from_bytes(items[3][32:], "big")
    items[3] = r + (_P256_ORDER - s).to_bytes(32, "big")
    return "HC1:" + b45.encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, items))))


def test_a_high_s_copy_verifies_and_has_the_same_revocation_hashes(
    anchor: PemSigner, signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]
) -> None:
    """spec/security.md: a high-s copy proves nothing new, so it must not escape a revocation either."""
    text = issue(vaccination_payload, signer, issued_at=NOW - timedelta(days=1)).text
    copy = _high_s_copy(text)
    assert copy != text and verify(copy, trust, at=NOW).valid
    kid, hashes = revocation.hashes_for_code(text)
    assert revocation.hashes_for_code(copy) == (kid, hashes)
    for hash_type in HashType:
        signed = revocation.sign(_list([(kid or b"", hash_type, hashes[hash_type])]), anchor)
        listed = revocation.verify(signed, [anchor.certificate])
        report = verify(copy, trust, at=NOW, policy=Policy(revocations=listed))
        assert report.outcome("revocation").code == "revocation.revoked", hash_type


def test_revoked_agrees_with_revoked_by_on_precomputed_hashes(
    signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    text = issue(vaccination_payload, signer).text
    kid, hashes = revocation.hashes_for_code(text)
    message = vaxcert_cose.decode(zlib.decompress(b45.decode(text[4:])))
    claims = vaxcert_cwt.decode(message.payload)
    assert kid == message.kid
    for hash_type in HashType:
        listed = revocation.build(
            [(signer.certificate.kid, hash_type, hashes[hash_type])],
            sequence=1,
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
            next_update=datetime(2026, 2, 1, tzinfo=UTC),
        )
        assert listed.revoked(claims, message) == listed.revoked_by(kid, hashes) == hash_type
        assert listed.revoked_by(b"otherkid", hashes) is None
        assert listed.revoked_by(kid, {}) is None
