"""Bulk issuance with persistence: rows/s through ``vaxcert-issuer bulk`` (SQLite, dev PEM key).

    .venv/bin/python benchmarks/bench_bulk.py [--rows 50000]

Reports the rate and the time 1,000,000 rows would take at that rate (target ≤ 10 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vaxcert-bulk-"))
    records = folder / "records.ndjson"
    with records.open("w", encoding="utf-8") as stream:
        for index in range(args.rows):
            PAYLOAD["nam"]["gn"] = f"Thị Phương {index}"
            stream.write(json.dumps(PAYLOAD, ensure_ascii=False) + "\n")
    env = {**os.environ, "VAXCERT_DATA_DIR": str(folder / "data"), "VAXCERT_DEV_KEYS": "pem"}
    admin = [sys.executable, "-m", "issuer_service.admin"]
    subprocess.run([*admin, "org", "create", "Ministry"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [*admin, "bulk", str(records), "--org", "Ministry", "--batch-size", str(args.batch_size)],
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    rate = args.rows / elapsed
    print(
        f"{args.rows:,} rows issued and stored in {elapsed:.1f} s: {rate:,.0f} rows/s; "
        f"1,000,000 rows would take {1_000_000 / rate / 60:.1f} min (target ≤ 10 min)"
    )


if __name__ == "__main__":
    main()
