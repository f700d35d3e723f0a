"""Shared by the DIVOC tests: the vectors in spec/vectors/divoc and the test issuers' keys."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.conftest import VECTORS
from vaxcert.registry import TrustRegistry

DIVOC = VECTORS / "divoc"
AT = datetime.fromisoformat("2024-06-01T12:00:00+00:00")
RSA_DID = "did:vaxcert-test:rsa"
ED_DID = "did:vaxcert-test:ed25519"
OTHER_DID = "did:vaxcert-test:other"
CREATED = "2024-05-02T08:00:00Z"


def cases() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DIVOC / "cases.json").read_text(encoding="utf-8"))
    return loaded


def payload(case: dict[str, Any]) -> bytes:
    return base64.b64decode(case["payload"])


def registry() -> TrustRegistry:
    return TrustRegistry.load(registries=[DIVOC / "registry.json"])


def template(version: str = "v2") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DIVOC / f"credential-{version}.json").read_text(encoding="utf-8"))
    return loaded


def rsa_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((DIVOC / "keys" / "issuer-rsa-2048.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def ed25519_key(label: str = "vaxcert divoc test ed25519") -> ed25519.Ed25519PrivateKey:
    """The generator's Ed25519 keys derive from labels (spec/vectors/divoc/generate.py)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


OTHER_LABEL = "vaxcert divoc test other issuer"
