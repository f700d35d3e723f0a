"""Write a trust list in format 1 (before multi-framework keys) as a fixed vector.

    python spec/vectors/trust_list_v1.py

The content is laid out by hand, exactly as ``vaxcert.trustlist`` wrote format 1, so
the vector stays a format-1 list whatever the current encoder writes; newer
verifiers must keep loading it (tests/vaxcert/test_trustlist.py).
The expected reading is in ``trust-list-v1.json``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import cbor2

from vaxcert import PemSigner, signed
from vaxcert.trust import DocumentSignerCertificate

HERE = Path(__file__).parent
KEYS = HERE / "keys"
CONTENT_TYPE = "application/vnd.vaxcert.trust-list+cbor"
ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NEXT_UPDATE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
SEQUENCE = 3


def main() -> None:
    anchor = PemSigner.from_files(KEYS / "dsc-es256-vaccination-key.pem", KEYS / "dsc-es256-vaccination.pem")
    entries = []
    for name, types, valid_until in (("dsc-es256-all", ["r", "t", "v"], None), ("dsc-ps256-all", ["v"], 1798761600)):
        der = DocumentSignerCertificate.load(KEYS / f"{name}.pem").der
        entry: dict[str, object] = {
            "kid": hashlib.sha256(der).digest()[:8],
            "country": "VN",
            "certificate": der,
            "types": types,
        }
        if valid_until is not None:
            entry["valid_until"] = valid_until
        entries.append(entry)
    content = {
        "format": 1,
        "sequence": SEQUENCE,
        "issued_at": int(ISSUED.timestamp()),
        "next_update": int(NEXT_UPDATE.timestamp()),
        "entries": entries,
        "cscas": [DocumentSignerCertificate.load(KEYS / "csca.pem").der],
    }
    (HERE / "trust-list-v1.cose").write_bytes(signed.sign(cbor2.dumps(content, canonical=True), CONTENT_TYPE, anchor))
    expected = {
        "anchor": "keys/dsc-es256-vaccination.pem",
        "sequence": SEQUENCE,
        "issued_at": ISSUED.isoformat(),
        "next_update": NEXT_UPDATE.isoformat(),
        "entries": [
            {"certificate": "keys/dsc-es256-all.pem", "country": "VN", "types": ["r", "t", "v"], "valid_until": None},
            {
                "certificate": "keys/dsc-ps256-all.pem",
                "country": "VN",
                "types": ["v"],
                "valid_until": datetime.fromtimestamp(1798761600, UTC).isoformat(),
            },
        ],
        "cscas": ["keys/csca.pem"],
    }
    (HERE / "trust-list-v1.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
