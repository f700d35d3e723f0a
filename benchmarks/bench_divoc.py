"""DIVOC benchmark: time per verification, split into canonicalisation (pyld URDNA2015) and signature.

    .venv/bin/python benchmarks/bench_divoc.py

Uses the test issuers of spec/vectors/divoc (RSA-2048 PS256 and Ed25519).  Ratios
compare measurements from this same run on one pinned core; the baseline is a bare
``cryptography`` verify of the same signature over the same signing input.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from common import interleaved_per_call_seconds, per_call_seconds, pin_to_one_core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from vaxcert.divoc import _urdna, canonical, credential, decode_envelope, verify_divoc
from vaxcert.registry import TrustRegistry

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "spec/vectors/divoc"
CASES = {case["id"]: case for case in json.loads((VECTORS / "cases.json").read_text(encoding="utf-8"))}
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _bare_verify(public: object, signature: bytes, message: bytes) -> None:
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, message, PSS, hashes.SHA256())
    else:
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(signature, message)


def _row(name: str, seconds: float, total: float, bare: float) -> str:
    return f"| {name} | {seconds * 1e3:,.2f} ms | {seconds / total:.0%} of verify | {bare / seconds:.3f}× bare verify |"


def main() -> None:
    pin_to_one_core()
    registry = TrustRegistry.load(registries=[VECTORS / "registry.json"])
    print(f"\nPython {sys.version.split()[0]}, one pinned core\n")
    print("| operation | time per call | share | ratio (throughput vs bare cryptography verify) |")
    print("|---|---|---|---|")
    for case_id in ("valid-rsa-v2", "valid-ed25519-v2"):
        _bench_case(CASES[case_id], registry)
    print("\nTarget: verify_divoc ≤ 20 ms per credential.")


def _bench_case(case: dict[str, str], registry: TrustRegistry) -> None:
    payload = base64.b64decode(case["payload"])
    at = datetime.fromisoformat(case["at"])
    parsed = credential.decode(decode_envelope(payload))
    key = registry.key("DIVOC", parsed.proof.did)
    assert key is not None
    public = serialization.load_der_public_key(key.spki)
    options = canonical.proof_options(parsed.proof.document)
    document = canonical.unsigned_document(parsed.document)
    digests = canonical.signing_digests(parsed.document, parsed.proof.document)
    message = parsed.proof.protected.encode() + b"." + digests
    _bare_verify(public, parsed.proof.signature, message)
    assert verify_divoc(payload, registry, at=at).valid

    # Cold: the first verification in a fresh thread processes every context once.
    cold = _cold_seconds(payload, registry, at)
    timed = interleaved_per_call_seconds(
        {
            "verify": lambda: verify_divoc(payload, registry, at=at),
            "bare": lambda: _bare_verify(public, parsed.proof.signature, message),
            "canonical": lambda: (canonical.canonicalize(options), canonical.canonicalize(document)),
            "unzip+parse": lambda: credential.decode(decode_envelope(payload)),
        }
    )
    uncached = per_call_seconds(lambda: _uncached_canonical(options, document), min_time=0.5, rounds=3)
    total, bare = timed["verify"], timed["bare"]
    suite = parsed.proof.type
    print(_row(f"{suite}: verify_divoc (warm)", total, total, bare))
    print(_row(f"{suite}: URDNA2015 of proof options + credential", timed["canonical"], total, bare))
    print(_row(f"{suite}: bare cryptography verify (baseline)", bare, total, bare))
    print(_row(f"{suite}: unzip + JSON + proof shape", timed["unzip+parse"], total, bare))
    print(_row(f"{suite}: URDNA2015 without the context cache", uncached, total, bare))
    print(_row(f"{suite}: first verify in a new thread (cold cache)", cold, total, bare))


def _cold_seconds(payload: bytes, registry: TrustRegistry, at: datetime) -> float:
    import threading

    found: list[float] = []

    def run() -> None:
        started = time.perf_counter()
        verify_divoc(payload, registry, at=at)
        found.append(time.perf_counter() - started)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return found[0]


def _uncached_canonical(options: dict[str, object], document: dict[str, object]) -> None:
    _urdna._local.cache = None  # a fresh resolver cache: every context is processed again
    canonical.canonicalize(options)
    _urdna._local.cache = None
    canonical.canonicalize(document)


if __name__ == "__main__":
    main()
