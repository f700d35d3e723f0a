"""The PKCS#11 key provider against a real SoftHSM2 token (no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import HSM_PIN, PKI_START, PKI_VALIDITY, SOFTHSM_MODULE
from vaxcert import DocumentSignerCertificate, KeyProviderError, Signer, TrustStore, issue, verify
from vaxcert.cose import CoseAlgorithm
from vaxcert.hsm import HsmConfig, HsmSession, Pkcs11Signer, read_pin
from vaxcert.pki import IssuedKeyPair, csr_for_hsm_key, sign_csr

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def config(softhsm_token: str) -> HsmConfig:
    return HsmConfig(softhsm_token, HSM_PIN, SOFTHSM_MODULE)


def _provision(config: HsmConfig, csca: IssuedKeyPair, label: str, algorithm: str, types: str) -> None:
    """The key custodian's steps: key in the HSM, CSR, CSCA signs, DSC imported."""
    with HsmSession(config, read_write=True) as session:
        session.generate_key(label, algorithm)
        csr = csr_for_hsm_key(session, label, f"HSM {label}")
        certificate = sign_csr(csca, csr, certificate_types=tuple(types), valid_from=PKI_START, validity=PKI_VALIDITY)
        from cryptography.hazmat.primitives import serialization

        session.store_certificate(
            label, DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )


@pytest.fixture(scope="module")
def es256_hsm_signer(config: HsmConfig, csca: IssuedKeyPair) -> Any:
    _provision(config, csca, "dsc-es256", "ES256", "vtr")
    with Pkcs11Signer(config, "dsc-es256") as signer:
        yield signer


def test_hsm_signer_issues_verifiable_certificates(
    es256_hsm_signer: Pkcs11Signer, vaccination_payload: dict[str, Any]
) -> None:
    assert isinstance(es256_hsm_signer, Signer)
    assert es256_hsm_signer.algorithm is CoseAlgorithm.ES256
    issued = issue(vaccination_payload, es256_hsm_signer, issued_at=NOW - timedelta(days=1))
    report = verify(issued.text, TrustStore.of([es256_hsm_signer.certificate]), at=NOW)
    assert report.valid, report.failures
    assert report.signer is not None and report.signer.subject.startswith("CN=HSM dsc-es256")


def test_ps256_in_the_hsm(config: HsmConfig, csca: IssuedKeyPair, test_payload: dict[str, Any]) -> None:
    _provision(config, csca, "dsc-ps256", "PS256", "t")
    with Pkcs11Signer(config, "dsc-ps256") as signer:
        assert signer.algorithm is CoseAlgorithm.PS256
        issued = issue(test_payload, signer, issued_at=NOW - timedelta(days=1))
        assert verify(issued.text, TrustStore.of([signer.certificate]), at=NOW).valid


def test_keys_are_not_extractable(config: HsmConfig, es256_hsm_signer: Pkcs11Signer) -> None:
    from pkcs11 import Attribute

    with HsmSession(config) as session:
        handle = session.private_key_handle("dsc-es256")
        assert handle[Attribute.SENSITIVE] is True and handle[Attribute.EXTRACTABLE] is False


def test_import_refuses_a_certificate_for_another_key(
    config: HsmConfig, es256_hsm_signer: Pkcs11Signer, signer: Any
) -> None:
    with HsmSession(config, read_write=True) as session, pytest.raises(KeyProviderError) as info:
        session.store_certificate("dsc-es256", signer.certificate)
    assert info.value.code == "keys.mismatch"


def test_duplicate_key_label_is_refused(config: HsmConfig, es256_hsm_signer: Pkcs11Signer) -> None:
    with HsmSession(config, read_write=True) as session, pytest.raises(KeyProviderError) as info:
        session.generate_key("dsc-es256")
    assert info.value.code == "keys.key_exists"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"pin": "000000"}, "keys.wrong_pin"),
        ({"token_label": "no-such-token"}, "keys.token_not_found"),
    ],
)
def test_clear_errors_for_token_and_pin(config: HsmConfig, change: dict[str, str], code: str) -> None:
    bad = HsmConfig(**{"token_label": config.token_label, "pin": config.pin, "module": config.module, **change})
    with pytest.raises(KeyProviderError) as info:
        Pkcs11Signer(bad, "dsc-es256")
    assert info.value.code == code


def test_missing_key_and_module(config: HsmConfig) -> None:
    with pytest.raises(KeyProviderError) as info:
        Pkcs11Signer(config, "absent-key")
    assert info.value.code == "keys.key_not_found"
    with pytest.raises(KeyProviderError) as info:
        HsmSession(HsmConfig("x", "1", "/nonexistent/libpkcs11.so"))
    assert info.value.code == "keys.pkcs11_module"


def test_pin_is_never_shown(config: HsmConfig) -> None:
    assert HSM_PIN not in repr(config)


def test_read_pin_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("VAXCERT_HSM_PIN", raising=False)
    monkeypatch.delenv("VAXCERT_HSM_PIN_FILE", raising=False)
    with pytest.raises(KeyProviderError) as info:
        read_pin()
    assert info.value.code == "keys.no_pin"
    (tmp_path / "pin").write_text("4321\n", encoding="utf-8")
    monkeypatch.setenv("VAXCERT_HSM_PIN_FILE", str(tmp_path / "pin"))
    assert read_pin() == "4321"
    monkeypatch.setenv("VAXCERT_HSM_PIN", "9999")
    assert read_pin() == "9999"
