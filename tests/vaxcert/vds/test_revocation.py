"""X.509 CRLs of the CSCA: only the signer's own CSCA can revoke it."""

from __future__ import annotations

import pytest

from tests.vaxcert.vds.pki import Issued, make_crl, make_csca
from vaxcert.registry import TrustRegistry
from vaxcert.vds import SignerRevocationError, parse_certificate
from vaxcert.vds.revocation import check


def _crls(*ders: bytes) -> TrustRegistry:
    registry = TrustRegistry()
    for der in ders:
        registry = registry.merged(TrustRegistry.from_x509_crl(der))
    return registry


def test_listed_by_its_csca(csca: Issued, signer: Issued) -> None:
    with pytest.raises(SignerRevocationError) as raised:
        check(parse_certificate(signer.der), _crls(make_crl(csca, [4242])), [parse_certificate(csca.der).spki])
    assert raised.value.code == "revocation.revoked"


def test_consulted_and_clean(csca: Issued, signer: Issued) -> None:
    assert check(parse_certificate(signer.der), _crls(make_crl(csca, [1])), [parse_certificate(csca.der).spki])


def test_crls_that_do_not_apply(csca: Issued, signer: Issued) -> None:
    parsed, spki = parse_certificate(signer.der), parse_certificate(csca.der).spki
    other = make_csca(common_name="Other CSCA")
    assert not check(parsed, TrustRegistry(), [spki])
    assert not check(parsed, _crls(make_crl(other, [4242])), [spki])  # another issuer's list
    assert not check(parsed, _crls(make_crl(csca, [4242], signing_key=other.key)), [spki])  # forged
    assert not check(parsed, _crls(make_crl(csca, [4242])), [])  # no CSCA key proved: nothing can be checked
    assert not check(parsed, TrustRegistry(x509_crls=(b"junk",)), [spki])
