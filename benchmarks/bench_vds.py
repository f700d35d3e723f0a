"""ICAO VDS-NC benchmark: verify_vds against a bare P-256 verify of the same signature.

    .venv/bin/python benchmarks/bench_vds.py

The seal is spec/vectors/vds/vaccination.json signed by a throw-away barcode signer
(P-256) whose CSCA (P-384) is trusted as a registry entry or as an anchor.  Every
ratio compares measurements taken in this same run, interleaved, on one pinned core.
"""

from __future__ import annotations

import base64
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import HEADER, interleaved_per_call_seconds, per_call_seconds, pin_to_one_core, row
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vaxcert._json import CREDENTIAL, loads_bounded
from vaxcert.registry import TrustRegistry
from vaxcert.vds import certificate, verify_vds
from vaxcert.vds.jcs import canonicalize, canonicalize_reference

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT.parent / "shared" / "conformance" / "multiformat" / "trust" / "registry_normalized.json"


def main() -> None:
    pin_to_one_core()
    sys.path.insert(0, str(ROOT))
    from tests.vaxcert.vds.pki import AT, anchors, icao_registry, make_csca, make_signer, seal_text, vector

    csca = make_csca()
    signer = make_signer(csca)
    text = seal_text(vector("vaccination.json"), signer)
    registry = icao_registry(csca)
    anchored = anchors(csca)
    assert verify_vds(text, registry, at=AT).valid and verify_vds(text, anchored, at=AT).valid

    # The bare baseline: the same signature over the same canonical bytes, already DER-encoded.
    seal = json.loads(text)
    signed = canonicalize(seal["data"])
    raw = base64.urlsafe_b64decode(seal["sig"]["sigvl"] + "==")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = signer.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)

    variants = {
        "bare P-256 verify": lambda: public.verify(der, signed, ec.ECDSA(hashes.SHA256())),
        "verify_vds, CSCA in the registry": lambda: verify_vds(text, registry, at=AT),
        "verify_vds, CSCA as an anchor": lambda: verify_vds(text, anchored, at=AT),
    }
    full = None
    if SNAPSHOT.exists():
        started = time.perf_counter()
        full = TrustRegistry.load(registries=[SNAPSHOT]).merged(registry)
        load_seconds = time.perf_counter() - started
        variants["verify_vds, full registry snapshot loaded"] = lambda: verify_vds(text, full, at=AT)
    timings = interleaved_per_call_seconds(variants, min_time=1.0, rounds=15)
    baseline = timings["bare P-256 verify"]
    # The machine is shared: CPU time of this process is steadier than wall time when others run.
    cpu = interleaved_cpu_seconds(variants, loops=2000, rounds=9)
    cpu_baseline = cpu["bare P-256 verify"]

    data = seal["data"]
    parts = {
        "loads_bounded(seal)": per_call_seconds(lambda: loads_bounded(text, CREDENTIAL)),
        "canonicalize(data) (fast path)": per_call_seconds(lambda: canonicalize(data)),
        "rfc8785.dumps(data) (reference)": per_call_seconds(lambda: canonicalize_reference(data)),
    }

    def cold() -> object:
        certificate.parse_certificate.cache_clear()
        certificate._decode_cer_text.cache_clear()
        certificate._signed_by_cached.cache_clear()
        return verify_vds(text, registry, at=AT)

    parts["verify_vds, caches cleared (first seal of a signer)"] = per_call_seconds(cold)

    print(f"seal: {len(text)} characters, data canonical form {len(signed)} bytes\n")
    print(HEADER)
    for name, seconds in timings.items():
        print(row(name, seconds, "bare verify", baseline, "wall time"))
    for name, seconds in cpu.items():
        print(row(name, seconds, "bare verify", cpu_baseline, "CPU time"))
    for name, seconds in parts.items():
        print(row(name, seconds, "bare verify", baseline, "part"))
    if full is not None:
        print(f"\nfull registry snapshot: {len(full.keys)} keys loaded in {load_seconds * 1000:.0f} ms")


def interleaved_cpu_seconds(functions: dict[str, Callable[[], object]], loops: int, rounds: int) -> dict[str, float]:
    """Median CPU seconds per call (``time.process_time``), the variants taking turns each round."""
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.process_time()
            for _ in range(loops):
                function()
            samples[name].append((time.process_time() - started) / loops)
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    main()
