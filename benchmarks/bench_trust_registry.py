"""The full multi-framework registry snapshot (~2,100 keys): read directly, and through a signed list.

    .venv/bin/python benchmarks/bench_trust_registry.py [registry_normalized.json]

Prints time (median of several runs) and peak Python memory (tracemalloc, a run of its
own) for: ``TrustRegistry.load(registries=[snapshot])``; importing the snapshot into
a trust list, building and signing it (once); and verifying the signed list and
loading its ``registry()`` (what a checkpoint does at start).  The decoded-key cache
is emptied before every run, so no run profits from an earlier one.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import pin_to_one_core

from vaxcert import PemSigner, trustlist
from vaxcert.pki import create_csca
from vaxcert.registry import TrustRegistry, load_spki

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT.parent / "shared" / "conformance" / "multiformat" / "trust" / "registry_normalized.json"
RUNS = 7


def measure(function: Callable[[], object]) -> tuple[float, float]:
    """Median seconds over RUNS, and the peak traced memory (MB) of one more run."""
    times = []
    for _ in range(RUNS):
        load_spki.cache_clear()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    load_spki.cache_clear()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 1e6


def main() -> None:
    pin_to_one_core()
    snapshot = Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT
    folder = Path(tempfile.mkdtemp())
    pair = create_csca(common_name="TL signer")
    (folder / "anchor.pem").write_bytes(pair.certificate_pem())
    (folder / "anchor-key.pem").write_bytes(pair.private_key_pem())
    anchor = PemSigner.from_files(folder / "anchor-key.pem", folder / "anchor.pem")

    direct = TrustRegistry.load(registries=[snapshot])
    direct_time, direct_peak = measure(lambda: TrustRegistry.load(registries=[snapshot]))

    def build_and_sign() -> bytes:
        imported = trustlist.keys_from_registry(snapshot.read_bytes())
        now = datetime.now(UTC).replace(microsecond=0)
        content = trustlist.build(
            [], sequence=1, issued_at=now, next_update=now + timedelta(hours=48), keys=imported.keys
        )
        return trustlist.sign(content, anchor)

    started = time.perf_counter()
    signed = build_and_sign()
    build_time = time.perf_counter() - started
    checked = trustlist.verify(signed, [anchor.certificate])
    through_list = checked.registry()
    list_time, list_peak = measure(lambda: trustlist.verify(signed, [anchor.certificate]).registry())

    print(f"snapshot {snapshot.name}: {snapshot.stat().st_size:,} bytes")
    print("| path | keys | time (median of 7) | peak memory (tracemalloc) |")
    print("|---|---|---|---|")
    print(
        f"| TrustRegistry.load(registries=[snapshot]) | {len(direct.keys):,} "
        f"({len(direct.skipped_entries)} without a key) | {direct_time * 1e3:,.1f} ms | {direct_peak:,.1f} MB |"
    )
    print(
        f"| import + build + sign (once) | {len(checked.content.keys):,} "
        f"({len(direct.keys) - len(checked.content.keys)} unusable keys rejected) | {build_time * 1e3:,.1f} ms | - |"
    )
    print(
        f"| verify signed list ({len(signed):,} bytes) + registry() | {len(through_list.keys):,} "
        f"| {list_time * 1e3:,.1f} ms | {list_peak:,.1f} MB |"
    )
    print("per framework through the list:", through_list.frameworks())


if __name__ == "__main__":
    main()
