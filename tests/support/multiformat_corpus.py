"""The shared multi-format conformance corpus (``../shared/conformance/multiformat``), read as test cases.

Each format's tests take the cases of their format from here and verify them through
the library; the command-line contract is scored separately by the corpus's own
harness (tests/conformance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vaxcert.registry import TrustRegistry

CORPUS_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "multiformat"
CORPUS = CORPUS_DIR / "public.jsonl"


@dataclass(frozen=True)
class CorpusCase:
    id: str
    format: str
    qr: tuple[str, ...]
    qr_file: Path | None
    at: datetime
    trust: dict[str, list[str]]
    expected: dict[str, Any]

    @property
    def payload(self) -> bytes:
        """The binary payload (DIVOC ZIP) of a ``qr_file`` case."""
        assert self.qr_file is not None, f"{self.id} has QR text, not a file"
        return self.qr_file.read_bytes()

    def registry(self) -> TrustRegistry:
        """The case's trust input, loaded the way ``vaxcert-verify`` loads its ``--trust-*`` options."""
        paths = {kind: [CORPUS_DIR / name for name in names] for kind, names in self.trust.items()}
        return TrustRegistry.load(
            registries=paths.get("registry", []),
            jwks=paths.get("jwks", []),
            certificates=paths.get("cert", []),
            crls=paths.get("crl", []),
        )


def corpus_cases(format: str | None = None) -> list[CorpusCase]:
    """Every case (of ``format``), skipping those the corpus flags as a known issue."""
    if not CORPUS.exists():
        return []
    found = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if raw.get("known_issue") or (format is not None and raw["format"] != format):
            continue
        found.append(
            CorpusCase(
                id=raw["id"],
                format=raw["format"],
                qr=tuple(raw.get("qr", ())),
                qr_file=CORPUS_DIR / raw["qr_file"] if raw.get("qr_file") else None,
                at=datetime.fromisoformat(raw["at"].replace("Z", "+00:00")),
                trust=raw.get("trust", {}),
                expected=raw["expected"],
            )
        )
    return found
