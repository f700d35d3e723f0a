"""Shared fixtures: a development PKI made once per test session."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from vaxcert import PemSigner, TrustStore
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "spec" / "vectors"

# Fixed and long so tests that pass explicit clocks work whatever today's date is.
PKI_START = datetime(2026, 1, 1, tzinfo=UTC)
PKI_VALIDITY = timedelta(days=25 * 365)

# Health checks about how fast or how big generated data is are no verdict on the code, and on a
# noisy CI machine they fail at random: off everywhere (tests that set their own list add to it).
QUIET_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", deadline=None, suppress_health_check=QUIET_HEALTH_CHECKS)
settings.load_profile("ci")


# A name used in test payloads (bulk, API, CLI).  It must never appear in any log line of the
# whole test session: see capture_all_logs and pytest_sessionfinish below.
SENTINEL = "SENTINELNAME"
_LOGGED: list[str] = []


class _Everything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _LOGGED.append(self.format(record))
        except Exception:  # a record that cannot be formatted: keep its raw parts
            _LOGGED.append(f"{record.msg!r} {record.args!r}")


def record_process_output(text: str | bytes) -> None:
    """Add what a spawned service or CLI process wrote (its stderr) to the session's log check."""
    _LOGGED.append(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)


def leaked_log_lines(needle: str = SENTINEL) -> list[str]:
    return [line for line in _LOGGED if needle in line]


@pytest.fixture(scope="session", autouse=True)
def capture_all_logs() -> Iterator[None]:
    """Every log record of the session (tracebacks included), for the personal-data check."""
    handler = _Everything(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, logging.INFO))
    yield
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture(autouse=True)
def default_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Human output in the default language (Vietnamese) whatever the developer's $VAXCERT_LANG."""
    monkeypatch.delenv("VAXCERT_LANG", raising=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaked = leaked_log_lines()
    if leaked:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"personal data in logs: {len(leaked)} log lines carry {SENTINEL!r}, e.g. {leaked[0][:300]!r}"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def load_vector_file(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _signer(csca: IssuedKeyPair, tmp: Path, name: str, types: tuple[str, ...], algorithm: str = "ES256") -> PemSigner:
    from vaxcert.pki import new_key

    dsc = create_dsc(
        csca,
        common_name=f"test {name}",
        certificate_types=types,
        key=new_key(algorithm),
        valid_from=PKI_START,
        validity=PKI_VALIDITY,
    )
    assert isinstance(dsc, IssuedKeyPair)
    (tmp / f"{name}.pem").write_bytes(dsc.certificate_pem())
    (tmp / f"{name}-key.pem").write_bytes(dsc.private_key_pem())
    return PemSigner.from_files(tmp / f"{name}-key.pem", tmp / f"{name}.pem")


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="session")
def csca() -> IssuedKeyPair:
    return create_csca(common_name="test CSCA", valid_from=PKI_START, validity=PKI_VALIDITY)


@pytest.fixture(scope="session")
def signer(csca: IssuedKeyPair, pki_dir: Path) -> PemSigner:
    return _signer(csca, pki_dir, "dsc-all", ("v", "t", "r"))


@pytest.fixture(scope="session")
def rsa_signer(csca: IssuedKeyPair, pki_dir: Path) -> PemSigner:
    return _signer(csca, pki_dir, "dsc-rsa", ("v", "t", "r"), "PS256")


@pytest.fixture(scope="session")
def vaccination_signer(csca: IssuedKeyPair, pki_dir: Path) -> PemSigner:
    return _signer(csca, pki_dir, "dsc-vaccination", ("v",))


@pytest.fixture(scope="session")
def trust(signer: PemSigner, rsa_signer: PemSigner, vaccination_signer: PemSigner) -> TrustStore:
    return TrustStore.of([signer.certificate, rsa_signer.certificate, vaccination_signer.certificate])


@pytest.fixture
def vaccination_payload() -> dict[str, Any]:
    return json.loads((VECTORS / "payloads" / "vn-vaccination.json").read_text(encoding="utf-8"))


@pytest.fixture
def test_payload() -> dict[str, Any]:
    return json.loads((VECTORS / "payloads" / "vn-test.json").read_text(encoding="utf-8"))


@pytest.fixture
def recovery_payload() -> dict[str, Any]:
    return json.loads((VECTORS / "payloads" / "vn-recovery.json").read_text(encoding="utf-8"))


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
HSM_PIN = "123456"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SoftHSM2 token in a temporary directory; returns its label.

    SoftHSM reads SOFTHSM2_CONF when the module is first loaded, so this must
    run before anything in the session touches the PKCS#11 library.
    """
    import os
    import shutil
    import subprocess

    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        if os.environ.get("CI"):
            pytest.fail("softhsm2 is not installed; scripts/test installs it")
        pytest.skip("softhsm2 is not installed (scripts/test installs it)")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    os.environ["SOFTHSM2_CONF"] = str(config)
    label = "vaxcert-test"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "87654321", "--pin", HSM_PIN],
        check=True,
        capture_output=True,
    )
    return label
