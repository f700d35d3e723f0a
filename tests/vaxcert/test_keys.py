from __future__ import annotations

from pathlib import Path

import pytest

from vaxcert import KeyProviderError, PemSigner, Signer
from vaxcert.cose import CoseAlgorithm


def test_pem_signer_is_a_signer(signer: PemSigner, rsa_signer: PemSigner) -> None:
    assert isinstance(signer, Signer)
    assert signer.algorithm is CoseAlgorithm.ES256 and len(signer.sign(b"data")) == 64
    assert rsa_signer.algorithm is CoseAlgorithm.PS256 and len(rsa_signer.sign(b"data")) == 384


def test_key_must_match_certificate(signer: PemSigner, vaccination_signer: PemSigner, pki_dir: Path) -> None:
    with pytest.raises(KeyProviderError) as info:
        PemSigner.from_files(pki_dir / "dsc-vaccination-key.pem", pki_dir / "dsc-all.pem")
    assert info.value.code == "keys.mismatch"


def test_unreadable_and_bad_keys(signer: PemSigner, pki_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyProviderError) as info:
        PemSigner.from_files(tmp_path / "absent.pem", pki_dir / "dsc-all.pem")
    assert info.value.code == "keys.unreadable"
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyProviderError) as info:
        PemSigner.from_files(tmp_path / "bad.pem", pki_dir / "dsc-all.pem")
    assert info.value.code == "keys.bad_key"
