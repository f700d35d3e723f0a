"""Write the trust-import vectors: a small multi-framework registry, JWK Sets, an SHC revocation list.

    python spec/vectors/trust_imports.py

Keys are the public keys of the certificates in ``keys/``; the broken entries are
written by hand.  ``trust-imports.json`` says what an import must keep and reject;
tests/vaxcert/test_trustlist.py and tests/trust_list/test_cli.py read them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxcert.trust import DocumentSignerCertificate

HERE = Path(__file__).parent
KEYS = HERE / "keys"
ISSUER = "https://shc.vaxcert-vectors.example"
# A brainpoolP256r1 key written with explicit curve parameters, as some ICAO CSCA keys in
# published registries are: well-formed, but not a key `cryptography` can use.
EXPLICIT_CURVE_KEY = (
    "MIIBMzCB7AYHKoZIzj0CATCB4AIBATAsBgcqhkjOPQEBAiEAqftX26Huqbw+ZgqQnYONcm479iPVJiAoIBNIHR9uU3cwRAQgfVoJdfwsMFfu9nUw"
    "QXr/5/uAVcEm3Fxs6UpLRPMwtdkEICbcXGzpSktE8zC12bvXfL+VhBYpXPfhzmvM3Bj/jAe2BEEEi9Kuuct+V8ssS0gv/IG3r7neJ+HjvSPCOkRT"
    "vZrOMmJUfvg1w9rE/Zf4RhoUYR3JwndFEy3tjlRcHVTHLwRplwIhAKn7V9uh7qm8PmYKkJ2DjXGMOXqjtWGm95AeDoKXSFanAgEBA0IABEJLmld5"
    "qgzcwbAp4PJAUAafHfpnKDaZEC8EqGoXBAYsSZ83JDcHfv66sT6WFEYV4cdGVULJEY5VgUG6/BV9cTQ="
)


def spki(name: str) -> bytes:
    key = DocumentSignerCertificate.load(KEYS / f"{name}.pem").public_key
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64url(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


def entry(key: bytes | None, **extra: object) -> dict[str, object]:
    found: dict[str, object] = {"displayName": {"en": "vaxcert vectors"}, "entityType": "issuer", "status": "current"}
    found["validFromDT"] = "2026-01-01T00:00:00.000Z"
    if key is not None:
        found["publicKey"] = b64(key)
    found.update(extra)
    return found


def main() -> None:
    dcc_kid = b64(DocumentSignerCertificate.load(KEYS / "dsc-es256-all.pem").kid)
    registry = {
        "DCC": {dcc_kid: entry(spki("dsc-es256-all"), validUntilDT="2028-01-01T00:00:00Z")},
        "SHC": {
            f"{ISSUER}#vector-kid-1": entry(spki("dsc-es256-vaccination")),
            f"{ISSUER}#vector-kid-terminated": entry(spki("dsc-es256-vaccination"), status="terminated"),
        },
        "ICAO": {
            "VN#vector-ski": entry(spki("csca")),
            "VN#not-a-key": entry(b"\x30\x03\x02\x01\x00"),
            "LV#explicit-curve": entry(base64.b64decode(EXPLICIT_CURVE_KEY)),
        },
        "DIVOC": {"did:vaxcert:vectors": entry(spki("dsc-ps256-all")), "did:vaxcert:no-key": entry(None)},
        "CRED": {"ignored": entry(spki("csca"))},
    }
    registry["SHC"][f"{ISSUER}#bad-status"] = entry(spki("dsc-es256-vaccination"), status="suspended")
    registry["DCC"]["badDate"] = entry(spki("dsc-es256-all"), validFromDT="soon")
    (HERE / "trust-registry.json").write_text(json.dumps(registry, indent=1) + "\n", encoding="utf-8")

    key = DocumentSignerCertificate.load(KEYS / "dsc-es256-vaccination.pem").public_key
    assert isinstance(key, ec.EllipticCurvePublicKey)
    numbers = key.public_numbers()
    good = {"kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": "jwks-kid-1"}
    good |= {"x": b64url(numbers.x), "y": b64url(numbers.y), "crlVersion": 2}
    encryption = {**good, "kid": "jwks-enc", "use": "enc"}
    off_curve = {**good, "kid": "jwks-off-curve", "y": b64url(numbers.y ^ 1)}
    (HERE / "trust-jwks.json").write_text(
        json.dumps({"iss": ISSUER, "keys": [good, encryption, off_curve]}, indent=1) + "\n", encoding="utf-8"
    )
    (HERE / "trust-jwks-no-iss.json").write_text(json.dumps({"keys": [good]}, indent=1) + "\n", encoding="utf-8")
    crl = {"kid": "jwks-kid-1", "method": "rid", "ctr": 2, "rids": ["vector-rid", "vector-rid-2.1767225600"]}
    (HERE / "trust-shc-crl.json").write_text(json.dumps(crl, indent=1) + "\n", encoding="utf-8")

    expected = {
        "issuer": ISSUER,
        "registry": {
            "keys": sorted(
                [
                    ["DCC", dcc_kid],
                    ["SHC", f"{ISSUER}#vector-kid-1"],
                    ["SHC", f"{ISSUER}#vector-kid-terminated"],
                    ["ICAO", "VN#vector-ski"],
                    ["DIVOC", "did:vaxcert:vectors"],
                ]
            ),
            "rejected": sorted(
                [
                    "ICAO VN#not-a-key",
                    "ICAO LV#explicit-curve",
                    "DIVOC did:vaxcert:no-key",
                    f"SHC {ISSUER}#bad-status",
                    "DCC badDate",
                ]
            ),
        },
        "jwks": {"keys": [["SHC", f"{ISSUER}#jwks-kid-1", 2]], "rejected": ["JWK jwks-off-curve"]},
        "shc_crl": {
            "kid": "jwks-kid-1",
            "ctr": 2,
            "revoked": ["vector-rid"],
            "revoked_before": {"vector-rid-2": 1767225600},
        },
    }
    (HERE / "trust-imports.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
