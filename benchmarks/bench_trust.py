"""Trust benchmark: a 10,000-entry signed trust list, and HSM vs PEM signing.

    .venv/bin/python benchmarks/bench_trust.py            (SoftHSM2 must be installed)

Ratios compare measurements from this same run on one pinned core.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import HEADER, per_call_seconds, pin_to_one_core, row
from cryptography.hazmat.primitives import serialization

from vaxcert import PemSigner, TrustStore, issue, trustlist, verify
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from vaxcert.trust import DocumentSignerCertificate

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))
ENTRIES = 10_000


def pem_signer(pair: IssuedKeyPair, folder: Path, name: str) -> PemSigner:
    (folder / f"{name}.pem").write_bytes(pair.certificate_pem())
    (folder / f"{name}-key.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / f"{name}-key.pem", folder / f"{name}.pem")


def main() -> None:
    pin_to_one_core()
    folder = Path(tempfile.mkdtemp())
    csca = create_csca()
    anchor = pem_signer(create_csca(common_name="TL signer"), folder, "anchor")
    real = create_dsc(csca)
    assert isinstance(real, IssuedKeyPair)
    signer = pem_signer(real, folder, "dsc")

    # 10,000 distinct DSCs; one key reused (key generation is not what is measured).
    key = create_dsc(csca).private_key  # type: ignore[union-attr]
    started = time.perf_counter()
    entries = [trustlist.TrustListEntry.for_certificate("VN", signer.certificate)]
    for index in range(ENTRIES - 1):
        dsc = create_dsc(csca, common_name=f"DSC {index}", key=key)
        assert isinstance(dsc, IssuedKeyPair)
        entries.append(
            trustlist.TrustListEntry.for_certificate(
                "VN", DocumentSignerCertificate.from_der(dsc.certificate.public_bytes(serialization.Encoding.DER))
            )
        )
    print(f"(generated {ENTRIES} DSCs in {time.perf_counter() - started:.1f} s)")
    now = datetime.now(UTC)
    content = trustlist.build(entries, sequence=1, issued_at=now, next_update=now + timedelta(days=2))
    signed = trustlist.sign(content, anchor)

    tracemalloc.start()
    load_started = time.perf_counter()
    checked = trustlist.verify(signed, [anchor.certificate])
    store_big = checked.trust_store()
    load_seconds = time.perf_counter() - load_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(store_big.by_kid) == ENTRIES

    text = issue(PAYLOAD, signer).text
    store_one = TrustStore.of([signer.certificate])
    assert verify(text, store_big).valid and verify(text, store_one).valid
    one = per_call_seconds(lambda: verify(text, store_one), min_time=1.0)
    big = per_call_seconds(lambda: verify(text, store_big), min_time=1.0)

    print(f"\nPython {sys.version.split()[0]}, one pinned core\n")
    print(
        f"- {ENTRIES:,}-entry trust list: {len(signed) / 1e6:.1f} MB signed; load + signature check + "
        f"kid index (DSCs parsed on first use): {load_seconds * 1e3:.0f} ms; "
        f"Python heap peak during load {peak / 1e6:.0f} MB; "
        f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print()
    print(HEADER)
    print(row("verify with 1 pinned DSC (baseline)", one, "itself", one))
    print(row(f"verify with the {ENTRIES:,}-entry list loaded", big, "1 pinned DSC", one, "target within 5%"))

    hsm = _hsm_signing(folder, csca)
    pem_sign = per_call_seconds(lambda: signer.sign(b"x" * 400))
    pem_issue = per_call_seconds(lambda: issue(PAYLOAD, signer))
    print(row("PEM ES256 sign (baseline)", pem_sign, "itself", pem_sign))
    if hsm is None:
        print("| SoftHSM2 not installed: HSM rows skipped | | | | |")
        return
    hsm_signer, cleanup = hsm
    try:
        hsm_sign = per_call_seconds(lambda: hsm_signer.sign(b"x" * 400))
        hsm_issue = per_call_seconds(lambda: issue(PAYLOAD, hsm_signer))
        print(row("SoftHSM2 ES256 sign (CKM_ECDSA)", hsm_sign, "PEM sign", pem_sign))
        print(row("issue() with PEM key (baseline)", pem_issue, "itself", pem_issue))
        print(row("issue() through SoftHSM2", hsm_issue, "PEM issue", pem_issue))
    finally:
        cleanup()


def _hsm_signing(folder: Path, csca: IssuedKeyPair) -> tuple[object, object] | None:
    if not shutil.which("softhsm2-util"):
        return None
    tokens = folder / "tokens"
    tokens.mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "bench", "--so-pin", "87654321", "--pin", "123456"],
        check=True,
        capture_output=True,
    )
    from vaxcert.hsm import HsmConfig, HsmSession, Pkcs11Signer
    from vaxcert.pki import csr_for_hsm_key, sign_csr

    config_hsm = HsmConfig("bench", "123456")
    with HsmSession(config_hsm, read_write=True) as session:
        session.generate_key("dsc")
        certificate = sign_csr(csca, csr_for_hsm_key(session, "dsc", "bench DSC"), certificate_types="vtr")
        session.store_certificate(
            "dsc", DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )
    signer = Pkcs11Signer(config_hsm, "dsc")
    return signer, signer.close


if __name__ == "__main__":
    main()
