"""Bulk issuance with persistence and audit: rows/s through ``vaxcert-issuer bulk`` against the processes that sign.

    .venv/bin/python benchmarks/bench_bulk.py [--rows 100000] [--workers 1,2] [--databases sqlite,postgresql]
                                              [--keys pem,softhsm]

Every combination runs on a fresh data folder and database: NDJSON, batches of 500,
the development PEM key or the development SoftHSM2 token (each worker its own
PKCS#11 session).  PostgreSQL is a throw-away local server (the test support's).
Reports the rate and the time 1,000,000 rows would take at that rate, extrapolated
linearly (targets: 3 min with a PEM key, 6 min through SoftHSM2), and the CPU time
the bulk process and its workers spent per 1,000 rows: on a machine whose cores
other work shares, that one shows what the rows cost when the rate cannot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
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


def run(
    records: Path, rows: int, database_url: str | None, keys: str, workers: int, batch_size: int
) -> tuple[float, float]:
    """Rows/s, and CPU seconds per 1,000 rows of the bulk process and its workers (not the database server's)."""
    folder = Path(tempfile.mkdtemp(prefix="vaxcert-bulk-"))
    env = {**os.environ, "VAXCERT_DATA_DIR": str(folder / "data"), "VAXCERT_DEV_KEYS": keys}
    env.pop("VAXCERT_HSM_TOKEN", None)
    if database_url:
        env["VAXCERT_DATABASE_URL"] = database_url
    admin = [sys.executable, "-m", "issuer_service.admin"]
    subprocess.run([*admin, "org", "create", "Ministry"], env=env, check=True, capture_output=True)
    command = [*admin, "bulk", str(records), "--org", "Ministry", "--batch-size", str(batch_size)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*command, "--workers", str(workers)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0 or f"{rows} issued, 0 rejected" not in done.stdout:
        raise SystemExit(f"bulk run failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-2000:]}")
    return rows / elapsed, cpu / rows * 1000


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
        f"{os.cpu_count()} CPUs (shared with whatever else runs)\n"
    )
    print(
        "| database | key | processes signing | rows/s | 1,000,000 rows (extrapolated) | target "
        "| CPU s per 1,000 rows (bulk + workers) |"
    )
    print("|---|---|---|---|---|---|---|")
    with postgres_server("postgresql" in databases) as server:
        for database in databases:
            for keys in args.keys.split(","):
                for workers in (int(n) for n in args.workers.split(",")):
                    url = None
                    if database == "postgresql":
                        assert server is not None
                        url = fresh_database(server, f"bulk_{keys}_{workers}_{time.monotonic_ns()}")
                    rate, cpu = run(records, args.rows, url, keys, workers, args.batch_size)
                    minutes = 1_000_000 / rate / 60
                    target = TARGET_MINUTES[keys]
                    verdict = "met" if minutes <= target else "not met"
                    print(
                        f"| {database} | {keys} | {workers} | {rate:,.0f} | {minutes:.1f} min | "
                        f"≤ {target:.0f} min: {verdict} | {cpu:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
