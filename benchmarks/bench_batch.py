"""`vaxcert-verify verify --batch` per code against the library's verify(), and --jobs.

    .venv/bin/python benchmarks/bench_batch.py [--codes 2000] [--rounds 5]

Per-code cost: the batch (in process, output to memory) and verify() over the same
codes take turns on one pinned core.  --jobs: the whole command as a process, 1 and N
workers taking turns, on every core the machine lets us use (the ratio is wall time).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import pin_to_one_core

from vaxcert import PemSigner, TrustStore, issue, verify
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from verifier_cli.main import main as verifier_main

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    dsc = create_dsc(create_csca())
    assert isinstance(dsc, IssuedKeyPair)
    (folder / "dsc.pem").write_bytes(dsc.certificate_pem())
    (folder / "key.pem").write_bytes(dsc.private_key_pem())
    signer = PemSigner.from_files(folder / "key.pem", folder / "dsc.pem")
    trust = TrustStore.of([signer.certificate])
    codes = [issue(PAYLOAD, signer).text for _ in range(options.codes)]
    batch = folder / "codes.txt"
    batch.write_text("".join(code + "\n" for code in codes), encoding="utf-8")
    args = ["verify", "--batch", str(batch), "--trust-cert", str(folder / "dsc.pem")]

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    command = [sys.executable, "-m", "verifier_cli", *args]
    walls: dict[int, list[float]] = {1: [], options.jobs: []}
    for _ in range(options.rounds):
        for jobs in walls:
            started = time.perf_counter()
            subprocess.run([*command, "--jobs", str(jobs)], cwd=ROOT, capture_output=True, check=False)
            walls[jobs].append(time.perf_counter() - started)

    pin_to_one_core()
    verifier_main(args, stdout=io.StringIO())  # warm: schema compiled, modules imported
    library: list[float] = []
    batched: list[float] = []
    for _ in range(options.rounds):
        started = time.perf_counter()
        for code in codes:
            verify(code, trust)
        library.append((time.perf_counter() - started) / len(codes))
        started = time.perf_counter()
        verifier_main(args, stdout=io.StringIO())
        batched.append((time.perf_counter() - started) / len(codes))

    ratios = [b / v for b, v in zip(batched, library, strict=True)]
    print(f"Python {sys.version.split()[0]}, {options.codes:,} HC1 codes, {options.rounds} rounds\n")
    print(
        f"- per code, one pinned core: verify() {statistics.median(library) * 1e6:.0f} µs, --batch "
        f"{statistics.median(batched) * 1e6:.0f} µs: {min(ratios):.2f}–{max(ratios):.2f}× verify() "
        f"(median {statistics.median(ratios):.2f}×; target ≤ 1.3×)"
    )
    one, many = statistics.median(walls[1]), statistics.median(walls[options.jobs])
    speedups = [a / b for a, b in zip(walls[1], walls[options.jobs], strict=True)]
    print(
        f"- whole command on {cores} core(s), start-up included: --jobs 1 {one:.2f} s, --jobs {options.jobs} "
        f"{many:.2f} s: {min(speedups):.2f}–{max(speedups):.2f}× (median {one / many:.2f}×; target ≥ 1.8×)"
    )


if __name__ == "__main__":
    main()
