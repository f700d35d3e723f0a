"""Shared SMART Health Card fixtures: a throw-away issuer key, its trust registry, and the vector bundles."""

from __future__ import annotations

import copy
import json
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


def signed_card(
    signer: PemJwsSigner,
    claims: dict[str, Any] | bytes,
    header: dict[str, Any] | bytes | None = None,
    *,
    deflate: bool = True,
) -> str:
    """A ``shc:/`` text over any header and claims, really signed by ``signer`` (for forgeries and edge cases)."""
    from vaxcert.shc import inflate, jws, numeric

    if header is None:
        header = {"alg": "ES256", "zip": "DEF", "kid": signer.kid}
    header_bytes = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    body = claims if isinstance(claims, bytes) else json.dumps(claims, separators=(",", ":")).encode()
    if deflate:
        body = inflate.encode(body)
    signing_input = f"{jws.b64url_encode(header_bytes)}.{jws.b64url_encode(body)}".encode()
    return numeric.encode(jws.encode(header_bytes, body, signer.sign(signing_input)))


def card_claims(bundle: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Health-card claims around ``bundle``; ``extra`` members override or add top-level claims."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "nbf": int(ISSUED_AT.timestamp()),
        "vc": {
            "type": ["https://smarthealth.cards#health-card"],
            "credentialSubject": {"fhirVersion": "4.0.1", "fhirBundle": bundle},
        },
    }
    claims.update(extra)
    return claims
