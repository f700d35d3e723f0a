"""Verification speed with the full multi-framework registry loaded vs with one key.

    .venv/bin/python benchmarks/bench_registry_verify.py

For one valid code of each format from the shared multi-format corpus, times
``verify_credential`` against the case's own trust input (one key) and against the full
Path-Check snapshot (~2,100 keys) merged with it, taking turns in every round. Target:
within 5%. Lookups are dictionary hits and keys are decoded once and cached, so the
size of the registry should not show.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from common import interleaved_per_call_seconds, pin_to_one_core

from vaxcert import TrustRegistry, verify_credential

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "multiformat"
CASES = (
    "synthetic/hcert/valid-es256-registry",
    "synthetic/shc/valid",
    "synthetic/icao/valid-registry",
    "synthetic/divoc/valid-ed25519",
)


def _case(case_id: str) -> dict[str, object]:
    for line in (CORPUS_DIR / "public.jsonl").read_text(encoding="utf-8").splitlines():
        case: dict[str, object] = json.loads(line)
        if case["id"] == case_id:
            return case
    raise SystemExit(f"{case_id} is not in the corpus")


def _registry(trust: dict[str, list[str]]) -> TrustRegistry:
    return TrustRegistry.load(
        registries=[CORPUS_DIR / p for p in trust.get("registry", [])],
        jwks=[CORPUS_DIR / p for p in trust.get("jwks", [])],
        certificates=[CORPUS_DIR / p for p in trust.get("cert", [])],
        crls=[CORPUS_DIR / p for p in trust.get("crl", [])],
    )


def _verifier(scanned: str | bytes, registry: TrustRegistry, at: datetime) -> Callable[[], object]:
    return lambda: verify_credential(scanned, registry, at=at)


def main() -> None:
    pin_to_one_core()
    snapshot = TrustRegistry.load(registries=[CORPUS_DIR / "trust" / "registry_normalized.json"])
    print("| format | one key | full registry + that key | ratio (one key / full) |\n|---|---|---|---|")
    for case_id in CASES:
        case = _case(case_id)
        trust = case["trust"]
        assert isinstance(trust, dict)
        one = _registry(trust)
        full = snapshot.merged(one)
        at = datetime.fromisoformat(str(case["at"]).replace("Z", "+00:00"))
        qr_file, texts = case.get("qr_file"), case.get("qr")
        scanned: str | bytes = (CORPUS_DIR / str(qr_file)).read_bytes() if qr_file else str(texts[0])  # type: ignore[index]
        for registry in (one, full):
            assert verify_credential(scanned, registry, at=at).valid, case_id

        times = interleaved_per_call_seconds(
            {"one": _verifier(scanned, one, at), "full": _verifier(scanned, full, at)}, min_time=0.5, rounds=9
        )
        print(
            f"| {case_id.split('/')[1]} | {times['one'] * 1e6:,.0f} µs | {times['full'] * 1e6:,.0f} µs "
            f"| {times['one'] / times['full']:.3f} |"
        )


if __name__ == "__main__":
    main()
