"""Writes stage-errors.json: bad inputs for each decoding stage and the error code each must give.

    .venv/bin/python spec/vectors/stage_errors.py

Byte inputs are hex; CBOR inputs are written here with cbor2 so their intent stays readable.
Any HCERT decoder can use the file: the codes are vaxcert's, the rejections are the spec's.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import cbor2

HERE = Path(__file__).resolve().parent


def _hex(data: bytes) -> str:
    return data.hex()


def vectors() -> dict[str, Any]:
    hello = zlib.compress(b"hello")
    return {
        "base45_examples": [  # RFC 9285 §4.3
            {"text": "BB8", "data_hex": _hex(b"AB")},
            {"text": "%69 VD92EX0", "data_hex": _hex(b"Hello!!")},
            {"text": "UJCLQE7W581", "data_hex": _hex(b"base-45")},
            {"text": "", "data_hex": ""},
        ],
        "prefix": [
            {"text": "HC2:ABC", "code": "unprefix.unsupported_version", "why": "a later HCERT version"},
            {"text": "HCZ:ABC", "code": "unprefix.unsupported_version", "why": "a later HCERT version"},
            {"text": "HL0:ABC", "code": "unprefix.missing", "why": "not a context identifier"},
            {"text": "NCFOXN", "code": "unprefix.missing", "why": "Base45 without HC1:"},
            {"text": "hc1:ABC", "code": "unprefix.missing", "why": "the identifier is upper case"},
            {"text": "", "code": "unprefix.empty", "why": "nothing scanned"},
        ],
        "base45": [
            {"text": "GGW", "code": "base45.overflow", "why": "RFC 9285 §4.4: above 65535"},
            {"text": "ZZ", "code": "base45.overflow", "why": "a pair above 255"},
            {"text": "A", "code": "base45.bad_length", "why": "length 1 mod 3"},
            {"text": "ABCD", "code": "base45.bad_length", "why": "length 1 mod 3"},
            {"text": "ab", "code": "base45.bad_character", "why": "lower case"},
            {"text": "AB#", "code": "base45.bad_character", "why": "outside the alphabet"},
            {"text": "ÄBC", "code": "base45.bad_character", "why": "not ASCII"},
        ],
        "zlib": [
            {"data_hex": "", "code": "decompress.empty", "why": "no bytes"},
            {"data_hex": "78da0700", "code": "decompress.corrupt", "why": "an invalid deflate block"},
            {"data_hex": _hex(hello[:-3]), "code": "decompress.truncated", "why": "the stream ends early"},
            {"data_hex": _hex(hello + b"junk"), "code": "decompress.trailing_data", "why": "bytes after the stream"},
            {"data_hex": _hex(b"not zlib at all"), "code": "decompress.corrupt", "why": "no zlib header"},
        ],
        "cose": [
            {"data_hex": "", "code": "cose.bad_cbor", "why": "no bytes"},
            {"data_hex": "0001", "code": "cose.bad_cbor", "why": "trailing bytes after one item"},
            {"data_hex": _hex(cbor2.dumps(cbor2.CBORTag(98, []))), "code": "cose.wrong_tag", "why": "COSE_Sign"},
            {"data_hex": _hex(cbor2.dumps([b"", {}, b""])), "code": "cose.not_sign1", "why": "three items"},
            {"data_hex": _hex(cbor2.dumps(["x", {}, b"", b"s"])), "code": "cose.bad_protected", "why": "text"},
            {"data_hex": _hex(cbor2.dumps([b"\xff", {}, b"", b"s"])), "code": "cose.bad_protected", "why": "not CBOR"},
            {
                "data_hex": _hex(cbor2.dumps([cbor2.dumps([1]), {}, b"", b"s"])),
                "code": "cose.bad_protected",
                "why": "an array, not a map",
            },
            {
                "data_hex": _hex(cbor2.dumps([cbor2.dumps({1: 1}) + b"\x00", {}, b"", b"s"])),
                "code": "cose.bad_protected",
                "why": "trailing bytes in the protected header",
            },
            {"data_hex": _hex(cbor2.dumps([b"", [], b"", b"s"])), "code": "cose.bad_unprotected", "why": "array"},
            {"data_hex": _hex(cbor2.dumps([b"", {}, None, b"s"])), "code": "cose.bad_payload", "why": "detached"},
            {"data_hex": _hex(cbor2.dumps([b"", {}, b"", b""])), "code": "cose.bad_signature_field", "why": "empty"},
        ],
        "cwt": [
            {"data_hex": _hex(cbor2.dumps([1, 2])), "code": "cwt.not_a_map", "why": "an array"},
            {"data_hex": _hex(cbor2.dumps({1: 5, -260: {1: {}}})), "code": "cwt.bad_iss", "why": "iss a number"},
            {"data_hex": _hex(cbor2.dumps({4: "soon", -260: {1: {}}})), "code": "cwt.bad_exp", "why": "exp text"},
            {"data_hex": _hex(cbor2.dumps({6: True, -260: {1: {}}})), "code": "cwt.bad_iat", "why": "iat a bool"},
            {"data_hex": _hex(cbor2.dumps({1: "VN"})), "code": "cwt.no_hcert", "why": "no claim -260"},
            {"data_hex": _hex(cbor2.dumps({-260: [1]})), "code": "cwt.bad_hcert", "why": "hcert an array"},
            {"data_hex": _hex(cbor2.dumps({-260: {2: {}}})), "code": "cwt.no_dcc", "why": "no EU DCC under key 1"},
            {"data_hex": _hex(b"\xa2\x01\x62VN\x01\x62AT"), "code": "cwt.bad_cbor", "why": "duplicate keys"},
        ],
    }


def main() -> None:
    path = HERE / "stage-errors.json"
    path.write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
