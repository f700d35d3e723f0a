"""Camera to verdict on the checkpoint scanner page (``vaxcert-verify serve``).

Debian's Chromium (driven by Playwright) plays a fake camera: a Y4M video of an HC1 QR code.
The page grabs a frame, posts it as JPEG to the local ``vaxcert-verify serve`` process
(zxing-cpp decodes it, ``verify_credential`` verifies it) and paints the verdict.  The page
times each scan from the moment it grabs the frame holding the QR to two animation frames
after the verdict is in the DOM (the verdict is on screen); ``reset()`` clears the verdict and
the next frame is scanned again.  Median and p95 over the samples.

The server-side share is measured alone too: decoding one camera JPEG and verifying the code.
Whether this Chromium could decode in the page (``BarcodeDetector``) is reported as found.

Run: ``.venv/bin/python benchmarks/bench_scanner.py [--samples 60]``.  Needs /usr/bin/chromium.
Measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_camera import CHROMIUM, chromium_arguments, jpeg, scene, write_y4m  # noqa: E402
from vaxcert import PemSigner, issue, qr, verify_credential  # noqa: E402
from vaxcert.hcert.credential import dcc_trust_store  # noqa: E402
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc  # noqa: E402
from vaxcert.registry import TrustRegistry  # noqa: E402
from vaxcert.trust import TrustStore  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def certificate(folder: Path) -> tuple[str, Path, PemSigner]:
    csca = create_csca(common_name="bench CSCA")
    dsc = create_dsc(csca, common_name="bench DSC")
    assert isinstance(dsc, IssuedKeyPair)
    (folder / "dsc.pem").write_bytes(dsc.certificate_pem())
    (folder / "dsc-key.pem").write_bytes(dsc.private_key_pem())
    signer = PemSigner.from_files(folder / "dsc-key.pem", folder / "dsc.pem")
    # the same sample the issuing CLI and the README use (spec/vectors/payloads)
    payload = json.loads(
        (Path(__file__).resolve().parents[1] / "spec/vectors/payloads/vn-vaccination.json").read_text()
    )
    payload["v"][0]["dt"] = (date.today() - timedelta(days=60)).isoformat()  # recent, so entry rules pass
    return issue(payload, signer).text, folder / "dsc.pem", signer


def server_side(text: str, signer: PemSigner, rounds: int = 50) -> dict[str, float]:
    """Decoding one camera JPEG and verifying its code, in this process."""
    frame = jpeg(scene(text))
    registry = TrustRegistry()
    trust = dcc_trust_store(registry, TrustStore.of([signer.certificate]))
    decode, check = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        scanned = qr.decode_payload(frame)
        decoded = time.perf_counter()
        verify_credential(scanned, registry, hcert_trust=trust)
        done = time.perf_counter()
        decode.append((decoded - started) * 1000)
        check.append((done - decoded) * 1000)
    return {
        "frame_kb": len(frame) / 1024,
        "decode_ms": statistics.median(decode),
        "verify_ms": statistics.median(check),
    }


def camera_to_verdict(text: str, dsc: Path, folder: Path, samples: int) -> tuple[list[float], bool]:
    from playwright.sync_api import sync_playwright

    video = write_y4m(folder / "camera.y4m", [scene(text)] * 5)
    command = [sys.executable, "-m", "verifier_cli", "serve", "--port", "0", "--trust-cert", str(dsc)]
    server = subprocess.Popen(
        [*command, "--cache-dir", str(folder / "cache")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" on ")[1].split(" ")[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=chromium_arguments(video))
            page = browser.new_context(
                viewport={"width": 1366, "height": 900}, permissions=["camera"], bypass_csp=True
            ).new_page()  # CSP: wait_for_function evaluates strings
            page.goto(url)
            detector = bool(page.evaluate("'BarcodeDetector' in window"))
            page.wait_for_function("window.vaxcertScanner && window.vaxcertScanner.timings.length >= 1", timeout=30000)
            for count in range(2, samples + 2):  # the first scan warms up (camera start, first JPEG)
                page.evaluate("window.vaxcertScanner.reset()")
                page.wait_for_function(f"window.vaxcertScanner.timings.length >= {count}", timeout=30000)
            timings = [float(value) for value in page.evaluate("window.vaxcertScanner.timings")[1:]]
            browser.close()
        return timings, detector
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text, dsc, signer = certificate(folder)
        alone = server_side(text, signer)
        print(
            f"server side, one 640x480 camera JPEG ({alone['frame_kb']:.0f} KB): "
            f"zxing-cpp decode {alone['decode_ms']:.2f} ms, verify {alone['verify_ms']:.2f} ms (medians)"
        )
        timings, detector = camera_to_verdict(text, dsc, folder, args.samples)
    print(f"BarcodeDetector in this Chromium: {'yes' if detector else 'no'}")
    print(
        f"camera frame -> verdict on screen, {len(timings)} scans: median {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, min {min(timings):.1f} ms, max {max(timings):.1f} ms "
        "(target <= 300 ms)"
    )


if __name__ == "__main__":
    main()
