"""HTTP issuance throughput: 2 uvicorn workers, concurrent clients, SQLite (and PostgreSQL if given).

    .venv/bin/python benchmarks/bench_service.py [--requests 3000] [--concurrency 32] [--postgres URL]
                                                 [--keys pem,softhsm]

The load generator runs on the same 2-core machine and competes for CPU, so the
numbers are a floor.  Keys: the development PEM key (VAXCERT_DEV_KEYS=pem) and the
development SoftHSM2 token (VAXCERT_DEV_KEYS=softhsm: every uvicorn worker signs
through its own PKCS#11 session), each on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY_NAMES = {"pem": "PEM key", "softhsm": "SoftHSM2"}
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def load(url: str, key: str, requests: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(url, json=PAYLOAD, headers={"Authorization": f"Bearer {key}"})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(response.text)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def run(database_url: str | None, label: str, args: argparse.Namespace, keys: str) -> None:
    data = Path(tempfile.mkdtemp(prefix="vaxcert-bench-"))
    env = {**os.environ, "VAXCERT_DATA_DIR": str(data), "VAXCERT_DEV_KEYS": keys}
    env.pop("VAXCERT_HSM_TOKEN", None)
    if database_url:
        env["VAXCERT_DATABASE_URL"] = database_url
    admin = [sys.executable, "-m", "issuer_service.admin"]
    subprocess.run([*admin, "org", "create", "bench"], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [*admin, "key", "create", "--org", "bench", "--scopes", "issue"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*admin, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("service did not start")
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/v1/certificates"
        asyncio.run(load(url, key, 200, args.concurrency))  # warm-up
        if shutil.which("wrk") and not args.python_client:
            print(wrk(url, key, args, keys), flush=True)
            return
        started = time.perf_counter()
        latencies = asyncio.run(load(url, key, args.requests, args.concurrency))
        elapsed = time.perf_counter() - started
        latencies.sort()
        p50 = statistics.median(latencies) * 1e3
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1e3
        print(f"| {label} | {KEY_NAMES[keys]} | {args.requests / elapsed:,.0f}/s | {p50:.1f} ms | {p99:.1f} ms | |")
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(url: str, key: str, args: argparse.Namespace, keys: str) -> str:
    """Load from wrk (C, one thread), so the generator takes little of the 2 cores from the server."""
    script = Path(tempfile.mkdtemp()) / "post.lua"
    body = json.dumps(PAYLOAD, ensure_ascii=False).replace("\\", "\\\\").replace("]]", "] ]")
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = [[{body}]]\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        ["wrk", "-t1", f"-c{args.concurrency}", f"-d{args.seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = next(line.split()[-1] for line in result.splitlines() if line.startswith("Requests/sec"))
    p50 = next(line.split()[-1] for line in result.splitlines() if line.strip().startswith("50%"))
    p99 = next(line.split()[-1] for line in result.splitlines() if line.strip().startswith("99%"))
    non_2xx = next((line for line in result.splitlines() if "Non-2xx" in line), "")
    label = f"{args.label} (wrk, {args.seconds} s)"
    return f"| {label} | {KEY_NAMES[keys]} | {float(rate):,.0f}/s | {p50} | {p99} | {non_2xx}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--postgres", default="auto", help="SQLAlchemy URL of an empty database, 'auto' (start one) or ''"
    )
    parser.add_argument("--keys", default="pem,softhsm", help="pem, softhsm or both (development keys; default both)")
    parser.add_argument("--softhsm", action="store_true", help="only the development SoftHSM2 token (--keys softhsm)")
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration")
    parser.add_argument("--python-client", action="store_true", help="use the httpx client even if wrk exists")
    args = parser.parse_args()
    keys = ["softhsm"] if args.softhsm else args.keys.split(",")
    unknown = [name for name in keys if name not in KEY_NAMES]
    if unknown:
        parser.error(f"--keys: unknown {', '.join(unknown)} (pem, softhsm)")
    print(
        f"POST /v1/certificates, ES256, 2 uvicorn workers, {args.concurrency} concurrent clients, "
        f"{args.requests} requests (or wrk for {args.seconds} s)\n"
    )
    print("| database | key | certificates/s | p50 latency | p99 latency | errors |\n|---|---|---|---|---|---|")
    for name in keys:
        args.label = "SQLite (WAL)"
        run(None, args.label, args, name)
    if args.postgres == "auto":
        # Test support, not shipped: importable from the checkout only.
        sys.path.insert(0, str(ROOT))
        from tests.support.throwaway_postgres import available, throwaway_postgres

        if available():
            with throwaway_postgres() as url:
                for name in keys:
                    args.label = "PostgreSQL (throw-away local server)"
                    run(fresh_database(url, f"bench_{name}"), args.label, args, name)
    elif args.postgres:
        for name in keys:
            args.label = "PostgreSQL"
            run(fresh_database(args.postgres, f"bench_{name}_{time.monotonic_ns()}"), args.label, args, name)


def fresh_database(server: str, name: str) -> str:
    """An empty database on ``server`` for one run: the keys of one run must not meet the other's."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(server)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    main()
