"""Pipeline benchmark: verify and issue against raw `cryptography` ECDSA, codecs against peers.

    .venv/bin/python benchmarks/bench_pipeline.py

Every ratio compares two measurements taken in this same run on one pinned core.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import base45 as pypi_base45
import qrcode
import segno
import zxingcpp
from common import HEADER, interleaved_per_call_seconds, per_call_seconds, pin_to_one_core, row
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from vaxcert import PemSigner, TrustStore, issue, qr, verify
from vaxcert.hcert import base45 as b45
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((ROOT / "spec/vectors/payloads/vn-vaccination.json").read_text(encoding="utf-8"))


def main() -> None:
    pin_to_one_core()
    folder = Path(tempfile.mkdtemp())
    csca = create_csca()
    dsc = create_dsc(csca)
    assert isinstance(dsc, IssuedKeyPair)
    (folder / "dsc.pem").write_bytes(dsc.certificate_pem())
    (folder / "key.pem").write_bytes(dsc.private_key_pem())
    signer = PemSigner.from_files(folder / "key.pem", folder / "dsc.pem")
    trust = TrustStore.of([signer.certificate])
    issued = issue(PAYLOAD, signer)
    text = issued.text
    assert verify(text, trust).valid

    # Baselines: a bare P-256 sign/verify of data of the same size as our Sig_structure.
    key = ec.generate_private_key(ec.SECP256R1())
    data = b"x" * 400
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    # Each pair takes turns round by round, so a slow spell of the machine hits both sides.
    timings = interleaved_per_call_seconds(
        {
            "raw verify": lambda: public.verify(der, data, ec.ECDSA(hashes.SHA256())),
            "verify": lambda: verify(text, trust),
            "raw sign": lambda: key.sign(data, ec.ECDSA(hashes.SHA256())),
            "issue": lambda: issue(PAYLOAD, signer),
        },
        min_time=1.0,
        rounds=15,
    )
    raw_verify, ours_verify, raw_sign, ours_issue = (
        timings[name] for name in ("raw verify", "verify", "raw sign", "issue")
    )

    body = text[4:]
    raw = b45.decode(body)
    ours_b45_decode = per_call_seconds(lambda: b45.decode(body))
    pypi_b45_decode = per_call_seconds(lambda: pypi_base45.b45decode(body))
    ours_b45_encode = per_call_seconds(lambda: b45.encode(raw))
    pypi_b45_encode = per_call_seconds(lambda: pypi_base45.b45encode(raw))

    def qrcode_png() -> bytes:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=4, border=4)
        code.add_data(text)
        out = io.BytesIO()
        code.make_image().save(out)
        return out.getvalue()

    def segno_png() -> bytes:
        out = io.BytesIO()
        segno.make_qr(text, error="q").save(out, kind="png", scale=4)
        return out.getvalue()

    ours_png = per_call_seconds(lambda: qr.encode_png(text))
    qrcode_time = per_call_seconds(qrcode_png, min_time=1.0)
    segno_time = per_call_seconds(segno_png)
    ours_svg = per_call_seconds(lambda: qr.encode_svg(text))

    png = qr.encode_png(text)
    ours_decode = per_call_seconds(lambda: qr.decode(png))

    def bare_zxing() -> str:
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
        return str(found[0].text)

    bare_decode = per_call_seconds(bare_zxing)

    cold = []
    trust_file = str(folder / "dsc.pem")
    # An installed package has its bytecode compiled; PYTHONDONTWRITEBYTECODE (set on some
    # machines) would add the compilation of every module to every start.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    for run in range(8):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "verifier_cli", "verify", "--json", "--trust-cert", trust_file, "--", text],
            capture_output=True,
            check=True,
            cwd=ROOT,
            env=environment,
        )
        if run:  # the first run writes the bytecode
            cold.append(time.perf_counter() - start)

    print(f"Python {sys.version.split()[0]}, one pinned core, HC1 length {len(text)} characters\n")
    print(HEADER)
    print(row("raw cryptography P-256 verify (baseline)", raw_verify, "itself", raw_verify))
    print(
        row("vaxcert verify(HC1) -> report, ES256, schema on", ours_verify, "raw verify", raw_verify, "target ≥ 0.5×")
    )
    print(row("raw cryptography P-256 sign (baseline)", raw_sign, "itself", raw_sign))
    print(row("vaxcert issue(payload) -> HC1, ES256", ours_issue, "raw sign", raw_sign, "target ≥ 0.4×"))
    print(row("PyPI base45 decode (baseline)", pypi_b45_decode, "itself", pypi_b45_decode))
    print(row("vaxcert base45 decode", ours_b45_decode, "PyPI base45", pypi_b45_decode))
    print(row("PyPI base45 encode (baseline)", pypi_b45_encode, "itself", pypi_b45_encode))
    print(row("vaxcert base45 encode", ours_b45_encode, "PyPI base45", pypi_b45_encode))
    print(row("qrcode PNG (baseline)", qrcode_time, "itself", qrcode_time))
    print(row("segno PNG (peer)", segno_time, "qrcode", qrcode_time))
    print(row("vaxcert QR PNG (zxing-cpp writer)", ours_png, "qrcode", qrcode_time, "target ≥ 10×"))
    print(row("vaxcert QR SVG (zxing-cpp writer)", ours_svg, "qrcode PNG", qrcode_time))
    print(row("bare zxing-cpp read of the PNG (baseline)", bare_decode, "itself", bare_decode))
    print(row("vaxcert qr.decode(PNG)", ours_decode, "bare zxing-cpp", bare_decode, "target: time ≤ 1.2× bare"))
    print(
        f"\nvaxcert-verify cold start (process start to JSON verdict): median {statistics.median(cold) * 1e3:.0f} ms "
        f"over {len(cold)} runs"
    )


if __name__ == "__main__":
    main()
