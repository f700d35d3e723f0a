"""Development keys: a local CSCA, a SoftHSM2 token or PEM files in ``<data dir>/dev-pki``.

Only development mode imports this module; production mode never does, so
nothing here can create a key, a token or a PIN in production.  Everything
it makes is marked DEVELOPMENT in its certificate subject.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vaxcert import DocumentSignerCertificate, KeyProviderError, PemSigner
from vaxcert.hsm import DEFAULT_MODULE, HsmConfig, HsmSession, Pkcs11Signer
from vaxcert.keys import Signer
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc, csr_for_hsm_key, sign_csr
from vaxcert_apps.files import write_atomically

log = logging.getLogger("vaxcert.issuer")
DEV_TOKEN = "vaxcert-dev"
SOFTHSM, PEM = "softhsm-dev", "pem-dev"
FIRST_PEM_KEY = "dsc-key.pem"  # label of the first PEM DSC (the file name under dev-pki)
FIRST_SOFTHSM_KEY = "dsc"


def pki_dir(data_dir: Path) -> Path:
    return data_dir / "dev-pki"


@contextmanager
def provisioning_lock(data_dir: Path) -> Iterator[None]:
    """Several service processes starting at once must not each create keys."""
    pki = pki_dir(data_dir)
    pki.mkdir(parents=True, exist_ok=True)
    handle = os.open(pki / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


def softhsm_installed() -> bool:
    return bool(shutil.which("softhsm2-util")) and Path(DEFAULT_MODULE).exists()


def _own_config(data_dir: Path) -> Path:
    return (pki_dir(data_dir) / "softhsm" / "softhsm2.conf").resolve()


def choose_provider(data_dir: Path, preference: str) -> str:
    """The provider for a data folder with no recorded keys: what it already holds, else the preference."""
    pki = pki_dir(data_dir)
    if (pki / "softhsm" / "pin").exists():
        return SOFTHSM
    if (pki / FIRST_PEM_KEY).exists():
        return PEM
    # SoftHSM reads SOFTHSM2_CONF once per process; another configuration already in use wins.
    config_free = os.environ.get("SOFTHSM2_CONF") in (None, str(_own_config(data_dir)))
    if preference == "softhsm" or (preference == "auto" and softhsm_installed() and config_free):
        return SOFTHSM
    return PEM


def existing_dscs(data_dir: Path) -> list[tuple[str, str, DocumentSignerCertificate]]:
    """(provider, label, certificate) of the development DSCs an earlier run left in the data folder."""
    pki = pki_dir(data_dir)
    found: list[tuple[str, str, DocumentSignerCertificate]] = []
    if (pki / FIRST_PEM_KEY).exists() and (pki / "dsc.pem").exists():
        with contextlib.suppress(ValueError, OSError):  # dsc.pem may since hold another key's certificate
            found.append((PEM, FIRST_PEM_KEY, PemSigner.from_files(pki / FIRST_PEM_KEY, pki / "dsc.pem").certificate))
    for key in sorted(pki.glob("dsc-*-key.pem")):
        certificate = key.with_name(key.name.replace("-key.pem", ".pem"))
        if certificate.exists():
            found.append((PEM, key.name, DocumentSignerCertificate.load(certificate)))
    if (pki / "softhsm" / "pin").exists():
        with HsmSession(softhsm_config(data_dir)) as session:
            for label in session_labels(session):
                certificate_found = session.certificate(label)
                if certificate_found is not None:
                    found.append((SOFTHSM, label, certificate_found))
    return found


def session_labels(session: HsmSession) -> list[str]:
    from pkcs11 import Attribute, ObjectClass

    raw = session._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
    return sorted({str(item[Attribute.LABEL]) for item in raw})


def dev_csca(data_dir: Path) -> IssuedKeyPair:
    pki = pki_dir(data_dir)
    if not (pki / "csca.pem").exists():
        pair = create_csca(common_name="VN DCC CSCA (DEVELOPMENT ONLY)")
        write_atomically(pki / "csca-key.pem", pair.private_key_pem(), mode=0o600)
        write_atomically(pki / "csca.pem", pair.certificate_pem())
    key = serialization.load_pem_private_key((pki / "csca-key.pem").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((pki / "csca.pem").read_bytes())
    return IssuedKeyPair(key, certificate)  # type: ignore[arg-type]


def pem_anchor(data_dir: Path) -> PemSigner:
    """The development list signer: ``anchor.pem`` + ``anchor-key.pem`` (verifiers pin anchor.pem)."""
    pki = pki_dir(data_dir)
    if not (pki / "anchor.pem").exists():
        pair = create_csca(common_name="VN DCC trust list signer (DEVELOPMENT ONLY)", organisation=None)
        write_atomically(pki / "anchor-key.pem", pair.private_key_pem(), mode=0o600)
        write_atomically(pki / "anchor.pem", pair.certificate_pem())
    return PemSigner.from_files(pki / "anchor-key.pem", pki / "anchor.pem")


def softhsm_config(data_dir: Path) -> HsmConfig:
    """The development SoftHSM2 token (created once, with a random PIN kept in the data folder)."""
    softhsm = pki_dir(data_dir) / "softhsm"
    tokens, config_path, pin_path = softhsm / "tokens", softhsm / "softhsm2.conf", softhsm / "pin"
    if not config_path.exists():
        tokens.mkdir(parents=True, exist_ok=True)
        write_atomically(
            config_path,
            f"directories.tokendir = {tokens.resolve()}\nobjectstore.backend = file\nlog.level = ERROR\n".encode(),
        )
    os.environ["SOFTHSM2_CONF"] = str(config_path.resolve())
    if not pin_path.exists():
        pin = secrets.token_hex(8)
        command = ["softhsm2-util", "--init-token", "--free", "--label", DEV_TOKEN]
        subprocess.run(
            [*command, "--so-pin", secrets.token_hex(8), "--pin", pin],
            check=True,
            capture_output=True,
            env={**os.environ, "SOFTHSM2_CONF": str(config_path.resolve())},
        )
        write_atomically(pin_path, pin.encode(), mode=0o600)
    return HsmConfig(DEV_TOKEN, pin_path.read_text().strip())


def new_dsc(data_dir: Path, provider: str, label: str | None = None) -> tuple[str, DocumentSignerCertificate]:
    """Create a development DSC (all types) for ``provider``; returns (label, certificate)."""
    csca = dev_csca(data_dir)
    pki = pki_dir(data_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    if provider == PEM:
        label = label or (FIRST_PEM_KEY if not (pki / FIRST_PEM_KEY).exists() else f"dsc-{stamp}-key.pem")
        dsc = create_dsc(csca, common_name="VN DCC DSC (DEVELOPMENT, PEM KEY)")
        assert isinstance(dsc, IssuedKeyPair)
        certificate_file = "dsc.pem" if label == FIRST_PEM_KEY else label.replace("-key.pem", ".pem")
        write_atomically(pki / label, dsc.private_key_pem(), mode=0o600)
        write_atomically(pki / certificate_file, dsc.certificate_pem())
        return label, dsc.document_signer()
    label = label or f"dsc-{stamp}"
    with HsmSession(softhsm_config(data_dir), read_write=True) as session:
        existing = session.certificate(label)
        if existing is not None:
            return label, existing
        try:
            session.public_key(label)
        except KeyProviderError:  # no key under this label yet
            session.generate_key(label)
        certificate = sign_csr(
            csca, csr_for_hsm_key(session, label, "VN DCC DSC (DEVELOPMENT, SoftHSM2)"), certificate_types="vtr"
        )
        dsc_certificate = DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        session.store_certificate(label, dsc_certificate)
    return label, dsc_certificate


def signer(data_dir: Path, provider: str, label: str, certificate: DocumentSignerCertificate) -> Signer:
    """The signer for a recorded development key (never creates one)."""
    if provider == PEM:
        key_path = pki_dir(data_dir) / label
        if not key_path.exists():
            raise KeyProviderError("keys.key_not_found", f"the development key file {key_path} is gone")
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return PemSigner(key, certificate)  # type: ignore[arg-type]
    return Pkcs11Signer(softhsm_config(data_dir), label, certificate)


def hsm_key(
    config: HsmConfig, label: str, data_dir: Path, common_name: str = "VN DCC list signer (DEVELOPMENT)"
) -> DocumentSignerCertificate:
    """Development only: a key in the configured token, certified by the development CSCA."""
    csca = dev_csca(data_dir)
    with HsmSession(config, read_write=True) as session:
        existing = session.certificate(label)
        if existing is not None:
            return existing
        try:
            session.public_key(label)
        except KeyProviderError:
            session.generate_key(label)
        certificate = sign_csr(csca, csr_for_hsm_key(session, label, common_name), certificate_types="vtr")
        found = DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        session.store_certificate(label, found)
    log.warning("DEVELOPMENT: created key %r in HSM token %r", label, config.token_label)
    return found
