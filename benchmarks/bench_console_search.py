"""Console search over 1,000,000 certificates of one organisation: p50/p95 per kind of query.

    .venv/bin/python benchmarks/bench_console_search.py [--rows 1000000] [--queries 300] [--postgres auto|URL|'']

Rows are inserted straight into the ``certificates`` table (signing a million certificates is
bench_bulk.py's subject, not this one's): 64 real HC1 texts signed with a development key are
shared by rows whose folded name and date of birth are drawn from Vietnamese family, middle and
given names (Nguyễn about 38 %, as in the population).  The timed call is
``issuer_service.search.search`` (index range scan + decoding each result's HC1 for display),
limit 50, through a read-only session as the console uses it.

Measured 29/11/2026 on the shared 2-core machine (other helpers' tests running), 300 queries per
kind: p95 over all search queries 31.9 ms on SQLite (WAL), 17.9 ms on PostgreSQL 15 (target
<= 100 ms); the dashboard's counts 0.2-0.26 s (SQLite) and 0.11-0.15 s (PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from issuer_service import db, search  # noqa: E402
from issuer_service.auth import create_organisation  # noqa: E402
from issuer_service.cli import ensure_development_pki  # noqa: E402
from issuer_service.console.routes import counts_for_dashboard  # noqa: E402
from issuer_service.models import Certificate  # noqa: E402
from vaxcert import issue  # noqa: E402

FAMILIES = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 5),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
]
MIDDLES = ["Thị", "Văn", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thu", "Hoàng", "Xuân", "Kim"]
GIVENS = [
    "Phương",
    "Anh",
    "Hùng",
    "Lan",
    "Dũng",
    "Hương",
    "Tuấn",
    "Linh",
    "Nam",
    "Trang",
    "Hải",
    "Hoa",
    "Long",
    "Mai",
    "Sơn",
    "Thảo",
    "Bình",
    "Yến",
    "Cường",
    "Nhung",
    "Khoa",
    "Vy",
    "Tâm",
    "Quân",
    "Hạnh",
    "Phúc",
]


def _names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    families = rng.choices([f for f, _ in FAMILIES], weights=[w for _, w in FAMILIES], k=count)
    return [(family, f"{rng.choice(MIDDLES)} {rng.choice(GIVENS)}") for family in families]


def _dob(rng: random.Random) -> str:
    return (date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))).isoformat()


def populate(url: str, rows: int, rng: random.Random) -> int:
    engine = db.make_engine(url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        organisation_id = create_organisation(session, "Sở Y tế (benchmark)").id
    signer = ensure_development_pki(Path(tempfile.mkdtemp(prefix="vaxcert-search-keys-")))
    # the same sample the issuing CLI and the README use (spec/vectors/payloads)
    payload = json.loads(
        (Path(__file__).resolve().parents[1] / "spec/vectors/payloads/vn-vaccination.json").read_text()
    )
    texts = []
    for family, given in _names(rng, 64):
        payload["nam"] = {"fn": family, "gn": given}
        texts.append(issue(payload, signer).text)
    now = datetime.now(UTC)
    batch = 20_000
    started = time.perf_counter()
    for start in range(0, rows, batch):
        count = min(batch, rows - start)
        values = [
            {
                "uvci": f"URN:UVCI:01:VN:BNCH/{start + i:012d}",
                "organisation_id": organisation_id,
                "certificate_type": "v",
                "hc1": texts[(start + i) % len(texts)],
                "kid": "0011223344556677",
                "issued_at": now - timedelta(minutes=start + i),
                "expires_at": now + timedelta(days=365),
                "search_name": search.fold(f"{family} {given}"),
                "dob": _dob(rng),
            }
            for i, (family, given) in enumerate(_names(rng, count))
        ]
        with engine.begin() as connection:
            connection.execute(insert(Certificate), values)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"  inserted {rows:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    engine.dispose()
    return organisation_id


def measure(url: str, organisation_id: int, queries: int, rng: random.Random, rows: int) -> dict[str, list[float]]:
    engine = db.make_engine(url)
    reads = db.read_only_factory(engine)
    kinds = {
        "full name": lambda: " ".join(_names(rng, 1)[0]),
        "family name only (50 of ~380,000 for nguyen)": lambda: _names(rng, 1)[0][0],
        "family + middle, no diacritics": lambda: search.fold(" ".join(_names(rng, 1)[0]).rsplit(" ", 1)[0]),
        "date of birth (dd/mm/yyyy)": lambda: search.display_date(_dob(rng)),
        "UVCI": lambda: f"URN:UVCI:01:VN:BNCH/{rng.randrange(rows):012d}",
    }
    times: dict[str, list[float]] = {}
    for name, make in kinds.items():
        found_any = 0
        for _ in range(queries):
            query = search.parse_query(make())
            assert query is not None
            started = time.perf_counter()
            with reads() as session:
                results = search.search(session, organisation_id, query)
            times.setdefault(name, []).append(time.perf_counter() - started)
            found_any += bool(results)
        print(f"  {name}: {found_any}/{queries} queries found something", file=sys.stderr)
    for scope, organisation in (("dashboard, one organisation", organisation_id), ("dashboard, all (admin)", None)):
        for _ in range(5):
            started = time.perf_counter()
            counts_for_dashboard(reads, organisation)
            times.setdefault(scope, []).append(time.perf_counter() - started)
    engine.dispose()
    return times


def report(label: str, times: dict[str, list[float]]) -> None:
    every = [t for name, values in times.items() if not name.startswith("dashboard") for t in values]
    for name, values in [*times.items(), ("all search queries", every)]:
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"| {label} | {name} | {statistics.median(ordered) * 1e3:.1f} ms | {p95 * 1e3:.1f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--postgres", default="auto", help="SQLAlchemy URL of an empty database, 'auto' or ''")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    print(f"console search, {args.rows:,} certificates in one organisation, limit 50\n")
    print("| database | query | p50 | p95 |\n|---|---|---|---|")
    if not args.no_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="vaxcert-search-"))
        url = f"sqlite:///{folder / 'issuer.db'}"
        organisation_id = populate(url, args.rows, random.Random(1))
        report("SQLite", measure(url, organisation_id, args.queries, random.Random(2), args.rows))
    if args.postgres == "auto":
        from tests.support.throwaway_postgres import available, throwaway_postgres

        if available():
            with throwaway_postgres() as pg:
                organisation_id = populate(pg, args.rows, random.Random(1))
                report("PostgreSQL", measure(pg, organisation_id, args.queries, random.Random(2), args.rows))
    elif args.postgres:
        organisation_id = populate(args.postgres, args.rows, random.Random(1))
        report("PostgreSQL", measure(args.postgres, organisation_id, args.queries, random.Random(2), args.rows))


if __name__ == "__main__":
    main()
