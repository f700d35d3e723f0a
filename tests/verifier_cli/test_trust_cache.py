"""The cached trust list as a multi-framework registry, for formats other than HCERT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import PKI_START, PKI_VALIDITY, VECTORS
from vaxcert import PemSigner, trustlist
from vaxcert.pki import create_csca
from vaxcert.trustlist import TrustListEntry, TrustListError
from verifier_cli.trust_cache import TrustCache, cached_registry

ISSUED = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def anchor(tmp_path_factory: pytest.TempPathFactory) -> tuple[PemSigner, Path]:
    folder = tmp_path_factory.mktemp("anchor")
    pair = create_csca(common_name="TL signer", valid_from=PKI_START, validity=PKI_VALIDITY)
    (folder / "anchor.pem").write_bytes(pair.certificate_pem())
    (folder / "anchor-key.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / "anchor-key.pem", folder / "anchor.pem"), folder / "anchor.pem"


def test_cached_registry_holds_every_framework(
    tmp_path: Path, anchor: tuple[PemSigner, Path], signer: PemSigner
) -> None:
    imported = trustlist.keys_from_registry((VECTORS / "trust-registry.json").read_bytes())
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate)],
        sequence=4,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(hours=48),
        keys=imported.keys,
    )
    (tmp_path / "list.cose").write_bytes(trustlist.sign(content, anchor[0]))
    cache = TrustCache(tmp_path / "cache")
    with pytest.raises(TrustListError) as info:
        cached_registry(cache.folder)
    assert info.value.code == "trust.no_cache"
    cache.pin(anchor[1])
    cache.update(str(tmp_path / "list.cose"))
    cached = cached_registry(cache.folder)
    assert cached.sequence == 4 and cached.next_update == content.next_update
    assert set(cached.registry.keys) == {(k.framework, k.key_id) for k in imported.keys} | {
        ("DCC", signer.certificate.kid_b64)
    }
    assert not cached.is_stale(ISSUED + timedelta(hours=47)) and cached.is_stale(ISSUED + timedelta(hours=49))
    # the cache folder is not trusted more than the network: a list it holds is verified again
    (cache.folder / "trust-list.cose").write_bytes((tmp_path / "list.cose").read_bytes()[:-1] + b"\x00")
    with pytest.raises(TrustListError):
        cached_registry(cache.folder)


def test_the_default_cache_folder_is_used(
    tmp_path: Path, anchor: tuple[PemSigner, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAXCERT_HOME", str(tmp_path / "home"))
    cache = TrustCache(tmp_path / "home")
    cache.pin(anchor[1])
    content = trustlist.build([], sequence=1, issued_at=ISSUED, next_update=ISSUED + timedelta(hours=1))
    (tmp_path / "list.cose").write_bytes(trustlist.sign(content, anchor[0]))
    cache.update(str(tmp_path / "list.cose"))
    assert cached_registry().sequence == 1 and len(cached_registry().registry) == 0
