"""Writes hostile.json: unsigned HC1 codes built to exhaust a verifier, and the failure each must give.

    .venv/bin/python spec/vectors/hostile.py

Issue #11: shared references, self-reference, huge arrays, deep nesting, lengths not backed by
bytes, a zlib bomb, unknown and string-reference tags.  Each vector names the stage that must fail
and its code; a verifier must say so in milliseconds and little memory (tests/spec/test_hostile.py).
The codes are vaxcert's (spec/verifier-json.md); the shapes are for any HCERT decoder.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import cbor2

HERE = Path(__file__).resolve().parent
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
KID = b"hostile!"
PROTECTED = cbor2.dumps({1: -7, 4: KID}, canonical=True)


def _base45(data: bytes) -> str:
    # RFC 9285, written out so the file does not depend on the codec under test.
    out = []
    for start in range(0, len(data), 2):
        chunk = data[start : start + 2]
        number = int.from_bytes(chunk, "big")
        digits = 3 if len(chunk) == 2 else 2
        for _ in range(digits):
            number, digit = divmod(number, 45)
            out.append(_ALPHABET[digit])
    return "".join(out)


def _hc1(message: bytes, compress: bool = True) -> str:
    return "HC1:" + _base45(zlib.compress(message, 9) if compress else message)


def _sign1(payload: bytes, protected: bytes = PROTECTED, unprotected: bytes = b"\xa0") -> bytes:
    # COSE_Sign1 assembled from encoded parts, so a hostile part goes in exactly as written.
    return b"\xd2\x84" + cbor2.dumps(protected) + unprotected + cbor2.dumps(payload) + cbor2.dumps(b"\x00" * 64)


def _claims(dcc_cbor: bytes, extra: bytes = b"") -> bytes:
    # {1: "VN", 4: exp, 6: iat, -260: {1: <dcc>}} with the DCC as raw CBOR
    pairs = 4 + (1 if extra else 0)
    head = bytes([0xA0 + pairs]) + cbor2.dumps(1) + cbor2.dumps("VN")
    head += cbor2.dumps(4) + cbor2.dumps(1_900_000_000) + cbor2.dumps(6) + cbor2.dumps(1_770_000_000)
    return head + extra + cbor2.dumps(-260) + b"\xa1\x01" + dcc_cbor


def _dcc(v_cbor: bytes) -> bytes:
    # {"ver": "1.3.0", "nam": {"fnt": "HOSTILE"}, "dob": "1990-01-01", "v": <v>}
    start = cbor2.dumps({"ver": "1.3.0", "nam": {"fnt": "HOSTILE"}, "dob": "1990-01-01"})
    return bytes([start[0] + 1]) + start[1:] + cbor2.dumps("v") + v_cbor


def _shared_levels(levels: int) -> bytes:
    value: Any = {}
    for _ in range(levels):
        value = [value, value]
    return cbor2.dumps(value, value_sharing=True)


def _self_reference() -> bytes:
    loop: list[Any] = []
    loop.append(loop)
    return cbor2.dumps(loop, value_sharing=True)


def _nested(depth: int) -> bytes:
    return b"\x81" * depth + b"\x00"


def _case(case_id: str, text: str, stage: str, code: str, why: str) -> dict[str, str]:
    return {"id": case_id, "hc1": text, "stage": stage, "code": code, "why": why}


def vectors() -> dict[str, Any]:
    many_maps = b"\x99" + (60_000).to_bytes(2, "big") + b"\xa0" * 60_000
    wide_map = cbor2.dumps({f"k{i}": i for i in range(100)})
    many_small = cbor2.dumps([[0] * 60 for _ in range(20)])  # 1,220 items, no container over 64
    stringrefs = cbor2.dumps(["URN:UVCI:01:VN:HOSTILE"] * 40, string_referencing=True)
    cases = [
        _case(
            "shared-refs-22",
            _hc1(_sign1(_claims(_dcc(_shared_levels(22))))),
            "cwt",
            "cwt.too_deep",
            "22 levels of value sharing (tags 28/29): 4 million entries as a tree (was 16 s, 4 GB)",
        ),
        _case(
            "shared-refs-26",
            _hc1(_sign1(_claims(_dcc(_shared_levels(26))))),
            "cwt",
            "cwt.too_deep",
            "26 levels of value sharing (was SIGABRT in native code)",
        ),
        _case(
            "shared-refs-6",
            _hc1(_sign1(_claims(_dcc(_shared_levels(6))))),
            "cwt",
            "cwt.forbidden_tag",
            "6 levels of sharing (a tag counts as a level), within the depth bound: the tags themselves are refused",
        ),
        _case(
            "shared-refs-unprotected",
            _hc1(_sign1(_claims(_dcc(b"\x80")), unprotected=b"\xa1\x20" + _shared_levels(6))),
            "cose",
            "cose.forbidden_tag",
            "value sharing in the unprotected header",
        ),
        _case(
            "shared-refs-protected",
            _hc1(_sign1(_claims(_dcc(b"\x80")), protected=b"\xa2\x01\x26\x20" + _shared_levels(6))),
            "cose",
            "cose.bad_protected",
            "value sharing in the protected header",
        ),
        _case(
            "self-reference",
            _hc1(_sign1(_claims(_dcc(_self_reference())))),
            "cwt",
            "cwt.forbidden_tag",
            "an array that contains itself (was RecursionError in the JSON report)",
        ),
        _case(
            "v-60000-maps",
            _hc1(_sign1(_claims(_dcc(many_maps)))),
            "cwt",
            "cwt.too_large",
            "a v array of 60,000 empty maps (was 6.9 s, 1.2 GB collecting schema errors)",
        ),
        _case("map-100-keys", _hc1(_sign1(_claims(_dcc(wide_map)))), "cwt", "cwt.too_large", "a map of 100 pairs"),
        _case(
            "items-in-all",
            _hc1(_sign1(_claims(_dcc(many_small)))),
            "cwt",
            "cwt.too_large",
            "1,220 items in all, none of its containers over the per-container bound",
        ),
        _case(
            "deep-payload",
            _hc1(_sign1(_claims(_dcc(_nested(20_000))))),
            "cwt",
            "cwt.too_deep",
            "arrays nested 20,000 deep in the DCC",
        ),
        _case(
            "deep-message",
            _hc1(_sign1(_claims(_dcc(b"\x80")), unprotected=b"\xa1\x20" + _nested(20_000))),
            "cose",
            "cose.too_deep",
            "arrays nested 20,000 deep in the unprotected header",
        ),
        _case(
            "declared-array-2-63",
            _hc1(b"\xd2\x9b\x7f\xff\xff\xff\xff\xff\xff\xff"),
            "cose",
            "cose.bad_cbor",
            "an array declaring 2**63 - 1 items, none present",
        ),
        _case(
            "declared-map-2-32",
            _hc1(_sign1(b"\xbb\x00\x00\x00\x01\x00\x00\x00\x00")),
            "cwt",
            "cwt.bad_cbor",
            "a claim map declaring 2**32 pairs, none present",
        ),
        _case(
            "declared-bytes-2-63",
            _hc1(_sign1(_claims(_dcc(b"\x5b\x7f\xff\xff\xff\xff\xff\xff\xff")))),
            "cwt",
            "cwt.bad_cbor",
            "a byte string declaring 2**63 - 1 bytes, none present",
        ),
        _case(
            "zlib-bomb",
            "HC1:" + _base45(zlib.compress(b"\x00" * 10_000_000, 9)),
            "decompress",
            "decompress.too_large",
            "10 MB of zeros in 10 KB of zlib",
        ),
        _case(
            "unknown-tag-dcc",
            _hc1(_sign1(_claims(_dcc(cbor2.dumps([cbor2.CBORTag(9999, {"ci": "x"})]))))),
            "cwt",
            "cwt.forbidden_tag",
            "an unknown tag (9999) around a v entry",
        ),
        _case(
            "unknown-tag-claim",
            _hc1(_sign1(_claims(_dcc(b"\x80"), extra=cbor2.dumps(-261) + cbor2.dumps(cbor2.CBORTag(2**63, 1))))),
            "cwt",
            "cwt.forbidden_tag",
            "an unknown tag (2**63) as a claim",
        ),
        _case(
            "epoch-tag-claim",
            _hc1(_sign1(_claims(_dcc(b"\x80"), extra=cbor2.dumps(-262) + cbor2.dumps(cbor2.CBORTag(1, 5))))),
            "cwt",
            "cwt.forbidden_tag",
            "tag 1 (epoch date): CWT dates are untagged numbers (RFC 8392)",
        ),
        _case(
            "bignum-claim",
            _hc1(_sign1(_claims(_dcc(b"\x80"), extra=cbor2.dumps(-262) + cbor2.dumps(2**70)))),
            "cwt",
            "cwt.forbidden_tag",
            "tag 2 (bignum)",
        ),
        _case(
            "stringrefs",
            _hc1(_sign1(_claims(_dcc(stringrefs)))),
            "cwt",
            "cwt.forbidden_tag",
            "string references (tags 256/25)",
        ),
        _case(
            "set-tag",
            _hc1(_sign1(_claims(_dcc(cbor2.dumps(frozenset({1, 2})))))),
            "cwt",
            "cwt.forbidden_tag",
            "tag 258 (set)",
        ),
        _case(
            "self-described-message",
            _hc1(cbor2.dumps(cbor2.CBORTag(55799, cbor2.loads(_sign1(_claims(_dcc(b"\x80"))))))),
            "cose",
            "cose.wrong_tag",
            "tag 55799 (self-described CBOR) around the message",
        ),
        _case(
            "nested-envelope-tag",
            _hc1(_sign1(_claims(_dcc(b"\x80")), unprotected=b"\xa1\x20" + cbor2.dumps(cbor2.CBORTag(18, [])))),
            "cose",
            "cose.forbidden_tag",
            "a COSE_Sign1 tag (18) anywhere but around the message",
        ),
    ]
    return {"hostile": cases}


def main() -> None:
    path = HERE / "hostile.json"
    path.write_text(json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
