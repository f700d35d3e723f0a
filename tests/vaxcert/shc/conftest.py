"""Shared SMART Health Card fixtures: a throw-away issuer key, its trust registry, and the vector bundles."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import load_vector_file
from vaxcert.registry import TrustRegistry
from vaxcert.shc import PemJwsSigner, jwks_for

ISSUER = "https://vaxcert.example/shc"
ISSUED_AT = datetime(2024, 1, 1, tzinfo=UTC)
AT = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def shc_signer() -> PemJwsSigner:
    return PemJwsSigner(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def shc_registry(shc_signer: PemJwsSigner) -> TrustRegistry:
    return TrustRegistry.from_jwks(jwks_for([shc_signer]), issuer=ISSUER)


@pytest.fixture
def vaccination_bundle() -> dict[str, Any]:
    return copy.deepcopy(load_vector_file("shc/bundle-vaccination.json"))
