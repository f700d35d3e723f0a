"""Chains from the barcode signer to a trusted CSCA: anchors, registry entries, forged links, key status."""

from __future__ import annotations

import pytest

from tests.vaxcert.vds.pki import AT, Issued, anchors, icao_registry, make_csca, make_signer
from vaxcert.registry import TrustRegistry
from vaxcert.summary import Status
from vaxcert.vds import SignerTrustError, parse_certificate
from vaxcert.vds.trust import check, failure_status, trust_paths


def test_every_verifying_path_is_found(csca: Issued, signer: Issued) -> None:
    registry = anchors(signer, csca).merged(icao_registry(csca))
    paths = trust_paths(parse_certificate(signer.der), registry, at=AT, issuing_country="UTO")
    assert [path.kind for path in paths] == ["signer", "csca", "registry"]
    assert paths[0].csca_spki is None
    assert paths[1].csca_spki == paths[2].csca_spki == parse_certificate(csca.der).spki
    assert paths[2].name.startswith("UT#")
    assert all(path.usable for path in paths)


def test_the_seal_country_is_a_second_registry_key(csca: Issued, signer: Issued) -> None:
    parsed = parse_certificate(signer.der)
    registry = icao_registry(csca, country="UTO")
    assert [path.name.split("#")[0] for path in trust_paths(parsed, registry, at=AT, issuing_country="UTO")] == ["UTO"]
    assert trust_paths(parsed, registry, at=AT, issuing_country=None) == ()


def test_no_trust_at_all(signer: Issued) -> None:
    with pytest.raises(SignerTrustError) as raised:
        check(parse_certificate(signer.der), TrustRegistry(), at=AT, issuing_country="UTO")
    assert raised.value.code == "trust.untrusted_signer"
    assert failure_status(raised.value) is Status.ISSUER_NOT_TRUSTED


def test_an_anchor_that_is_no_certificate_vouches_for_nothing(signer: Issued) -> None:
    registry = TrustRegistry(anchors=(b"\x30\x00", b"junk"))
    assert trust_paths(parse_certificate(signer.der), registry, at=AT, issuing_country="UTO") == ()


def test_a_csca_whose_key_did_not_sign_is_no_path(csca: Issued) -> None:
    impostor = make_signer(make_csca(common_name="Test CSCA", ski=csca.ski))
    parsed = parse_certificate(impostor.der)
    assert parsed.authority_key_id == csca.ski and parsed.issuer_key == parse_certificate(csca.der).subject_key
    assert trust_paths(parsed, anchors(csca).merged(icao_registry(csca)), at=AT, issuing_country="UTO") == ()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("terminated", "trust.terminated_key", Status.TERMINATED_KEYS),
        ("revoked", "trust.revoked_key", Status.REVOKED_KEYS),
        ("expired", "trust.expired_key", Status.EXPIRED_KEYS),
    ],
)
def test_registry_status(csca: Issued, signer: Issued, status: str, code: str, expected: Status) -> None:
    with pytest.raises(SignerTrustError) as raised:
        check(parse_certificate(signer.der), icao_registry(csca, status=status), at=AT, issuing_country="UTO")
    assert raised.value.code == code
    assert failure_status(raised.value) is expected


def test_a_usable_path_comes_first(csca: Issued, signer: Issued) -> None:
    registry = icao_registry(csca, status="revoked").merged(anchors(csca))
    paths = check(parse_certificate(signer.der), registry, at=AT, issuing_country="UTO")
    assert paths[0].kind == "csca" and paths[0].usable and not paths[1].usable
