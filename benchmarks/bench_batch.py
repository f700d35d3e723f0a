"""`vaxcert-verify verify --batch` per code against the library's verify(), and --jobs.

    .venv/bin/python benchmarks/bench_batch.py [--codes 2000] [--rounds 5] [--jobs 2] [--jobs-codes 2000,20000]

Per-code cost: the batch (in this process, output to a file) and verify() over the same codes
take turns on one pinned core, timed in CPU time (steadier than wall time on a shared machine).

--jobs: the whole command as a process, output to a file, --jobs 1 and --jobs N taking turns
on every core the machine lets us use, for each batch size in --jobs-codes.  Wall time is what
--jobs is for, so the ratio is of wall times; the CPU time of all the command's processes is
printed beside it (what sharing out the lines costs), and so are two reference runs: the
start-up alone (an empty batch: imports, trust, policy), and N independent --jobs 1
processes started together on 1/N of the codes each (the best N processes can do here).  A last
line models the walls on a machine where every process has a core of its own.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import pin_to_one_core

from vaxcert import PemSigner, TrustStore, issue, verify
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from verifier_cli.main import main as verifier_main

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(commands: list[list[str]], outputs: list[Path]) -> tuple[float, float]:
    """Wall time until every command (started together) has finished, and their CPU time in all."""
    cpu = _children_cpu()
    started = time.perf_counter()
    running = []
    for command, output in zip(commands, outputs, strict=True):
        with output.open("wb") as sink:
            running.append(subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.DEVNULL))
    for process in running:
        process.wait()
    return time.perf_counter() - started, _children_cpu() - cpu


def _summary(samples: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _ in samples]
    cpus = [cpu for _, cpu in samples]
    return f"{statistics.median(walls):.2f} s ({min(walls):.2f}–{max(walls):.2f}), CPU {statistics.median(cpus):.2f} s"


def _measure_jobs(codes: list[str], folder: Path, trust_file: Path, jobs: int, rounds: int) -> None:
    batch = folder / f"codes-{len(codes)}.txt"
    batch.write_text("".join(code + "\n" for code in codes), encoding="utf-8")
    parts = []
    for part in range(jobs):
        path = folder / f"codes-{len(codes)}-part{part}.txt"
        path.write_text("".join(code + "\n" for code in codes[part::jobs]), encoding="utf-8")
        parts.append(path)
    empty = folder / "empty.txt"
    empty.write_text("", encoding="utf-8")

    def command(source: Path, processes: int) -> list[str]:
        options = ["--trust-cert", str(trust_file), "--cache-dir", str(folder / "cache"), "--jobs", str(processes)]
        return [sys.executable, "-m", "verifier_cli", "verify", "--batch", str(source), *options]

    out = folder / "out.jsonl"
    variants: dict[str, Callable[[], tuple[float, float]]] = {
        "start-up": lambda: _timed([command(empty, 1)], [out]),
        "--jobs 1": lambda: _timed([command(batch, 1)], [out]),
        f"--jobs {jobs}": lambda: _timed([command(batch, jobs)], [out]),
        f"{jobs} × --jobs 1 on 1/{jobs} each": lambda: _timed(
            [command(part, 1) for part in parts], [folder / f"out{n}.jsonl" for n in range(jobs)]
        ),
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, variant in variants.items():
            samples[name].append(variant())
    one = [wall for wall, _ in samples["--jobs 1"]]
    many = [wall for wall, _ in samples[f"--jobs {jobs}"]]
    ideal = [wall for wall, _ in samples[f"{jobs} × --jobs 1 on 1/{jobs} each"]]
    speedups = [a / b for a, b in zip(one, many, strict=True)]
    # On a machine shared with other work the walls say little about the cores: this model says
    # what they would be were every process on a core of its own (work shared out evenly).
    start_wall = statistics.median([wall for wall, _ in samples["start-up"]])
    start_cpu = statistics.median([cpu for _, cpu in samples["start-up"]])
    one_cpu = statistics.median([cpu for _, cpu in samples["--jobs 1"]])
    many_cpu = statistics.median([cpu for _, cpu in samples[f"--jobs {jobs}"]])
    model_one = start_wall + one_cpu - start_cpu
    model_many = start_wall + (many_cpu - start_cpu) / jobs
    print(f"- {len(codes):,} codes, whole command (start-up included), output to a file:")
    for name, values in samples.items():
        print(f"  - {name}: {_summary(values)}")
    print(
        f"  - --jobs {jobs} against --jobs 1: {statistics.median(one) / statistics.median(many):.2f}× wall "
        f"(per round {min(speedups):.2f}–{max(speedups):.2f}×; target ≥ 1.8×); {jobs} independent processes: "
        f"{statistics.median(one) / statistics.median(ideal):.2f}×"
    )
    print(
        f"  - model, every process on a core of its own (start-up wall + CPU beyond start-up / processes): "
        f"--jobs 1 {model_one:.2f} s, --jobs {jobs} {model_many:.2f} s: {model_one / model_many:.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--jobs-codes", default="2000,20000", help="batch sizes for --jobs, comma-separated")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    dsc = create_dsc(create_csca())
    assert isinstance(dsc, IssuedKeyPair)
    trust_file = folder / "dsc.pem"
    trust_file.write_bytes(dsc.certificate_pem())
    (folder / "key.pem").write_bytes(dsc.private_key_pem())
    signer = PemSigner.from_files(folder / "key.pem", trust_file)
    trust = TrustStore.of([signer.certificate])
    sizes = [int(size) for size in options.jobs_codes.split(",") if size]
    codes = [issue(PAYLOAD, signer).text for _ in range(max([options.codes, *sizes]))]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Python {sys.version.split()[0]}, {options.rounds} rounds, {cores} core(s)\n")

    for size in sizes:
        _measure_jobs(codes[:size], folder, trust_file, options.jobs, options.rounds)

    batch = folder / "per-code.txt"
    batch.write_text("".join(code + "\n" for code in codes[: options.codes]), encoding="utf-8")
    # An empty trust cache of its own: no revocation list a user fetched is checked by the batch only.
    args = ["verify", "--batch", str(batch), "--trust-cert", str(trust_file), "--cache-dir", str(folder / "cache")]
    pin_to_one_core()
    sink = (folder / "per-code.jsonl").open("w", encoding="utf-8")
    verifier_main(args, stdout=io.StringIO())  # warm: schema compiled, modules imported
    library: list[float] = []
    batched: list[float] = []
    for _ in range(options.rounds):
        started = time.process_time()
        for code in codes[: options.codes]:
            verify(code, trust)
        library.append((time.process_time() - started) / options.codes)
        sink.seek(0)
        started = time.process_time()
        verifier_main(args, stdout=sink)
        sink.flush()
        batched.append((time.process_time() - started) / options.codes)
    sink.close()
    ratios = [b / v for b, v in zip(batched, library, strict=True)]
    print(
        f"- per code, {options.codes:,} codes, one pinned core, CPU time: verify() "
        f"{statistics.median(library) * 1e6:.0f} µs, --batch {statistics.median(batched) * 1e6:.0f} µs: "
        f"{min(ratios):.2f}–{max(ratios):.2f}× verify() (median {statistics.median(ratios):.2f}×; target ≤ 1.3×)"
    )


if __name__ == "__main__":
    main()
