"""Regenerate vaxcert's own test vectors (run from the repository root).

    python spec/vectors/generate.py

Keys are deterministic (EC scalars derived from fixed labels) or stored
here, and certificates are written once and reused, so re-running only
changes the signatures (ECDSA is randomised) - never the expected outcomes.
The vectors are checked by tests/spec/test_vectors.py.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vaxcert import PemSigner, cose, issue
from vaxcert.hcert import base45 as b45
from vaxcert.hcert import cwt
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc

HERE = Path(__file__).parent
KEYS = HERE / "keys"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
INSIDE = "2026-06-01T12:00:00Z"
AFTER = "2027-03-02T00:00:00Z"
BEFORE = "2026-02-28T00:00:00Z"


def ec_key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (2**255)
    return ec.derive_private_key(scalar, ec.SECP256R1())


def rsa_key(name: str) -> rsa.RSAPrivateKey:
    path = KEYS / f"{name}.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def certificate(name: str, make: object) -> Path:
    path = KEYS / f"{name}.pem"
    if not path.exists():
        pair = make()  # type: ignore[operator]
        path.write_bytes(pair.certificate_pem())
    return path


def signer(
    name: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, csca: IssuedKeyPair, types: str
) -> PemSigner:
    path = KEYS / f"{name}.pem"
    if not path.exists():
        dsc = create_dsc(
            csca, common_name=f"vaxcert test {name}", certificate_types=tuple(types), key=key, valid_from=EPOCH
        )
        assert isinstance(dsc, IssuedKeyPair)
        path.write_bytes(dsc.certificate_pem())
    key_path = KEYS / f"{name}-key.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return PemSigner.from_files(key_path, path)


def payload(kind: str) -> dict[str, object]:
    base: dict[str, object] = {"ver": "1.3.0", "nam": {"fn": "Đặng", "gn": "Văn Lưỡng"}, "dob": "1985"}
    common = {"co": "VN", "is": "Ministry of Health of Viet Nam", "ci": "URN:UVCI:01:VN:TESTVECTOR001#2"}
    if kind == "v":
        base["v"] = [
            {
                "tg": "840539006",
                "vp": "1157024006",
                "mp": "BBIBP-CorV",
                "ma": "ORG-100020693",
                "dn": 3,
                "sd": 3,
                "dt": "2022-01-10",
                **common,
            }
        ]
    elif kind == "t":
        base["t"] = [
            {
                "tg": "840539006",
                "tt": "LP6464-4",
                "nm": "PCR",
                "sc": "2026-02-28T08:00:00Z",
                "tr": "260415000",
                "tc": "Bach Mai Hospital",
                **common,
            }
        ]
    else:
        base["r"] = [{"tg": "840539006", "fr": "2026-01-05", "df": "2026-01-16", "du": "2026-07-04", **common}]
    return base


def tamper(text: str, edit: object) -> str:
    """Decode to the COSE structure, apply ``edit`` and re-encode (no re-signing)."""
    raw = zlib.decompress(b45.decode(text[4:]))
    message = cbor2.loads(raw)
    items = list(message.value)
    edit(items)  # type: ignore[operator]
    return "HC1:" + b45.encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, items))))


def main() -> None:
    KEYS.mkdir(exist_ok=True)
    csca_key = ec_key("vaxcert-test-csca")
    csca_path = KEYS / "csca.pem"
    if not csca_path.exists():
        csca_path.write_bytes(
            create_csca(common_name="vaxcert test CSCA", key=csca_key, valid_from=EPOCH).certificate_pem()
        )
    from cryptography import x509

    csca = IssuedKeyPair(csca_key, x509.load_pem_x509_certificate(csca_path.read_bytes()))
    es_all = signer("dsc-es256-all", ec_key("vaxcert-test-dsc-all"), csca, "vtr")
    es_vac = signer("dsc-es256-vaccination", ec_key("vaxcert-test-dsc-vac"), csca, "v")
    ps_all = signer("dsc-ps256-all", rsa_key("rsa-3072"), csca, "vtr")

    vectors: list[dict[str, object]] = []

    def add(
        name: str, description: str, text: str, trust: list[str], at: str, valid: bool, checks: dict[str, object]
    ) -> None:
        vectors.append(
            {
                "id": name,
                "description": description,
                "hc1": text,
                "trust": trust,
                "at": at,
                "expected": {"valid": valid, "checks": checks},
            }
        )

    ok = {
        "unprefix": True,
        "base45": True,
        "decompress": True,
        "cose": True,
        "signature": True,
        "cwt": True,
        "schema": True,
        "expiry": True,
        "key_usage": True,
    }
    for kind in "vtr":
        text = issue(payload(kind), es_all, issued_at=ISSUED).text
        add(f"es256-{kind}-valid", f"ES256 {kind} certificate, valid", text, ["dsc-es256-all.pem"], INSIDE, True, ok)
    vaccination = issue(payload("v"), es_all, issued_at=ISSUED).text
    add(
        "es256-v-expired",
        "validation clock after exp",
        vaccination,
        ["dsc-es256-all.pem"],
        AFTER,
        False,
        {**ok, "expiry": False},
    )
    add(
        "es256-v-not-yet-valid",
        "validation clock before iat",
        vaccination,
        ["dsc-es256-all.pem"],
        BEFORE,
        False,
        {**ok, "expiry": False},
    )
    add(
        "es256-v-untrusted",
        "no trusted DSC for the kid",
        vaccination,
        [],
        INSIDE,
        False,
        {**ok, "signature": False, "key_usage": None},
    )
    add(
        "es256-v-other-dsc",
        "trusted DSC is a different one",
        vaccination,
        ["dsc-es256-vaccination.pem"],
        INSIDE,
        False,
        {**ok, "signature": False, "key_usage": None},
    )
    ps = issue(payload("t"), ps_all, issued_at=ISSUED).text
    add("ps256-t-valid", "PS256 (RSA-3072) test certificate, valid", ps, ["dsc-ps256-all.pem"], INSIDE, True, ok)
    on_vac_dsc = issue(payload("v"), es_vac, issued_at=ISSUED).text
    add(
        "es256-v-vaccination-dsc",
        "vaccination-only DSC signs a vaccination",
        on_vac_dsc,
        ["dsc-es256-vaccination.pem"],
        INSIDE,
        True,
        ok,
    )
    # issue() refuses this, so build it stage by stage as a misbehaving issuer would.
    claims = cwt.CwtClaims("VN", int(ISSUED.timestamp()), int(ISSUED.timestamp()) + 86400 * 365, payload("t"))
    claims = cwt.CwtClaims(
        claims.issuer, claims.issued_at, claims.expires_at, {**claims.dcc, "nam": {"fnt": "DANG", "gnt": "VAN<LUONG"}}
    )
    message = cose.sign(cwt.encode(claims), es_vac, es_vac.certificate.kid)
    test_on_vac_dsc = "HC1:" + b45.encode(zlib.compress(message))
    add(
        "es256-t-on-vaccination-dsc",
        "test certificate signed by a vaccination-only DSC",
        test_on_vac_dsc,
        ["dsc-es256-vaccination.pem"],
        INSIDE,
        False,
        {**ok, "key_usage": False},
    )

    def flip_signature(items: list[object]) -> None:
        signature = bytearray(items[3])  # type: ignore[arg-type]
        signature[10] ^= 0x01
        items[3] = bytes(signature)

    def edit_payload(items: list[object]) -> None:
        items[2] = bytes(items[2]).replace(b"Ministry", b"Mimistry")  # type: ignore[arg-type]

    def swap_kid(items: list[object]) -> None:
        other = es_vac.certificate.kid
        items[0] = cbor2.dumps({1: -7, 4: other})

    def alg_ps256(items: list[object]) -> None:
        header = cbor2.loads(items[0])  # type: ignore[arg-type]
        items[0] = cbor2.dumps({**header, 1: -37})

    trust_both = ["dsc-es256-all.pem", "dsc-es256-vaccination.pem"]
    add(
        "forged-flipped-signature",
        "one signature bit flipped",
        tamper(vaccination, flip_signature),
        trust_both,
        INSIDE,
        False,
        {**ok, "signature": False},
    )
    add(
        "forged-edited-payload",
        "payload edited after signing",
        tamper(vaccination, edit_payload),
        trust_both,
        INSIDE,
        False,
        {**ok, "signature": False},
    )
    add(
        "forged-swapped-kid",
        "kid replaced by another trusted DSC's kid",
        tamper(vaccination, swap_kid),
        trust_both,
        INSIDE,
        False,
        {**ok, "signature": False},
    )
    add(
        "forged-alg-changed",
        "alg header changed to PS256 for an EC key",
        tamper(vaccination, alg_ps256),
        trust_both,
        INSIDE,
        False,
        {**ok, "signature": False},
    )

    def huge_expiry(items: list[object]) -> None:
        claims = cbor2.loads(items[2])  # type: ignore[arg-type]
        items[2] = cbor2.dumps({**claims, 4: 10**6000})  # a 2,500-byte bignum

    add(
        "forged-bignum-expiry",
        "exp replaced by a 6,000-digit bignum (Python cannot even print it)",
        tamper(vaccination, huge_expiry),
        trust_both,
        INSIDE,
        False,
        {"cose": True, "cwt": False, "signature": False},
    )

    raw = zlib.decompress(b45.decode(vaccination[4:]))
    add(
        "uncompressed",
        "COSE not zlib-compressed",
        "HC1:" + b45.encode(raw),
        ["dsc-es256-all.pem"],
        INSIDE,
        False,
        {**ok, "decompress": False},
    )
    add(
        "prefix-hc2",
        "unsupported context identifier",
        "HC2:" + vaccination[4:],
        ["dsc-es256-all.pem"],
        INSIDE,
        False,
        {"unprefix": False, "base45": None},
    )
    add(
        "bad-base45",
        "lower-case characters are not Base45",
        vaccination[:40].lower(),
        [],
        INSIDE,
        False,
        {"unprefix": False},
    )
    add(
        "truncated",
        "code cut in half",
        vaccination[: 4 + (len(vaccination) // 6) * 3],
        ["dsc-es256-all.pem"],
        INSIDE,
        False,
        {"unprefix": True, "base45": True, "decompress": False, "cose": None},
    )

    (HERE / "vectors.json").write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors")


if __name__ == "__main__":
    main()
