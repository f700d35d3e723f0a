"""Regenerate the DIVOC test vectors (run from the repository root).

    python spec/vectors/divoc/generate.py

Writes ``registry.json`` (the test issuers' DIDs, Path-Check registry shape) and
``cases.json`` (each case: the base64 QR payload, the clock, the expected status and
code, and for valid cases the holder and events).  Keys: the RSA key is stored in
``keys/`` once; Ed25519 keys derive from fixed labels.  RSA-PSS is randomised, so a
re-run changes the RSA signatures, never the expected outcomes.
The credentials are ``credential-v2.json`` / ``credential-v1.json``; tests read them too.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from vaxcert.divoc import encode_envelope, sign_divoc

HERE = Path(__file__).parent
KEYS = HERE / "keys"
CREATED = "2024-05-02T08:00:00Z"
AT = "2024-06-01T12:00:00+00:00"
RSA_DID = "did:vaxcert-test:rsa"
ED_DID = "did:vaxcert-test:ed25519"
OTHER_DID = "did:vaxcert-test:other"


def ed25519_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def rsa_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    path = KEYS / f"{name}.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def spki(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def entry(
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, status: str = "current", until: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "displayName": {"en": "vaxcert DIVOC test issuer"},
        "entityType": "issuer",
        "status": status,
        "validFromDT": "2024-01-01T00:00:00.000Z",
        "publicKey": spki(key),
    }
    if until:
        found["validUntilDT"] = until
    return found


def keys() -> dict[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]:
    return {
        "rsa": rsa_key("issuer-rsa-2048"),
        "weak": rsa_key("issuer-rsa-1024", 1024),
        "ed25519": ed25519_key("vaxcert divoc test ed25519"),
        "other": ed25519_key("vaxcert divoc test other issuer"),
        "expired": ed25519_key("vaxcert divoc test expired"),
        "revoked": ed25519_key("vaxcert divoc test revoked"),
    }


def registry(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "DIVOC": {
            RSA_DID: entry(found["rsa"]),
            ED_DID: entry(found["ed25519"]),
            OTHER_DID: entry(found["other"]),
            "did:vaxcert-test:weak": entry(found["weak"]),
            "did:vaxcert-test:expired": entry(found["expired"], until="2024-03-01T00:00:00.000Z"),
            "did:vaxcert-test:revoked": entry(found["revoked"], status="revoked"),
        }
    }


def template(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / f"credential-{version}.json").read_text(encoding="utf-8"))
    return loaded


def pack(credential: dict[str, Any], *, indent: int | None = None) -> str:
    text = json.dumps(credential, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    return base64.b64encode(encode_envelope(text.encode("utf-8"))).decode("ascii")


def edit(credential: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    change(changed)
    return changed


def set_header(credential: dict[str, Any], header: dict[str, Any]) -> None:
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    credential["proof"]["jws"] = protected + "." + credential["proof"]["jws"].split(".", 1)[1]


def raw_zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def lying_zip(data: bytes, declared: int) -> str:
    """A ZIP whose headers declare ``declared`` uncompressed bytes for ``data`` (a bomb that lies)."""
    packed = bytearray(base64.b64decode(raw_zip([("certificate.json", data)])))
    local = packed.index(b"PK\x03\x04")
    central = packed.index(b"PK\x01\x02")
    packed[local + 22 : local + 26] = declared.to_bytes(4, "little")
    packed[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return base64.b64encode(bytes(packed)).decode("ascii")


HOLDER_V2 = {"name": "Trần Thị Bích Ngọc", "birth_date": "1985-07-14"}
HOLDER_V1 = {"name": "Trần Thị Bích Ngọc", "birth_date": None}
EVENTS = [
    {"type": "vaccination", "date": "2024-04-20", "dose": 1, "country": "IN", "product": "COVISHIELD", "result": None}
]


def cases() -> list[dict[str, Any]]:
    found = keys()
    v2, v1 = template("v2"), template("v1")
    rsa_signed = sign_divoc(v2, found["rsa"], RSA_DID, created=CREATED)
    ed_signed = sign_divoc(v2, found["ed25519"], ED_DID, created=CREATED)
    v1_signed = sign_divoc(v1, found["ed25519"], ED_DID, created=CREATED)

    def case(
        name: str,
        description: str,
        payload: str,
        status: str,
        code: str | None = None,
        holder: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        at: str = AT,
    ) -> dict[str, Any]:
        expected: dict[str, Any] = {"status": status, "code": code}
        if holder is not None:
            expected["holder"] = holder
        if events is not None:
            expected["events"] = events
        return {"id": name, "description": description, "at": at, "payload": payload, "expected": expected}

    def country(doc: dict[str, Any]) -> None:
        doc["evidence"][0]["facility"]["address"]["addressCountry"] = "VN"

    return [
        case(
            "valid-rsa-v2",
            "RsaSignature2018 (PS256), v2 context with dob",
            pack(rsa_signed),
            "verified",
            None,
            HOLDER_V2,
            EVENTS,
        ),
        case(
            "valid-ed25519-v2", "Ed25519Signature2018, v2 context", pack(ed_signed), "verified", None, HOLDER_V2, EVENTS
        ),
        case(
            "valid-reserialised",
            "keys reordered and indented after signing",
            pack(json.loads(json.dumps(ed_signed, sort_keys=True)), indent=4),
            "verified",
            None,
            HOLDER_V2,
            EVENTS,
        ),
        case(
            "valid-stored-zip",
            "certificate.json stored without compression",
            base64.b64encode(encode_envelope(json.dumps(ed_signed).encode(), compress=False)).decode(),
            "verified",
            None,
            HOLDER_V2,
            EVENTS,
        ),
        case(
            "valid-v1-dob-unsigned",
            "v1 context does not define dob: the signature does not cover it, so no birth date is shown",
            pack(v1_signed),
            "verified",
            None,
            HOLDER_V1,
            EVENTS,
        ),
        case(
            "v1-dob-edited",
            "dob edited after signing under the v1 context: still verifies (dob is not signed) and is not shown",
            pack(edit(v1_signed, lambda d: d["credentialSubject"].__setitem__("dob", "1960-01-01"))),
            "verified",
            None,
            HOLDER_V1,
            EVENTS,
        ),
        case(
            "valid-method-fragment",
            "verificationMethod with a key fragment: looked up as its DID",
            pack(sign_divoc(v2, found["ed25519"], ED_DID + "#key-1", created=CREATED)),
            "verified",
            None,
            HOLDER_V2,
            EVENTS,
        ),
        case(
            "forged-name",
            "holder name edited after signing",
            pack(edit(rsa_signed, lambda d: d["credentialSubject"].__setitem__("name", "Trần Thị Bích Ngà"))),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-dob",
            "dob edited after signing (v2 context signs it)",
            pack(edit(ed_signed, lambda d: d["credentialSubject"].__setitem__("dob", "1960-01-01"))),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-dose",
            "dose edited after signing",
            pack(edit(ed_signed, lambda d: d["evidence"][0].__setitem__("dose", 3))),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-country",
            "vaccination country edited after signing",
            pack(edit(rsa_signed, country)),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-proof-created",
            "proof option edited after signing",
            pack(edit(ed_signed, lambda d: d["proof"].__setitem__("created", "2024-05-03T08:00:00Z"))),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-other-issuers-key",
            "signed with another trusted issuer's key, naming the Ed25519 test DID",
            pack(sign_divoc(v2, found["other"], ED_DID, created=CREATED)),
            "invalid_signature",
            "signature.mismatch",
        ),
        case(
            "forged-alg-none",
            "JWS header alg none",
            pack(edit(ed_signed, lambda d: set_header(d, {"alg": "none", "b64": False, "crit": ["b64"]}))),
            "invalid_signing_format",
            "credential.alg_none",
        ),
        case(
            "forged-b64-true",
            "JWS header without b64: false",
            pack(edit(ed_signed, lambda d: set_header(d, {"alg": "EdDSA"}))),
            "invalid_signing_format",
            "credential.bad_jws_header",
        ),
        case(
            "forged-unknown-crit",
            "JWS header with a critical parameter nobody understands",
            pack(edit(ed_signed, lambda d: set_header(d, {"alg": "EdDSA", "b64": False, "crit": ["b64", "exp"]}))),
            "invalid_signing_format",
            "credential.bad_jws_header",
        ),
        case(
            "attached-jws",
            "jws with a payload part (not detached)",
            pack(edit(ed_signed, lambda d: d["proof"].__setitem__("jws", d["proof"]["jws"].replace("..", ".e30.")))),
            "invalid_signing_format",
            "credential.bad_jws",
        ),
        case(
            "no-verification-method",
            "proof without verificationMethod",
            pack(edit(ed_signed, lambda d: d["proof"].pop("verificationMethod"))),
            "invalid_signing_format",
            "credential.no_verification_method",
        ),
        case(
            "no-jws",
            "proof without jws",
            pack(edit(ed_signed, lambda d: d["proof"].pop("jws"))),
            "invalid_signing_format",
            "credential.no_jws",
        ),
        case(
            "wrong-purpose",
            "proof purpose authentication, not assertionMethod",
            pack(sign_divoc(v2, found["ed25519"], ED_DID, created=CREATED, purpose="authentication")),
            "invalid_signing_format",
            "credential.bad_purpose",
        ),
        case(
            "unknown-context",
            "a context vaxcert does not ship: never fetched",
            pack(edit(ed_signed, lambda d: d["@context"].append("https://contexts.vaxcert-test.example/extra/v1"))),
            "invalid_signature",
            "canonical.unknown_context",
        ),
        case(
            "unknown-did",
            "verificationMethod absent from the registry",
            pack(sign_divoc(v2, found["ed25519"], "did:vaxcert-test:unknown", created=CREATED)),
            "issuer_not_trusted",
            "trust.unknown_did",
        ),
        case(
            "expired-did",
            "the DID's key is past its validUntilDT",
            pack(sign_divoc(v2, found["expired"], "did:vaxcert-test:expired", created=CREATED)),
            "expired_keys",
            "trust.expired_key",
        ),
        case(
            "revoked-did",
            "the DID's key is revoked in the registry",
            pack(sign_divoc(v2, found["revoked"], "did:vaxcert-test:revoked", created=CREATED)),
            "revoked_keys",
            "trust.revoked_key",
        ),
        case(
            "weak-rsa-key",
            "a 1024-bit RSA issuer key",
            pack(sign_divoc(v2, found["weak"], "did:vaxcert-test:weak", created=CREATED)),
            "invalid_signature",
            "signature.weak_key",
        ),
        case(
            "expired-credential",
            "expirationDate before the clock",
            pack(
                sign_divoc(
                    edit(v2, lambda d: d.__setitem__("expirationDate", "2024-05-31T00:00:00Z")),
                    found["ed25519"],
                    ED_DID,
                    created=CREATED,
                )
            ),
            "expired",
            "expiry.expired",
            HOLDER_V2,
            EVENTS,
        ),
        case(
            "zip-nested",
            "certificate.json is itself a ZIP",
            raw_zip([("certificate.json", base64.b64decode(pack(ed_signed)))]),
            "invalid_compression",
            "envelope.nested_zip",
        ),
        case(
            "zip-bzip2",
            "certificate.json compressed with bzip2 (not DEFLATE or stored)",
            raw_zip([("certificate.json", json.dumps(ed_signed).encode())], zipfile.ZIP_BZIP2),
            "invalid_compression",
            "envelope.unsupported_method",
        ),
        case(
            "zip-many-members",
            "200 members",
            raw_zip([(f"m{i}.json", b"{}") for i in range(20)] + [("certificate.json", b"{}")]),
            "invalid_compression",
            "envelope.too_many_members",
        ),
        case(
            "zip-lying-size",
            "certificate.json declares 100 bytes and inflates to 8 MiB",
            lying_zip(b" " * (8 << 20), 100),
            "invalid_compression",
            "envelope.corrupt",
        ),
        case(
            "zip-duplicate",
            "certificate.json twice",
            raw_zip([("certificate.json", b"{}"), ("certificate.json", json.dumps(ed_signed).encode())]),
            "invalid_compression",
            "envelope.duplicate_member",
        ),
        case(
            "zip-bomb",
            "certificate.json inflating to 8 MiB",
            raw_zip([("certificate.json", b" " * (8 << 20))]),
            "invalid_compression",
            "envelope.too_large",
        ),
        case(
            "not-object",
            "certificate.json is a JSON array",
            raw_zip([("certificate.json", b"[1, 2]")]),
            "invalid_signing_format",
            "credential.not_object",
        ),
        case(
            "deep-json",
            "certificate.json nests 5,000 levels",
            raw_zip([("certificate.json", b"[" * 5000 + b"]" * 5000)]),
            "invalid_signing_format",
            "credential.too_deep",
        ),
    ]


def main() -> None:
    warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # the duplicate-member case is meant
    KEYS.mkdir(exist_ok=True)
    (HERE / "registry.json").write_text(json.dumps(registry(keys()), indent=1) + "\n", encoding="utf-8")
    (HERE / "cases.json").write_text(json.dumps(cases(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
