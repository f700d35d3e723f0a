"""VAXCERT_ENV=production end to end, as separate processes against their own SoftHSM2 token.

The key custodian provisions the DSC and the list signer with ``vaxcert-trust pki`` (keys generated
inside the token); the service and admin CLI then run in production mode.  Every refusal is one
line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SOFTHSM_MODULE
from tests.issuer_service.conftest import _free_port
from vaxcert import DocumentSignerCertificate, TrustStore, trustlist, verify

TOKEN = "vaxcert-production-test"
DSC_LABEL, LIST_LABEL = "dsc-2026-h2", "list-signer"


@dataclass
class Hsm:
    config: Path
    pin: str
    csca: Path


def _run(command: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _trust(*argv: str, env: dict[str, str]) -> None:
    done = _run([sys.executable, "-m", "trust_list", *argv], env)
    assert done.returncode == 0, done.stderr


def _ceremony(label: str, common_name: str, folder: Path, csca: Path, env: dict[str, str]) -> None:
    """Key in the token, CSR signed inside it, the CSCA certifies it, the certificate goes back in."""
    _trust("pki", "hsm-keygen", "--label", label, env=env)
    _trust("pki", "csr", "--label", label, "--cn", common_name, "--out", str(folder / f"{label}.csr"), env=env)
    certificate = folder / f"{label}.pem"
    _trust(
        "pki",
        "sign-csr",
        "--csca-dir",
        str(csca),
        "--csr",
        str(folder / f"{label}.csr"),
        "--out",
        str(certificate),
        env=env,
    )
    _trust("pki", "import-dsc", "--label", label, "--cert", str(certificate), env=env)


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Hsm:
    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        if os.environ.get("CI"):
            pytest.fail("softhsm2 is not installed; scripts/test installs it")
        pytest.skip("softhsm2 is not installed (scripts/test installs it)")
    folder = tmp_path_factory.mktemp("production-hsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    pin = secrets.token_hex(12)
    env = {**_clean_environ(), "SOFTHSM2_CONF": str(config), "VAXCERT_HSM_TOKEN": TOKEN, "VAXCERT_HSM_PIN": pin}
    init = ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", secrets.token_hex(8)]
    assert _run([*init, "--pin", pin], env).returncode == 0
    ceremony = folder / "ceremony"  # outside the service's data folder, like the custodian's offline CSCA
    _trust("pki", "create-csca", "--out-dir", str(ceremony / "csca"), env=env)
    _ceremony(DSC_LABEL, "VN DCC DSC 2026-H2", ceremony, ceremony / "csca", env)
    _ceremony(LIST_LABEL, "VN DCC trust list signer", ceremony, ceremony / "csca", env)
    return Hsm(config, pin, ceremony / "csca")


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("VAXCERT_", "SOFTHSM2_"))}


@pytest.fixture
def production_env(hsm: Hsm, tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {
        **_clean_environ(),
        "SOFTHSM2_CONF": str(hsm.config),
        "VAXCERT_ENV": "production",
        "VAXCERT_HSM_TOKEN": TOKEN,
        "VAXCERT_HSM_PIN": hsm.pin,
        "VAXCERT_DSC_KEY_LABELS": DSC_LABEL,
        "VAXCERT_LIST_SIGNER_LABEL": LIST_LABEL,
        "VAXCERT_DATA_DIR": str(tmp_path / "data"),
        "VAXCERT_DATABASE_URL": database_url,
    }
    if database_url.startswith("sqlite"):
        env["VAXCERT_ALLOW_SQLITE"] = "1"
    return env


def _admin(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "issuer_service.admin", *argv], env)


def _refusal(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, done.stderr
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def service(production_env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "issuer_service.admin", "serve", "--port", str(port)],
        env=production_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, production_env
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_production_service_uses_only_hsm_keys(
    service: tuple[str, dict[str, str]], hsm: Hsm, vaccination_payload: dict[str, Any]
) -> None:
    base, env = service
    assert _admin(env, "org", "create", "Trung tâm Kiểm soát Bệnh tật").returncode == 0
    created = _admin(env, "key", "create", "--org", "Trung tâm Kiểm soát Bệnh tật", "--scopes", "issue")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert httpx.get(f"{base}/readyz").json() == {"status": "ready", "keys": "hsm"}
    issued = httpx.post(f"{base}/v1/certificates", json=vaccination_payload, headers={"Authorization": f"Bearer {key}"})
    assert issued.status_code == 201, issued.text
    data = Path(env["VAXCERT_DATA_DIR"])
    anchor = DocumentSignerCertificate.load(data / "list-signer.pem")
    listed = trustlist.verify(httpx.get(f"{base}/v1/trust-list").content, [anchor])
    report = verify(issued.json()["hc1"], listed.trust_store())
    assert report.valid, report.failures
    # Every key the service uses is a PKCS#11 object in the token: the DSC and the list signer.
    probe = (
        "import sys\n"
        "from cryptography.hazmat.primitives import serialization as s\n"
        "from vaxcert.hsm import HsmConfig, HsmSession\n"
        "with HsmSession(HsmConfig(sys.argv[1], sys.argv[2])) as session:\n"
        "    for label in sys.argv[3:]:\n"
        "        session.private_key_handle(label)\n"
        "        key = session.public_key(label).public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)\n"
        "        print(label, key.hex())\n"
    )
    found = _run([sys.executable, "-c", probe, TOKEN, hsm.pin, DSC_LABEL, LIST_LABEL], env)
    assert found.returncode == 0, found.stderr
    in_token = dict(line.split() for line in found.stdout.splitlines())
    from cryptography.hazmat.primitives import serialization

    def spki(certificate: DocumentSignerCertificate) -> str:
        encoded = certificate.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return encoded.hex()

    assert {spki(entry.certificate) for entry in listed.content.entries} == {in_token[DSC_LABEL]}
    assert spki(anchor) == in_token[LIST_LABEL]
    keys = _admin(env, "keys", "list")
    assert keys.returncode == 0, keys.stderr
    rows = keys.stdout.splitlines()[1:]
    assert len(rows) == 2 and all(" pkcs11 " in row for row in rows)
    # No private key anywhere in the data folder, and no development PKI.
    for path in data.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    assert not (data / "dev-pki").exists()
    # Production never even imports the development provisioning code.
    imported = _run([sys.executable, "-c", NO_DEV_IMPORT], env)
    assert imported.returncode == 0 and imported.stdout.split() == ["False"], imported.stderr
    assert TrustStore.of([DocumentSignerCertificate.load(data / "dsc" / "current-v.pem")]).by_kid


NO_DEV_IMPORT = (
    "import sys\n"
    "import issuer_service.app, issuer_service.admin\n"
    "from issuer_service.settings import Settings\n"
    "from issuer_service.signers import load_signers\n"
    "load_signers(Settings()).close()\n"
    "print('issuer_service.dev_keys' in sys.modules)\n"
)

REFUSALS = {
    "no HSM token": ({"VAXCERT_HSM_TOKEN": None}, "startup.no_hsm"),
    "the development token": ({"VAXCERT_HSM_TOKEN": "vaxcert-dev"}, "startup.dev_token"),
    "a DSC that is not provisioned": ({"VAXCERT_DSC_KEY_LABELS": "dsc-missing"}, "startup.no_dsc"),
    "a list signer that is not provisioned": ({"VAXCERT_LIST_SIGNER_LABEL": "list-missing"}, "startup.no_list_signer"),
    "no PIN": ({"VAXCERT_HSM_PIN": None}, "startup.no_pin"),
}


@pytest.mark.parametrize("command", [["serve"], ["org", "create", "X"]], ids=["serve", "admin"])
@pytest.mark.parametrize("case", list(REFUSALS))
def test_production_refuses(production_env: dict[str, str], case: str, command: list[str]) -> None:
    changes, code = REFUSALS[case]
    env = dict(production_env)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    line = _refusal(_admin(env, *command, *(["--port", str(_free_port())] if command == ["serve"] else [])))
    assert line.startswith("vaxcert-issuer: refusing to start:") and f"[{code}]" in line


def test_production_refuses_sqlite_unless_allowed(production_env: dict[str, str], database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("about the SQLite default")
    env = {k: v for k, v in production_env.items() if k != "VAXCERT_ALLOW_SQLITE"}
    assert "[startup.sqlite]" in _refusal(_admin(env, "migrate"))
    assert _admin(production_env, "migrate").returncode == 0


def test_production_refuses_the_development_pin(production_env: dict[str, str], hsm: Hsm) -> None:
    data = Path(production_env["VAXCERT_DATA_DIR"])
    pin_file = data / "dev-pki" / "softhsm" / "pin"
    pin_file.parent.mkdir(parents=True)
    pin_file.write_text(hsm.pin)
    env = {k: v for k, v in production_env.items() if k != "VAXCERT_HSM_PIN"}
    assert "[startup.dev_pin]" in _refusal(_admin({**env, "VAXCERT_HSM_PIN_FILE": str(pin_file)}, "migrate"))
    # The same PIN given directly is still the development token's PIN.
    assert "[startup.dev_pin]" in _refusal(_admin(production_env, "migrate"))


def test_production_refuses_development_keys_in_the_database(production_env: dict[str, str]) -> None:
    development = {k: v for k, v in production_env.items() if not k.startswith(("VAXCERT_ENV", "VAXCERT_HSM"))}
    development["VAXCERT_DEV_KEYS"] = "pem"
    started = _admin(development, "keys", "list")  # a development start records PEM keys
    assert started.returncode == 0, started.stderr
    line = _refusal(_admin(production_env, "org", "create", "X"))
    assert "[startup.dev_key]" in line and "development" in line
    line = _refusal(_admin(production_env, "serve", "--port", str(_free_port())))
    assert "[startup.dev_key]" in line


def test_an_unknown_environment_is_a_usage_error(production_env: dict[str, str]) -> None:
    done = _admin({**production_env, "VAXCERT_ENV": "prod"}, "migrate")
    assert done.returncode == 2
    assert _refusal(done).startswith("vaxcert-issuer: invalid configuration: VAXCERT_ENV: ")
