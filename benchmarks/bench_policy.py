"""Verification policy: a 1,000,000-hash revocation list and Viet Nam's rules.

    .venv/bin/python benchmarks/bench_policy.py

Ratios compare measurements taken in this same run on one pinned core.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import HEADER, interleaved_per_call_seconds, per_call_seconds, pin_to_one_core, row

from vaxcert import PemSigner, Policy, TrustStore, issue, verify
from vaxcert.hcert import revocation
from vaxcert.hcert.revocation import HashType
from vaxcert.hcert.rules import RuleSet
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))
REVOKED = 1_000_000


def main() -> None:
    pin_to_one_core()
    folder = Path(tempfile.mkdtemp())
    start = datetime.now(UTC) - timedelta(days=60)
    pair = create_dsc(create_csca(valid_from=start), valid_from=start)
    assert isinstance(pair, IssuedKeyPair)
    (folder / "dsc.pem").write_bytes(pair.certificate_pem())
    (folder / "key.pem").write_bytes(pair.private_key_pem())
    signer = PemSigner.from_files(folder / "key.pem", folder / "dsc.pem")
    anchor_pair = create_csca(common_name="list signer")
    (folder / "a.pem").write_bytes(anchor_pair.certificate_pem())
    (folder / "ak.pem").write_bytes(anchor_pair.private_key_pem())
    anchor = PemSigner.from_files(folder / "ak.pem", folder / "a.pem")
    trust = TrustStore.of([signer.certificate])
    text = issue(PAYLOAD, signer, issued_at=datetime.now(UTC) - timedelta(days=30)).text

    kid = signer.certificate.kid
    hashes = (hashlib.sha256(os.urandom(8) + i.to_bytes(4, "big")).digest()[:16] for i in range(REVOKED))
    now = datetime.now(UTC)
    started = time.perf_counter()
    listed = revocation.build(
        ((kid, HashType.UCI, h) for h in hashes), sequence=1, issued_at=now, next_update=now + timedelta(days=1)
    )
    signed = revocation.sign(listed, anchor)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    loaded = revocation.verify(signed, [anchor.certificate])
    _ = b"\0" * 16 in loaded.batches[0]  # the first lookup builds the bucket offsets
    load_seconds = time.perf_counter() - started
    del loaded
    tracemalloc.start()  # a second load, for memory only: tracing slows allocation down
    loaded = revocation.verify(signed, [anchor.certificate])
    _ = b"\0" * 16 in loaded.batches[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    batch = loaded.batches[0]
    probe_hit = batch.packed[16 * 500_000 : 16 * 500_001]
    probe_miss = hashlib.sha256(b"not revoked").digest()[:16]
    hit = per_call_seconds(lambda: probe_hit in batch)
    miss = per_call_seconds(lambda: probe_miss in batch)
    set_of_hashes = {batch.packed[i : i + 16] for i in range(0, 16 * 200_000, 16)}
    set_bytes = sys.getsizeof(set_of_hashes) + sum(sys.getsizeof(h) for h in set_of_hashes)
    del set_of_hashes

    rules = RuleSet.load(ROOT / "spec" / "rules-vn.json")
    # A gateway-sized rule set: Viet Nam's rules copied for 300 destinations (2,100 rules).
    vn_rules = json.loads((ROOT / "spec" / "rules-vn.json").read_text(encoding="utf-8"))
    many = [
        {**rule, "Country": f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}", "Identifier": f"{rule['Identifier']}-{n}"}
        for n in range(300)
        for rule in vn_rules
    ]
    many_json = json.dumps(many)
    started = time.perf_counter()
    RuleSet.from_json(many_json)
    many_seconds = time.perf_counter() - started
    import gc

    # A long-running verifier (vaxcert-verify --batch, a checkpoint app) loads its lists once;
    # freezing what was loaded keeps the garbage collector from rescanning it on every scan.
    gc.collect()
    gc.freeze()
    rules_only = Policy(rules=rules, arrival_country="VN")
    revocation_only = Policy(revocations=loaded)
    both = Policy(rules=rules, arrival_country="VN", revocations=loaded)
    timings = interleaved_per_call_seconds(
        {
            "plain": lambda: verify(text, trust),
            "rules": lambda: verify(text, trust, policy=rules_only),
            "revocation": lambda: verify(text, trust, policy=revocation_only),
            "both": lambda: verify(text, trust, policy=both),
        },
        min_time=1.0,
        rounds=15,
    )
    plain, with_rules, with_revocation, with_policy = (
        timings[name] for name in ("plain", "rules", "revocation", "both")
    )
    report = verify(text, trust, policy=Policy(rules=rules, arrival_country="VN", revocations=loaded))
    assert report.valid, report.failures

    print(f"Python {sys.version.split()[0]}, one pinned core\n")
    print(
        f"- revocation list of {REVOKED:,} hashes: {len(signed) / 1e6:.1f} MB signed, built and signed in "
        f"{build_seconds:.1f} s; verified, loaded and indexed in {load_seconds * 1e3:.0f} ms, "
        f"Python heap peak {peak / 1e6:.0f} MB (a Python set would need ~{set_bytes * 5 / 1e6:.0f} MB)"
    )
    print(
        "- lookup (bucket offsets from the first 16 bits, then a scan of ~16 packed hashes in C): "
        f"hit {hit * 1e6:.2f} µs, miss {miss * 1e6:.2f} µs\n"
    )
    print(
        f"- rule set of {len(many):,} rules (EU JSON, {len(many_json) / 1e6:.1f} MB): parsed and validated in "
        f"{many_seconds * 1e3:.0f} ms (each rule compiles on first use, ~0.2 ms)\n"
    )
    print(HEADER)
    print("(gc.freeze() after loading, as `vaxcert-verify --batch` does; variants take turns, medians of 15)\n")
    print(row("verify() without rules or revocation (baseline)", plain, "itself", plain))
    print(row("verify() + VN rules (3 selected)", with_rules, "without", plain))
    print(row("verify() + 1M-hash revocation list", with_revocation, "without", plain))
    print(row("verify() + VN rules + 1M-hash revocation list", with_policy, "without", plain, "target ≥ 0.8×"))


if __name__ == "__main__":
    main()
