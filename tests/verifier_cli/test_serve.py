"""``vaxcert-verify serve``: the checkpoint scanner page's server, through HTTP.

The page itself is driven in a real browser in ``test_serve_browser.py``; here every
verdict, list state and refusal is checked on the wire.
"""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import PKI_START, PKI_VALIDITY, SENTINEL, record_process_output
from tests.support.fake_camera import jpeg, scene
from tests.support.multiformat_corpus import CORPUS_DIR, corpus_cases
from vaxcert import PemSigner, issue
from vaxcert.hcert import revocation
from vaxcert.hcert.revocation import HashType
from vaxcert.pki import create_csca
from vaxcert_apps.i18n import translator
from verifier_cli.main import build_parser
from verifier_cli.serve import LiveScanner, create_server

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "spec" / "rules-vn.json"


@dataclass
class Checkpoint:
    """A running scanner server and the cache folder it read its lists from."""

    host: str
    port: int
    live: LiveScanner

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            data = body.encode("utf-8") if isinstance(body, str) else body
            connection.request(method, path, body=data, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    # English by default here so the assertions read plainly; the language tests ask for Vietnamese.
    def verify(self, text: str, language: str = "en") -> dict[str, Any]:
        status, _, body = self.request("POST", "/api/verify", text, {"Accept-Language": language})
        assert status == 200
        answer = json.loads(body)
        assert answer["found"] is True
        return dict(answer["verdict"])

    def status(self, language: str = "en") -> dict[str, Any]:
        status, _, body = self.request("GET", "/api/status", headers={"Accept-Language": language})
        assert status == 200
        return dict(json.loads(body))


def start_checkpoint(*options: str) -> Iterator[Checkpoint]:
    """A server set up from ``vaxcert-verify serve`` options, on a free port, in a thread."""
    args = build_parser().parse_args(["serve", "--port", "0", *options])
    live = LiveScanner(args)
    server = create_server(live, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Checkpoint("127.0.0.1", int(server.server_address[1]), live)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def anchor(tmp_path_factory: pytest.TempPathFactory) -> tuple[PemSigner, Path]:
    """The signer of revocation lists, which the checkpoint pins."""
    folder = tmp_path_factory.mktemp("anchor")
    pair = create_csca(common_name="list signer", valid_from=PKI_START, validity=PKI_VALIDITY)
    (folder / "anchor.pem").write_bytes(pair.certificate_pem())
    (folder / "anchor-key.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / "anchor-key.pem", folder / "anchor.pem"), folder / "anchor.pem"


def recent_vaccination(payload: dict[str, Any], days_ago: int = 60) -> dict[str, Any]:
    """The payload with a vaccination ``days_ago`` days before today (the server's clock is now)."""
    payload["v"][0]["dt"] = (date.today() - timedelta(days=days_ago)).isoformat()
    return payload


def revocation_list(anchor: PemSigner, codes: list[str], *, issued: datetime, hours: float, sequence: int = 1) -> bytes:
    entries = []
    for text in codes:
        kid, hashes = revocation.hashes_for_code(text)
        assert kid is not None
        entries.append((kid, HashType.SIGNATURE, hashes[HashType.SIGNATURE]))
    listed = revocation.build(entries, sequence=sequence, issued_at=issued, next_update=issued + timedelta(hours=hours))
    return revocation.sign(listed, anchor)


def cache_with_revocations(folder: Path, anchor: tuple[PemSigner, Path], signed: bytes) -> Path:
    """A checkpoint cache with the anchor pinned and the revocation list fetched, as 'trust update' leaves it."""
    from verifier_cli.main import main

    cache = folder / "cache"
    (folder / "revocations.cose").write_bytes(signed)
    out = io.StringIO()
    assert main(["trust", "pin", str(anchor[1]), "--cache-dir", str(cache)], stdout=out) == 0
    command = ["trust", "update", "--revocations", str(folder / "revocations.cose"), "--cache-dir", str(cache)]
    assert main(command, stdout=out) == 0
    return cache


@pytest.fixture
def dsc_file(signer: PemSigner, tmp_path: Path) -> Path:
    path = tmp_path / "dsc.pem"
    path.write_text(signer.certificate.pem(), encoding="ascii")
    return path


@pytest.fixture
def bare(dsc_file: Path, tmp_path: Path) -> Iterator[Checkpoint]:
    """A checkpoint with a DSC given and nothing cached: no revocation list, no rules."""
    yield from start_checkpoint("--trust-cert", str(dsc_file), "--cache-dir", str(tmp_path / "empty-cache"))


def test_a_valid_code_names_the_holder_in_green_and_warns_what_was_not_checked(
    bare: Checkpoint, signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    payload = recent_vaccination(vaccination_payload)
    verdict = bare.verify(issue(payload, signer).text)
    assert verdict["tone"] == "green" and verdict["status"] == "verified" and verdict["reason"] is None
    assert payload["nam"]["fn"] in verdict["holder"]["name"] and payload["nam"]["gn"] in verdict["holder"]["name"]
    assert verdict["holder"]["birth_date"] == translator("en").date(payload["dob"])
    [event] = verdict["events"]
    assert event["type"] == "Vaccination"
    assert f"dose {payload['v'][0]['dn']}" in event["details"]
    assert translator("en").date(payload["v"][0]["dt"]) in event["details"]
    assert translator("en").country(payload["v"][0]["co"]) in event["details"]
    assert verdict["format"].startswith("HCERT")
    # nothing cached: the verdict says revocation and rules were not checked
    assert [warning for warning in verdict["warnings"]] == [
        "REVOCATION NOT CHECKED: no revocation list",
        "ENTRY RULES NOT CHECKED: no rules loaded",
    ]


def test_the_verdict_is_vietnamese_by_default_with_dates_as_dd_mm_yyyy_and_country_names(
    bare: Checkpoint, signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    payload = recent_vaccination(vaccination_payload)
    payload["v"][0]["co"] = "VN"
    status, _, body = bare.request("POST", "/api/verify", issue(payload, signer).text)
    assert status == 200
    verdict = json.loads(body)["verdict"]
    year, month, day = payload["dob"].split("-")
    assert verdict["headline"] == "HỢP LỆ" and verdict["holder"]["birth_date"] == f"{day}/{month}/{year}"
    [event] = verdict["events"]
    assert event["type"] == "Tiêm chủng" and "Việt Nam" in event["details"]
    assert f"mũi {payload['v'][0]['dn']}" in event["details"]
    assert "CHƯA KIỂM TRA THU HỒI: không có danh sách thu hồi" in verdict["warnings"]
    page = bare.request("GET", "/")[2].decode("utf-8")
    assert '<html lang="vi">' in page and "Sẵn sàng quét" in page and "Ready to scan" not in page


def test_accept_language_english_gives_english(bare: Checkpoint) -> None:
    headers = {"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"}
    page = bare.request("GET", "/", headers=headers)[2].decode("utf-8")
    assert '<html lang="en">' in page and "Ready to scan" in page and "Sẵn sàng quét" not in page
    status = json.loads(bare.request("GET", "/api/status", headers=headers)[2])
    assert status["lang"] == "en" and status["texts"]["ready"] == "Ready to scan"
    assert status["counts_text"].startswith("Since start:")


def test_the_switch_sets_the_language_and_a_cookie_keeps_it(bare: Checkpoint) -> None:
    english_browser = {"Accept-Language": "en"}
    code, headers, body = bare.request("GET", "/?lang=vi", headers=english_browser)
    assert code == 200 and '<html lang="vi">' in body.decode("utf-8")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("lang=vi;") and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    # the cookie outranks the browser's language on the page's own calls
    remembered = {**english_browser, "Cookie": "lang=vi"}
    assert json.loads(bare.request("GET", "/api/status", headers=remembered)[2])["texts"]["ready"] == "Sẵn sàng quét"
    answer = json.loads(bare.request("POST", "/api/verify", "HC1:x", {**remembered})[2])
    assert answer["verdict"]["headline"] == "KHÔNG HỢP LỆ"
    code, headers, body = bare.request("GET", "/?lang=en", headers={"Cookie": "lang=vi"})
    assert '<html lang="en">' in body.decode("utf-8") and headers["Set-Cookie"].startswith("lang=en;")
    # an unknown choice falls back instead of failing
    assert '<html lang="vi">' in bare.request("GET", "/?lang=xx", headers={"Cookie": "lang=zz"})[2].decode("utf-8")


@pytest.mark.parametrize("cut", [1, 2, 3, 40, 200])
def test_a_truncated_code_asks_for_another_scan(
    bare: Checkpoint, signer: PemSigner, vaccination_payload: dict[str, Any], cut: int
) -> None:
    text = issue(recent_vaccination(vaccination_payload), signer).text
    verdict = bare.verify(text[:-cut])
    assert verdict["tone"] == "red" and verdict["status"] in ("invalid_encoding", "invalid_compression")
    assert verdict["reason"] == "Incomplete scan, scan again"
    assert verdict["holder"] is None and verdict["untrusted"] is None


def test_a_forged_code_is_red_and_its_details_are_marked_untrustworthy(
    bare: Checkpoint, vaccination_payload: dict[str, Any], csca: Any, tmp_path: Path
) -> None:
    from vaxcert.pki import IssuedKeyPair, create_dsc

    other = create_dsc(csca, common_name="not trusted here", certificate_types=("v",), valid_from=PKI_START)
    assert isinstance(other, IssuedKeyPair)
    (tmp_path / "o.pem").write_bytes(other.certificate_pem())
    (tmp_path / "o-key.pem").write_bytes(other.private_key_pem())
    stranger = PemSigner.from_files(tmp_path / "o-key.pem", tmp_path / "o.pem")
    verdict = bare.verify(issue(recent_vaccination(vaccination_payload), stranger).text)
    assert verdict["tone"] == "red" and verdict["status"] == "issuer_not_trusted"
    assert verdict["untrusted"] == "The details below are NOT trustworthy"
    assert verdict["reason"] == "The issuer is not on this scanner's trust list"


def test_only_failed_entry_rules_give_amber(
    dsc_file: Path, tmp_path: Path, signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    # Viet Nam's rules want 14 days since the last dose: two days is genuine but not enough.
    options = ("--trust-cert", str(dsc_file), "--rules", str(RULES), "--cache-dir", str(tmp_path / "c"))
    for checkpoint in start_checkpoint(*options):
        verdict = checkpoint.verify(issue(recent_vaccination(vaccination_payload, days_ago=2), signer).text)
        assert verdict["tone"] == "amber" and verdict["status"] == "rules_not_met"
        assert verdict["reason"] == "Genuine, but entry rules not met"
        settled = checkpoint.verify(issue(recent_vaccination(vaccination_payload, days_ago=60), signer).text)
        assert settled["tone"] == "green"
        assert [warning for warning in settled["warnings"]] == ["REVOCATION NOT CHECKED: no revocation list"]
        [rules] = [entry for entry in checkpoint.status()["lists"] if entry["name"] == "Entry rules"]
        assert rules["state"] == "ok" and rules["detail"].startswith(f"{len(json.loads(RULES.read_text()))} rules")


def test_the_cached_revocation_list_is_used_by_default_and_a_revoked_code_is_red(
    dsc_file: Path,
    tmp_path: Path,
    signer: PemSigner,
    anchor: tuple[PemSigner, Path],
    vaccination_payload: dict[str, Any],
) -> None:
    payload = recent_vaccination(vaccination_payload)
    revoked, other = issue(payload, signer).text, issue(payload, signer).text
    signed = revocation_list(anchor[0], [revoked], issued=datetime.now(UTC) - timedelta(hours=3), hours=48)
    cache = cache_with_revocations(tmp_path, anchor, signed)
    for checkpoint in start_checkpoint("--trust-cert", str(dsc_file), "--cache-dir", str(cache)):
        verdict = checkpoint.verify(revoked)
        assert verdict["tone"] == "red" and verdict["status"] == "revoked"
        assert verdict["reason"] == "The issuer has revoked this certificate"
        # revocation was checked this time: only the missing rules are mentioned
        assert [warning for warning in checkpoint.verify(other)["warnings"]] == [
            "ENTRY RULES NOT CHECKED: no rules loaded"
        ]
        status = checkpoint.status()
        [listed] = [entry for entry in status["lists"] if entry["name"] == "Revocation list"]
        assert listed["state"] == "ok" and listed["detail"].startswith("#1, signed 3 hours ago")
        # counts only: one revoked, one verified; no name anywhere in the status
        assert status["counts"] == {"revoked": 1, "verified": 1}
        assert status["counts_text"] == "Since start: 1 valid, 1 not valid"
        assert payload["nam"]["fn"] not in json.dumps(status, ensure_ascii=False)


def test_a_list_updated_while_the_page_runs_is_used_without_a_restart(
    dsc_file: Path,
    tmp_path: Path,
    signer: PemSigner,
    anchor: tuple[PemSigner, Path],
    vaccination_payload: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from verifier_cli import serve
    from verifier_cli.main import main

    text = issue(recent_vaccination(vaccination_payload), signer).text
    now = datetime.now(UTC)
    cache = cache_with_revocations(tmp_path, anchor, revocation_list(anchor[0], [], issued=now, hours=48))
    monkeypatch.setattr(serve, "RELOAD_CHECK_SECONDS", 0.0)
    for checkpoint in start_checkpoint("--trust-cert", str(dsc_file), "--cache-dir", str(cache)):
        assert checkpoint.verify(text)["status"] == "verified"
        # the daily job fetches a newer list that revokes this certificate
        (tmp_path / "newer.cose").write_bytes(revocation_list(anchor[0], [text], issued=now, hours=48, sequence=2))
        command = ["trust", "update", "--revocations", str(tmp_path / "newer.cose"), "--cache-dir", str(cache)]
        assert main(command, stdout=io.StringIO()) == 0
        assert checkpoint.verify(text)["status"] == "revoked"
        status = checkpoint.status()
        assert status["counts"] == {"verified": 1, "revoked": 1}  # counting goes on across the reload
        [listed] = [entry for entry in status["lists"] if entry["name"] == "Revocation list"]
        assert listed["detail"].startswith("#2,")


def test_a_stale_revocation_list_is_a_loud_warning_and_no_green_verdict(
    dsc_file: Path,
    tmp_path: Path,
    signer: PemSigner,
    anchor: tuple[PemSigner, Path],
    vaccination_payload: dict[str, Any],
) -> None:
    signed = revocation_list(anchor[0], [], issued=datetime.now(UTC) - timedelta(days=3), hours=24)
    cache = cache_with_revocations(tmp_path, anchor, signed)
    for checkpoint in start_checkpoint("--trust-cert", str(dsc_file), "--cache-dir", str(cache)):
        status = checkpoint.status()
        [listed] = [entry for entry in status["lists"] if entry["name"] == "Revocation list"]
        assert status["alarm"] is True and listed["state"] == "stale" and "is STALE" in listed["detail"]
        verdict = checkpoint.verify(issue(recent_vaccination(vaccination_payload), signer).text)
        assert verdict["tone"] == "amber" and verdict["status"] == "revocation_unknown"


@pytest.mark.parametrize("hours_left", [40, -2])
def test_the_cached_trust_list_is_used_by_default_and_its_age_shown(
    tmp_path: Path,
    signer: PemSigner,
    anchor: tuple[PemSigner, Path],
    vaccination_payload: dict[str, Any],
    hours_left: int,
) -> None:
    from vaxcert import trustlist
    from vaxcert.trustlist import TrustListEntry
    from verifier_cli.main import main

    issued = datetime.now(UTC) - timedelta(hours=8)
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", signer.certificate)],
        sequence=7,
        issued_at=issued,
        next_update=datetime.now(UTC) + timedelta(hours=hours_left),
    )
    (tmp_path / "trust.cose").write_bytes(trustlist.sign(content, anchor[0]))
    cache = str(tmp_path / "cache")
    assert main(["trust", "pin", str(anchor[1]), "--cache-dir", cache], stdout=io.StringIO()) == 0
    assert main(["trust", "update", str(tmp_path / "trust.cose"), "--cache-dir", cache], stdout=io.StringIO()) == 0
    for checkpoint in start_checkpoint("--cache-dir", cache):  # no trust option: the cached list
        [listed] = [entry for entry in checkpoint.status()["lists"] if entry["name"] == "Trust list"]
        verdict = checkpoint.verify(issue(recent_vaccination(vaccination_payload), signer).text)
        if hours_left > 0:
            assert listed["state"] == "ok" and listed["detail"].startswith("#7, signed 8 hours ago")
            [vi] = [entry for entry in checkpoint.status("vi")["lists"] if entry["name"] == "Danh sách tin cậy"]
            assert vi["detail"].startswith("#7, ký 8 giờ trước")
            assert verdict["tone"] == "green"
        else:  # stale: a loud warning, and the list's keys fail closed
            assert listed["state"] == "stale" and "Trust list is STALE" in listed["detail"]
            assert checkpoint.status()["alarm"] is True and verdict["tone"] == "red"


def test_lists_without_a_cache_raise_the_alarm(bare: Checkpoint) -> None:
    status = bare.status()
    states = {entry["name"]: entry["state"] for entry in status["lists"]}
    assert states == {"Trust list": "missing", "Revocation list": "missing", "Entry rules": "missing"}
    assert status["alarm"] is True and status["counts"] == {}


def test_camera_frames_are_decoded_here_and_the_code_on_screen_is_not_counted_again(
    bare: Checkpoint, signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    text = issue(recent_vaccination(vaccination_payload), signer).text
    headers = {"Content-Type": "image/jpeg"}
    status, _, body = bare.request("POST", "/api/frame", jpeg(scene(text)), headers)
    answer = json.loads(body)
    assert status == 200 and answer["verdict"]["status"] == "verified" and answer["verdict"]["holder"]
    again = json.loads(
        bare.request("POST", "/api/frame", jpeg(scene(text)), headers | {"X-Shown-Scan": answer["scan_id"]})[2]
    )
    assert again == {"found": True, "same": True}
    empty = io.BytesIO()
    Image.new("L", (640, 480), 200).save(empty, "JPEG")
    assert json.loads(bare.request("POST", "/api/frame", empty.getvalue(), headers)[2]) == {"found": False}
    assert json.loads(bare.request("POST", "/api/frame", b"not an image", headers)[2]) == {"found": False}
    assert bare.status()["counts"] == {"verified": 1}


def test_chunks_of_a_smart_health_card_verify_together() -> None:
    [case] = [case for case in corpus_cases("shc") if case.id == "synthetic/shc/valid-3-chunks-scan-order"]
    jwks = [str(CORPUS_DIR / name) for name in case.trust["jwks"]]
    for checkpoint in start_checkpoint(*[option for path in jwks for option in ("--trust-jwks", path)]):
        verdict = checkpoint.verify("\n".join(case.qr), "vi")
        assert verdict["format"] == "SMART Health Card"
        holder = case.expected["holder"]
        assert holder["family"] in verdict["holder"]["name"] and holder["given"] in verdict["holder"]["name"]
        assert verdict["holder"]["birth_date"] == "30/06/1978"
        # one chunk alone is incomplete
        assert checkpoint.verify(case.qr[0])["tone"] == "red"


def test_the_page_and_its_assets_are_served_from_the_package_with_a_local_only_policy(bare: Checkpoint) -> None:
    status, headers, page = bare.request("GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
    html = page.decode("utf-8")
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    for asset in ("/scanner.js", "/scanner.css"):
        assert asset in html
        status, _, body = bare.request("GET", asset)
        assert status == 200 and b"http" not in body
    assert bare.request("GET", "/elsewhere")[0] == 404


def test_requests_for_other_hosts_or_from_other_sites_are_refused(bare: Checkpoint) -> None:
    # DNS rebinding: a page of evil.example resolved to 127.0.0.1 must not read verdicts
    assert bare.request("GET", "/api/status", headers={"Host": "evil.example"})[0] == 403
    assert bare.request("POST", "/api/verify", "HC1:x", {"Origin": "https://evil.example"})[0] == 403
    origin = f"http://127.0.0.1:{bare.port}"
    assert bare.request("POST", "/api/verify", "HC1:x", {"Origin": origin})[0] == 200
    # refused from the announced length, before anything is read
    assert bare.request("POST", "/api/verify", "x", {"Content-Length": str(2 << 20)})[0] == 413
    assert bare.request("POST", "/api/frame", b"x", {"Content-Length": str(5 << 20)})[0] == 413
    assert bare.request("POST", "/api/verify", "x" * 1000)[0] == 200


def test_the_command_serves_and_logs_no_personal_data(
    dsc_file: Path, tmp_path: Path, signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    vaccination_payload["nam"] = {"fn": SENTINEL, "gn": "Thị"}
    text = issue(recent_vaccination(vaccination_payload), signer).text
    command = [sys.executable, "-m", "verifier_cli", "serve", "--port", "0", "--trust-cert", str(dsc_file)]
    command += ["--cache-dir", str(tmp_path / "cache"), "--lang", "en"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("vaxcert-verify: scanner page on http://127.0.0.1:")
        port = int(line.split(":")[-1].split("/")[0])
        checkpoint = Checkpoint("127.0.0.1", port, None)  # type: ignore[arg-type]
        assert SENTINEL in checkpoint.verify(text)["holder"]["name"]
        assert SENTINEL not in json.dumps(checkpoint.status())
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
        record_process_output(errors)
    assert SENTINEL not in errors and "REVOCATION NOT CHECKED" in errors  # the loud warning, no person


def test_an_unreadable_trust_option_is_a_usage_error(tmp_path: Path) -> None:
    from verifier_cli.main import main

    (tmp_path / "bad.pem").write_text("not a certificate", encoding="ascii")
    started = time.monotonic()
    status = main(["serve", "--port", "0", "--trust-cert", str(tmp_path / "bad.pem")], stdout=io.StringIO())
    assert status == 2 and time.monotonic() - started < 30


def test_a_divoc_code_is_read_from_a_camera_frame_as_bytes() -> None:
    [case] = [case for case in corpus_cases("divoc") if case.id == "divoc/divoc-sdk/bhaya-mitra-2021-04-15"]
    registries = [str(CORPUS_DIR / name) for name in case.trust["registry"]]
    for checkpoint in start_checkpoint(*[option for path in registries for option in ("--trust-registry", path)]):
        status, _, body = checkpoint.request("POST", "/api/frame", jpeg(scene(case.payload, scale=2)))
        verdict = json.loads(body)["verdict"]
        assert status == 200 and verdict["format"] == "DIVOC"
        assert verdict["holder"]["name"] == case.expected["holder"]["name"]


def test_an_icao_vds_nc_seal_typed_by_a_scanner_names_the_holder() -> None:
    [case] = [case for case in corpus_cases("icao-vds-nc") if case.id == "synthetic/icao/valid-csca-cert"]
    certificates = [str(CORPUS_DIR / name) for name in case.trust["cert"]]
    for checkpoint in start_checkpoint(*[option for path in certificates for option in ("--trust-cert", path)]):
        verdict = checkpoint.verify(case.qr[0], "vi")
        assert verdict["format"] == "ICAO VDS-NC"
        # the seal's own validity decides green or red at today's clock; the holder is named either way
        assert verdict["holder"]["name"] == case.expected["holder"]["name"]
        assert verdict["holder"]["birth_date"] == "02/11/1969"
