"""Bulk issuance with persistence and audit: rows/s through ``vaxcert-issuer bulk`` against the processes that sign.

    .venv/bin/python benchmarks/bench_bulk.py [--rows 100000] [--workers 1,2] [--databases sqlite,postgresql]
                                              [--keys pem,softhsm] [--batch-size 500]

Every combination runs on a fresh data folder and database: NDJSON, batches of 500,
the development PEM key or the development SoftHSM2 token (each worker its own
PKCS#11 session).  PostgreSQL is a throw-away local server (the test support's).
``--workers 1`` signs in the bulk process itself; ``--workers N`` in N processes,
the bulk process writing.  Reports the rate and the time 1,000,000 rows would take at
that rate, extrapolated linearly (targets: 3 min with a PEM key, 6 min through
SoftHSM2), and the CPU time per row of each process: the bulk process (reading,
writing, audit), its signing workers, and the PostgreSQL server.  On a machine
whose cores other work shares, the CPU time shows what the rows cost when the
rate cannot; their total, over the machine's cores, is the rate a quiet machine
would allow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))
TARGET_MINUTES = {"pem": 3.0, "softhsm": 6.0}


@contextlib.contextmanager
def postgres_server(wanted: bool) -> Iterator[str | None]:
    if not wanted:
        yield None
        return
    sys.path.insert(0, str(ROOT))  # test support, not shipped: importable from the checkout only
    from tests.support.throwaway_postgres import available, throwaway_postgres

    if not available():
        raise SystemExit("PostgreSQL is not installed")
    with throwaway_postgres() as url:
        yield url


def fresh_database(server: str, name: str) -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(server)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


# The bulk command, then this process's own CPU time and its reaped workers', for the benchmark to read.
_CHILD = "\n".join(
    [
        "import resource, sys",
        "from issuer_service.admin import main",
        "code = main(sys.argv[1:])",
        "own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)",
        'sys.stderr.write(f"\\nCPU {own.ru_utime + own.ru_stime} {workers.ru_utime + workers.ru_stime}\\n")',
        "sys.exit(code)",
    ]
)


def server_cpu(database_url: str | None) -> float:
    """CPU seconds the PostgreSQL server behind ``database_url`` has used so far (its backends included)."""
    if not database_url:
        return 0.0
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        folder = connection.exec_driver_sql("SHOW data_directory").scalar_one()
    engine.dispose()
    postmaster = int((Path(folder) / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:  # its own time, and that of every backend it has reaped
            ticks += sum(int(value) for value in fields[11:15])
        elif parent == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run(
    records: Path, rows: int, database_url: str | None, keys: str, workers: int, batch_size: int
) -> tuple[float, float, float, float]:
    """Rows/s, and CPU µs per row of the bulk process, of its workers and of the database server."""
    folder = Path(tempfile.mkdtemp(prefix="vaxcert-bulk-"))
    env = {**os.environ, "VAXCERT_DATA_DIR": str(folder / "data"), "VAXCERT_DEV_KEYS": keys}
    env.pop("VAXCERT_HSM_TOKEN", None)
    if database_url:
        env["VAXCERT_DATABASE_URL"] = database_url
    try:
        admin = [sys.executable, "-m", "issuer_service.admin"]
        subprocess.run([*admin, "org", "create", "Ministry"], env=env, check=True, capture_output=True, cwd=ROOT)
        command = [sys.executable, "-c", _CHILD, "bulk", str(records), "--org", "Ministry"]
        command += ["--batch-size", str(batch_size), "--workers", str(workers)]
        server_before = server_cpu(database_url)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        elapsed = time.perf_counter() - started
        server = server_cpu(database_url) - server_before
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # a million rows' database is gigabytes
    if done.returncode != 0 or f"{rows} issued, 0 rejected" not in done.stdout:
        raise SystemExit(f"bulk run failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-2000:]}")
    own, children = (float(value) for value in done.stderr.rsplit("CPU ", 1)[1].split())
    return rows / elapsed, own / rows * 1e6, children / rows * 1e6, server / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", default="1,2", help="comma-separated process counts (default 1,2)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--keys", default="pem,softhsm", help="pem, softhsm or both (development keys)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vaxcert-bulk-rows-"))
    records = folder / "records.ndjson"
    with records.open("w", encoding="utf-8") as stream:
        for index in range(args.rows):
            PAYLOAD["nam"]["gn"] = f"Thị Phương {index}"
            stream.write(json.dumps(PAYLOAD, ensure_ascii=False) + "\n")
    databases = args.databases.split(",")
    print(
        f"vaxcert-issuer bulk: {args.rows:,} NDJSON rows, batches of {args.batch_size}, persistence + audit; "
        f"{os.cpu_count()} CPUs (shared with whatever else runs: load average {_load()} at the start)\n"
    )
    print(
        "| database | key | processes signing | rows/s | 1,000,000 rows (extrapolated) | target "
        "| CPU µs per row: bulk process | signing workers | PostgreSQL server | all, over the cores |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    cores = os.cpu_count() or 1
    with postgres_server("postgresql" in databases) as server:
        for database in databases:
            for keys in args.keys.split(","):
                for workers in (int(n) for n in args.workers.split(",")):
                    url = None
                    if database == "postgresql":
                        assert server is not None
                        url = fresh_database(server, f"bulk_{keys}_{workers}_{time.monotonic_ns()}")
                    rate, own, children, db_server = run(records, args.rows, url, keys, workers, args.batch_size)
                    minutes = 1_000_000 / rate / 60
                    target = TARGET_MINUTES[keys]
                    verdict = "met" if minutes <= target else "not met"
                    total = own + children + db_server
                    print(
                        f"| {database} | {keys} | {workers} | {rate:,.0f} | {minutes:.1f} min | "
                        f"≤ {target:.0f} min: {verdict} | {own:,.0f} | {children:,.0f} | "
                        f"{db_server:,.0f} | {total:,.0f} µs = {cores * 1e6 / total:,.0f} rows/s on {cores} cores |",
                        flush=True,
                    )
    print(f"\nload average at the end: {_load()}")
    shutil.rmtree(folder, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
