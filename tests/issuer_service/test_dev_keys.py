"""Development mode (scripts/run's embedded defaults): comfortable, loud about it, and keeping its keys.

Separate processes with a clean environment, as scripts/run starts them: SoftHSM2 reads
SOFTHSM2_CONF once per process, and this test session's token must not decide the outcome.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SOFTHSM_MODULE
from vaxcert import DocumentSignerCertificate


def _env(data: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VAXCERT_", "SOFTHSM2_"))}
    return {**clean, "VAXCERT_DATA_DIR": str(data), **extra}


def _admin(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "issuer_service.admin", *argv], env=env, capture_output=True, text=True, timeout=120
    )
    return done


def _dscs(listing: str) -> list[list[str]]:
    return [line.split() for line in listing.splitlines()[1:] if line.split()[1:2] == ["dsc"]]


@pytest.fixture
def softhsm() -> None:
    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        if os.environ.get("CI"):
            pytest.fail("softhsm2 is not installed; scripts/test installs it")
        pytest.skip("softhsm2 is not installed (scripts/test installs it)")


def test_restarts_keep_the_same_keys_and_say_development(tmp_path: Path, softhsm: None) -> None:
    env = _env(tmp_path / "data")
    first = _admin(env, "keys", "list")
    again = _admin(env, "keys", "list")
    assert first.returncode == again.returncode == 0, first.stderr
    assert _dscs(first.stdout) == _dscs(again.stdout)
    [dsc] = _dscs(first.stdout)
    assert dsc[2:5] == ["active", "vtr", "softhsm-dev"]  # SoftHSM2 is installed: the DSC key lives in a token
    for done in (first, again):
        assert "DEVELOPMENT MODE" in done.stderr
    exported = DocumentSignerCertificate.load(tmp_path / "data" / "dev-pki" / "dsc.pem")
    assert exported.kid.hex() == dsc[0]


def test_an_existing_pem_key_is_kept_when_softhsm_appears(tmp_path: Path, softhsm: None) -> None:
    """The issue's trap: a data folder made without SoftHSM2 must not switch to a new token key later."""
    data = tmp_path / "data"
    made = _admin(_env(data, VAXCERT_DEV_KEYS="pem"), "keys", "list")
    assert made.returncode == 0, made.stderr
    [dsc] = _dscs(made.stdout)
    # As a data folder from before keys were recorded: the database knows no keys yet.
    with sqlite3.connect(data / "issuer.db") as connection:
        connection.execute("DELETE FROM signing_keys")
    later = _admin(_env(data), "keys", "list")  # auto, SoftHSM2 installed
    assert later.returncode == 0, later.stderr
    assert _dscs(later.stdout) == [dsc] and dsc[4] == "pem-dev"
    assert not (data / "dev-pki" / "softhsm").exists()
    # Asking for SoftHSM2 explicitly is refused rather than switching.
    refused = _admin(_env(data, VAXCERT_DEV_KEYS="softhsm"), "keys", "list")
    assert refused.returncode == 1 and "[startup.key_provider_changed]" in refused.stderr


def test_development_rotation_creates_a_key_and_exports_it(tmp_path: Path) -> None:
    env = _env(tmp_path / "data", VAXCERT_DEV_KEYS="pem")
    assert _admin(env, "keys", "list").returncode == 0
    rotated = _admin(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    listing = _admin(env, "keys", "list").stdout
    old, new = _dscs(listing)
    assert old[2] == "retired" and new[2:4] == ["active", "vtr"]
    current = DocumentSignerCertificate.load(tmp_path / "data" / "dsc" / "current-v.pem")
    assert current.kid.hex() == new[0]
    assert DocumentSignerCertificate.load(tmp_path / "data" / "dev-pki" / "dsc.pem") == current
    # The list signer is the development PEM anchor verifiers pinned; it is not rotated by accident.
    refused = _admin(env, "keys", "rotate", "--list-signer")
    assert refused.returncode == 1 and "dev-pki/anchor.pem" in refused.stderr
