"""Which key signs: HSM keys by default, a development PEM key (with a loud warning) otherwise.

On first run with embedded defaults the service creates, inside its data
folder, a development CSCA, a SoftHSM2 token holding the DSC key (when
SoftHSM2 is installed), and a trust-list signer ("anchor").  None of it is
fit for production: production keys come from the certification centre's HSM.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from trust_list.files import write_atomically
from vaxcert import DocumentSignerCertificate, KeyProviderError, PemSigner, trustlist
from vaxcert.hsm import DEFAULT_MODULE, HsmConfig, HsmSession, Pkcs11Signer, read_pin
from vaxcert.keys import Signer
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc, csr_for_hsm_key, sign_csr

from .settings import Settings

log = logging.getLogger("vaxcert.issuer")
DEV_TOKEN = "vaxcert-dev"


@dataclass
class SignerSet:
    """The DSC signer per certificate type, and the trust-list signer."""

    by_type: dict[str, Signer]
    trust_list_signer: Signer | None
    mode: str  # "hsm", "softhsm-dev" or "pem-dev"
    closers: list[Callable[[], None]] = field(default_factory=list)

    def for_type(self, certificate_type: str) -> Signer:
        return self.by_type[certificate_type]

    def certificates(self) -> list[DocumentSignerCertificate]:
        unique = {signer.certificate.der: signer.certificate for signer in self.by_type.values()}
        return list(unique.values())

    def close(self) -> None:
        for close in self.closers:
            close()


def load_signers(settings: Settings) -> SignerSet:
    if settings.hsm_token:
        config = HsmConfig(settings.hsm_token, read_pin(), settings.hsm_module or DEFAULT_MODULE)
        signers: dict[str, Signer] = {}
        closers: list[Callable[[], None]] = []
        for kind in ("v", "t", "r"):
            label = settings.key_label_for(kind)
            existing = next((s for s in signers.values() if isinstance(s, Pkcs11Signer) and s.key_label == label), None)
            if existing is None:
                existing = Pkcs11Signer(config, label)
                closers.append(existing.close)
            signers[kind] = existing
        return SignerSet(signers, _anchor(settings.data_dir), "hsm", closers)
    return _development_signers(settings.data_dir, settings.dev_keys)


def _development_signers(data_dir: Path, preference: str) -> SignerSet:
    pki = data_dir / "dev-pki"
    csca = _dev_csca(pki)
    anchor = _anchor(data_dir)
    softhsm_installed = bool(shutil.which("softhsm2-util")) and Path(DEFAULT_MODULE).exists()
    own_config = str((pki / "softhsm" / "softhsm2.conf").resolve())
    # SoftHSM reads SOFTHSM2_CONF once per process; another configuration already in use wins.
    config_free = os.environ.get("SOFTHSM2_CONF") in (None, own_config)
    if preference == "softhsm" or (preference == "auto" and softhsm_installed and config_free):
        signer = _softhsm_signer(pki, csca)
        log.warning("DEVELOPMENT keys: DSC key in a local SoftHSM2 token under %s, not a production HSM", pki)
        return SignerSet({"v": signer, "t": signer, "r": signer}, anchor, "softhsm-dev", [signer.close])
    log.warning(
        "!!! DEVELOPMENT ONLY: the DSC private key is a PEM file in %s (no HSM token configured%s). "
        "Never issue real certificates like this. !!!",
        pki,
        "" if softhsm_installed else ", SoftHSM2 not installed",
    )
    if not (pki / "dsc.pem").exists():
        dsc = create_dsc(csca, common_name="VN DCC DSC (DEVELOPMENT, PEM KEY)")
        assert isinstance(dsc, IssuedKeyPair)
        write_atomically(pki / "dsc-key.pem", dsc.private_key_pem(), mode=0o600)
        write_atomically(pki / "dsc.pem", dsc.certificate_pem())
    pem = PemSigner.from_files(pki / "dsc-key.pem", pki / "dsc.pem")
    return SignerSet({"v": pem, "t": pem, "r": pem}, anchor, "pem-dev")


def _dev_csca(pki: Path) -> IssuedKeyPair:
    if not (pki / "csca.pem").exists():
        pair = create_csca(common_name="VN DCC CSCA (DEVELOPMENT ONLY)")
        write_atomically(pki / "csca-key.pem", pair.private_key_pem(), mode=0o600)
        write_atomically(pki / "csca.pem", pair.certificate_pem())
    key = serialization.load_pem_private_key((pki / "csca-key.pem").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((pki / "csca.pem").read_bytes())
    return IssuedKeyPair(key, certificate)  # type: ignore[arg-type]


def _anchor(data_dir: Path) -> Signer | None:
    """The trust-list signer: ``anchor.pem`` + ``anchor-key.pem`` in the data folder's dev-pki."""
    pki = data_dir / "dev-pki"
    if not (pki / "anchor.pem").exists():
        pair = create_csca(common_name="VN DCC trust list signer (DEVELOPMENT ONLY)", organisation=None)
        write_atomically(pki / "anchor-key.pem", pair.private_key_pem(), mode=0o600)
        write_atomically(pki / "anchor.pem", pair.certificate_pem())
    return PemSigner.from_files(pki / "anchor-key.pem", pki / "anchor.pem")


def _softhsm_signer(pki: Path, csca: IssuedKeyPair) -> Pkcs11Signer:
    tokens = pki / "softhsm" / "tokens"
    config_path = pki / "softhsm" / "softhsm2.conf"
    pin_path = pki / "softhsm" / "pin"
    if not config_path.exists():
        tokens.mkdir(parents=True, exist_ok=True)
        write_atomically(
            config_path,
            f"directories.tokendir = {tokens.resolve()}\nobjectstore.backend = file\nlog.level = ERROR\n".encode(),
        )
    os.environ["SOFTHSM2_CONF"] = str(config_path.resolve())
    if not pin_path.exists():
        pin = secrets.token_hex(8)
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                DEV_TOKEN,
                "--so-pin",
                secrets.token_hex(8),
                "--pin",
                pin,
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "SOFTHSM2_CONF": str(config_path.resolve())},
        )
        write_atomically(pin_path, pin.encode(), mode=0o600)
    config = HsmConfig(DEV_TOKEN, pin_path.read_text().strip())
    with HsmSession(config, read_write=True) as session:
        if session.certificate("dsc") is None:
            try:
                session.public_key("dsc")
            except KeyProviderError:  # no key yet: first run
                session.generate_key("dsc")
            certificate = sign_csr(
                csca, csr_for_hsm_key(session, "dsc", "VN DCC DSC (DEVELOPMENT, SoftHSM2)"), certificate_types="vtr"
            )
            session.store_certificate(
                "dsc", DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
            )
    return Pkcs11Signer(config, "dsc")


def publish_trust_list(signers: SignerSet, data_dir: Path, hours: float) -> bytes | None:
    """Sign a fresh trust list of our DSCs into ``<data dir>/trust-list.cose``; return it."""
    if signers.trust_list_signer is None:
        return None
    now = datetime.now(UTC).replace(microsecond=0)
    entries = [trustlist.TrustListEntry.for_certificate(d.country or "VN", d) for d in signers.certificates()]
    content = trustlist.build(
        entries, sequence=int(now.timestamp()), issued_at=now, next_update=now + timedelta(hours=hours)
    )
    signed = trustlist.sign(content, signers.trust_list_signer)
    write_atomically(data_dir / "trust-list.cose", signed)
    return signed


def revocation_list(signers: SignerSet, revoked: list[tuple[str, str, datetime]], hours: float) -> bytes | None:
    """A signed revocation list of every revoked certificate (all three EU hash types)."""
    if signers.trust_list_signer is None:
        return None
    from vaxcert import revocation

    entries = []
    for _, hc1, _ in revoked:
        kid, hashes = revocation.hashes_for_code(hc1)
        entries.extend((kid or b"", hash_type, value) for hash_type, value in hashes.items())
    now = datetime.now(UTC).replace(microsecond=0)
    listed = revocation.build(
        entries, sequence=int(now.timestamp()), issued_at=now, next_update=now + timedelta(hours=hours)
    )
    return revocation.sign(listed, signers.trust_list_signer)
