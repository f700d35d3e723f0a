"""One throw-away ICAO PKI and seal data per test session: keys are slow to make; tests copy data before editing."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.vaxcert.vds.pki import Issued, make_csca, make_signer, vector


@pytest.fixture(scope="session")
def csca() -> Issued:
    return make_csca()


@pytest.fixture(scope="session")
def signer(csca: Issued) -> Issued:
    return make_signer(csca)


@pytest.fixture(scope="session")
def signers(csca: Issued) -> dict[str, Issued]:
    """A signer of ``csca`` for each VDS-NC algorithm."""
    return {
        "ES256": make_signer(csca, curve=ec.SECP256R1(), serial=256),
        "ES384": make_signer(csca, curve=ec.SECP384R1(), serial=384),
        "ES512": make_signer(csca, curve=ec.SECP521R1(), serial=512),
    }


@pytest.fixture(scope="session")
def vaccination() -> dict[str, Any]:
    data: dict[str, Any] = vector("vaccination.json")
    return data


@pytest.fixture(scope="session")
def test_result() -> dict[str, Any]:
    data: dict[str, Any] = vector("test-result.json")
    return data
