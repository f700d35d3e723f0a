"""ES256 JWS signers: PEM keys, the DSC signers (PEM and a real SoftHSM2 token) through the adapter, JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import HSM_PIN, PKI_START, PKI_VALIDITY, SOFTHSM_MODULE
from tests.support.multiformat_corpus import CORPUS_DIR
from tests.vaxcert.shc.conftest import AT, ISSUED_AT, ISSUER
from vaxcert import DocumentSignerCertificate, KeyProviderError, PemSigner
from vaxcert._json import TRUST_FILE, loads_bounded
from vaxcert.hsm import HsmConfig, HsmSession, Pkcs11Signer
from vaxcert.pki import IssuedKeyPair, csr_for_hsm_key, sign_csr
from vaxcert.registry import TrustRegistry
from vaxcert.shc import CoseSignerAdapter, JwsSigner, PemJwsSigner, issue_shc, jwks_for, thumbprint, verify_shc
from vaxcert.summary import Status

SPEC_JWKS = CORPUS_DIR / "trust" / "shc-spec-example-issuer.jwks.json"


@pytest.mark.skipif(not SPEC_JWKS.exists(), reason="the shared corpus is not checked out")
def test_thumbprint_matches_the_specification_issuers_kids() -> None:
    keys = loads_bounded(SPEC_JWKS.read_bytes(), TRUST_FILE)["keys"]
    ec_keys = [key for key in keys if key.get("kty") == "EC"]
    assert ec_keys
    for key in ec_keys:
        assert thumbprint(key) == key["kid"]


def test_pem_signer_from_file_and_its_jwk(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "shc.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    signer = PemJwsSigner.from_file(path)
    assert isinstance(signer, JwsSigner)
    jwk = signer.public_jwk()
    assert jwk["kid"] == signer.kid == thumbprint(jwk)
    assert {jwk[name] for name in ("kty", "crv", "alg", "use")} == {"EC", "P-256", "ES256", "sig"}
    assert "d" not in jwk
    assert len(signer.sign(b"data")) == 64


def test_pem_signer_refuses_other_curves(tmp_path: Path) -> None:
    with pytest.raises(KeyProviderError):
        PemJwsSigner(ec.generate_private_key(ec.SECP384R1()))
    path = tmp_path / "missing.pem"
    with pytest.raises(KeyProviderError) as caught:
        PemJwsSigner.from_file(path)
    assert caught.value.code == "keys.unreadable"


def test_jwks_lists_each_key_once(shc_signer: PemJwsSigner) -> None:
    other = PemJwsSigner(ec.generate_private_key(ec.SECP256R1()))
    document = jwks_for([shc_signer, other, shc_signer])
    assert [key["kid"] for key in document["keys"]] == [shc_signer.kid, other.kid]
    registry = TrustRegistry.from_jwks(document, issuer=ISSUER)
    assert registry.shc_keys(ISSUER, other.kid)


def _round_trip(signer: JwsSigner, bundle: dict[str, Any]) -> Status:
    issued = issue_shc(bundle, signer, issuer=ISSUER, issued_at=ISSUED_AT)
    registry = TrustRegistry.from_jwks(jwks_for([signer]), issuer=ISSUER)
    return verify_shc(issued.text, registry, at=AT).status


def test_dsc_pem_signer_signs_health_cards(signer: PemSigner, vaccination_bundle: dict[str, Any]) -> None:
    adapter = CoseSignerAdapter(signer)
    assert _round_trip(adapter, vaccination_bundle) is Status.VERIFIED


def test_adapter_refuses_rsa_dsc(rsa_signer: PemSigner) -> None:
    with pytest.raises(KeyProviderError) as caught:
        CoseSignerAdapter(rsa_signer)
    assert caught.value.code == "keys.unsupported"


@pytest.fixture(scope="module")
def hsm_signer(softhsm_token: str, csca: IssuedKeyPair) -> Iterator[Pkcs11Signer]:
    config = HsmConfig(softhsm_token, HSM_PIN, SOFTHSM_MODULE)
    with HsmSession(config, read_write=True) as session:
        session.generate_key("shc-es256", "ES256")
        csr = csr_for_hsm_key(session, "shc-es256", "HSM shc-es256")
        certificate = sign_csr(csca, csr, certificate_types=("v",), valid_from=PKI_START, validity=PKI_VALIDITY)
        session.store_certificate(
            "shc-es256", DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )
    with Pkcs11Signer(config, "shc-es256") as signer:
        yield signer


def test_hsm_signer_signs_health_cards(hsm_signer: Pkcs11Signer, vaccination_bundle: dict[str, Any]) -> None:
    adapter = CoseSignerAdapter(hsm_signer)
    assert adapter.kid == thumbprint(adapter.public_jwk())
    assert _round_trip(adapter, vaccination_bundle) is Status.VERIFIED
