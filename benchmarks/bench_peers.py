"""vaxcert against python-cwt, each against its own raw `cryptography` P-256 baseline, in one run.

    .venv/bin/python benchmarks/bench_peers.py [--rounds N] [--repeat K]

python-cwt pins cbor2 < 6, which vaxcert cannot share, so it lives in its own virtualenv,
``.venv-peers`` at the repository root, created here on first use (``pip install cwt``).
python-cwt does COSE/CWT only (no schema, value sets, names, UVCI, zlib or Base45); vaxcert
does the whole HCERT pipeline.  Each side's ratio is its time against a bare sign or verify
in the same process, so the two ratios compare even though the processes differ.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from common import interleaved_cpu_seconds, interleaved_per_call_seconds, pin_to_one_core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxcert import PemSigner, TrustStore, cose, issue, verify
from vaxcert.hcert import base45, compression, cwt, prefix
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".venv-peers"
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))
PEER_PACKAGES = ["cwt>=3.3"]


def peer_python() -> Path:
    python = PEERS / "bin" / "python"
    if not python.exists():
        venv.create(PEERS, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1, help="run both sides this many times, taking turns")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (steady on a shared machine) or wall time"
    )
    options = parser.parse_args()
    python = peer_python()
    pin_to_one_core()

    folder = Path(tempfile.mkdtemp())
    dsc = create_dsc(create_csca())
    assert isinstance(dsc, IssuedKeyPair)
    (folder / "dsc.pem").write_bytes(dsc.certificate_pem())
    (folder / "key.pem").write_bytes(dsc.private_key_pem())
    signer = PemSigner.from_files(folder / "key.pem", folder / "dsc.pem")
    trust = TrustStore.of([signer.certificate])
    issued = issue(PAYLOAD, signer)
    assert verify(issued.text, trust).valid
    message = compression.decode(base45.decode(prefix.decode(issued.text)))
    claims = cwt.decode(cose.decode(message).payload)  # the peer signs exactly what vaxcert signed
    key = serialization.load_pem_private_key(dsc.private_key_pem(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    public = key.public_key()
    # The bare baselines sign data the size of vaxcert's Sig_structure.
    data = b"x" * (len(message) + 16)
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    given = {
        "kid": signer.certificate.kid.hex(),
        "private_pem": dsc.private_key_pem().decode(),
        "public_pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
        "iss": claims.issuer,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
        "dcc": claims.dcc,
        "signed_size": len(data),
        "rounds": options.rounds,
        "min_time": options.min_time,
        "clock": options.clock,
    }
    runs: list[tuple[dict[str, float], dict[str, float]]] = []
    for _ in range(options.repeat):
        measure = interleaved_cpu_seconds if options.clock == "cpu" else interleaved_per_call_seconds
        ours = measure(
            {
                "raw verify": lambda: public.verify(der, data, ec.ECDSA(hashes.SHA256())),
                "verify": lambda: verify(issued.text, trust),
                "raw sign": lambda: key.sign(data, ec.ECDSA(hashes.SHA256())),
                "issue": lambda: issue(PAYLOAD, signer),
            },
            min_time=options.min_time,
            rounds=options.rounds,
        )
        done = subprocess.run(
            [str(python), str(Path(__file__).with_name("peer_cwt.py"))],
            input=json.dumps(given),
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
        runs.append((ours, json.loads(done.stdout)))

    peer_version = runs[-1][1].get("version", "?")
    print(
        f"Python {sys.version.split()[0]}, one pinned core, {options.clock} time, "
        f"{options.repeat} run(s) of {options.rounds} rounds\n"
    )
    print(f"| | vaxcert (full HCERT) | python-cwt {peer_version} (COSE/CWT only) | vaxcert vs python-cwt |")
    print("|---|---|---|---|")
    for operation, baseline in (("verify", "raw verify"), ("issue", "raw sign")):
        ours_ratios = [run[0][baseline] / run[0][operation] for run in runs]
        peer_ratios = [run[1][baseline] / run[1][operation] for run in runs]
        versus = [mine / theirs for mine, theirs in zip(ours_ratios, peer_ratios, strict=True)]
        print(
            f"| {operation} | {_span([run[0][operation] * 1e6 for run in runs], ' µs')} = "
            f"{_span(ours_ratios, '×')} a raw P-256 {baseline.split()[1]} | "
            f"{_span([run[1][operation] * 1e6 for run in runs], ' µs')} = {_span(peer_ratios, '×')} | "
            f"{_span(versus, '×')} |"
        )
    print(
        f"\nraw P-256 sign: ours {_span([r[0]['raw sign'] * 1e6 for r in runs], ' µs')}, "
        f"peer process {_span([r[1]['raw sign'] * 1e6 for r in runs], ' µs')}; raw verify: ours "
        f"{_span([r[0]['raw verify'] * 1e6 for r in runs], ' µs')}, "
        f"peer process {_span([r[1]['raw verify'] * 1e6 for r in runs], ' µs')}"
    )


def _span(values: list[float], unit: str) -> str:
    low, high = min(values), max(values)
    digits = 0 if unit.strip() == "µs" else 2
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f}{unit}"
    return f"{low:.{digits}f}–{high:.{digits}f}{unit}"


if __name__ == "__main__":
    main()
