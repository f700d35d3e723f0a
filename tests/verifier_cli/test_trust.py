"""The verifier's trust list: pin, update over HTTP (conditional, atomic), show, verify offline."""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import PKI_START, PKI_VALIDITY
from vaxcert import PemSigner, issue, trustlist
from vaxcert.pki import create_csca
from vaxcert.trustlist import TrustListEntry
from verifier_cli.main import main

ISSUED = datetime(2026, 5, 1, tzinfo=UTC)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


class _Counting(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, int]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        type(self).requests.append((self.path, code))
        super().send_response(code, message)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(_Counting, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_port}/trust-list.cose"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def anchor(tmp_path_factory: pytest.TempPathFactory) -> tuple[PemSigner, Path]:
    folder = tmp_path_factory.mktemp("anchor")
    pair = create_csca(common_name="TL signer", valid_from=PKI_START, validity=PKI_VALIDITY)
    (folder / "anchor.pem").write_bytes(pair.certificate_pem())
    (folder / "anchor-key.pem").write_bytes(pair.private_key_pem())
    return PemSigner.from_files(folder / "anchor-key.pem", folder / "anchor.pem"), folder / "anchor.pem"


def _signed(anchor: PemSigner, dscs: list[Any], sequence: int, hours: float = 48) -> bytes:
    content = trustlist.build(
        [TrustListEntry.for_certificate("VN", d.certificate) for d in dscs],
        sequence=sequence,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(hours=hours),
    )
    return trustlist.sign(content, anchor)


def test_pin_update_show_verify_offline(
    tmp_path: Path,
    web: tuple[Path, str],
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
) -> None:
    folder, url = web
    cache = str(tmp_path / "cache")
    assert run("trust", "pin", str(anchor[1]), "--cache-dir", cache)[0] == 0
    (folder / "trust-list.cose").write_bytes(_signed(anchor[0], [signer], 3))
    status, out = run("trust", "update", url, "--cache-dir", cache)
    assert status == 0 and "#3" in out
    # unchanged on the server: a conditional request, answered 304
    _Counting.requests.clear()
    status, out = run("trust", "update", url, "--cache-dir", cache)
    assert status == 0 and "not modified" in out and _Counting.requests[-1][1] == 304
    status, out = run("trust", "show", "--cache-dir", cache, "--at", "2026-05-02T00:00:00Z")
    assert status == 0 and "còn mới" in out and signer.certificate.kid_b64 in out
    assert "cấp 01/05/2026" in out  # dd/mm/yyyy in Vietnamese
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    status, out = run(
        "verify", "--json", "--trust-list", "cached", "--cache-dir", cache, "--at", "2026-05-02T00:00:00Z", "--", code
    )
    assert status == 0 and json.loads(out)["valid"]
    # after next_update: stale, fail-closed unless allowed
    late = "2026-05-04T00:00:00Z"
    status, out = run("verify", "--json", "--trust-list", "cached", "--cache-dir", cache, "--at", late, "--", code)
    assert status == 1 and json.loads(out)["errors"]["signature"]["code"] == "signature.list_stale"
    status, out = run(
        "verify", "--json", "--trust-list", "cached", "--cache-dir", cache, "--at", late, "--allow-stale", "--", code
    )
    assert status == 0 and "stale" in json.loads(out)["notes"][0]


def _publish(folder: Path, data: bytes, seconds_later: int) -> None:
    """Replace the served file with a visibly newer modification time (HTTP dates have 1 s resolution)."""
    path = folder / "trust-list.cose"
    path.write_bytes(data)
    stamp = path.stat().st_mtime + seconds_later
    os.utime(path, (stamp, stamp))


def test_bad_downloads_keep_the_last_good_list(
    tmp_path: Path,
    web: tuple[Path, str],
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_signer: PemSigner,
) -> None:
    folder, url = web
    cache = tmp_path / "cache"
    run("trust", "pin", str(anchor[1]), "--cache-dir", str(cache))
    good = _signed(anchor[0], [signer], 10)
    (folder / "trust-list.cose").write_bytes(good)
    assert run("trust", "update", url, "--cache-dir", str(cache))[0] == 0
    other = create_csca(common_name="intruder")
    intruder = tmp_path / "intruder"
    intruder.mkdir()
    (intruder / "k.pem").write_bytes(other.private_key_pem())
    (intruder / "c.pem").write_bytes(other.certificate_pem())
    bad_versions = {
        "truncated": good[: len(good) // 2],
        "tampered": good[:-1] + bytes([good[-1] ^ 1]),
        "rollback": _signed(anchor[0], [signer, vaccination_signer], 9),
        "unpinned signer": _signed(PemSigner.from_files(intruder / "k.pem", intruder / "c.pem"), [signer], 11),
        "empty": b"",
    }
    for offset, (name, data) in enumerate(bad_versions.items(), start=1):
        _publish(folder, data, offset)
        status, _ = run("trust", "update", url, "--cache-dir", str(cache))
        assert status == 1, name
        assert (cache / "trust-list.cose").read_bytes() == good, name
    missing = url.replace("trust-list.cose", "absent.cose")
    assert run("trust", "update", missing, "--cache-dir", str(cache))[0] == 1
    assert run("trust", "update", "http://127.0.0.1:9/none", "--cache-dir", str(cache))[0] == 1
    assert (cache / "trust-list.cose").read_bytes() == good
    newer = _signed(anchor[0], [signer, vaccination_signer], 12)
    _publish(folder, newer, 100)
    assert run("trust", "update", url, "--cache-dir", str(cache))[0] == 0
    assert (cache / "trust-list.cose").read_bytes() == newer


def test_verify_with_a_list_file_and_anchor_option(
    tmp_path: Path,
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "list.cose"
    path.write_bytes(_signed(anchor[0], [signer], 1))
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    empty_cache = str(tmp_path / "nothing-pinned")
    status, out = run(
        "verify",
        "--json",
        "--trust-list",
        str(path),
        "--anchor",
        str(anchor[1]),
        "--cache-dir",
        empty_cache,
        "--at",
        "2026-05-02T00:00:00Z",
        "--",
        code,
    )
    assert status == 0 and json.loads(out)["valid"]
    # without a pinned anchor the list is refused: a refusal (1), not a usage error (2)
    status, _ = run("verify", "--json", "--trust-list", str(path), "--cache-dir", empty_cache, "--", code)
    assert status == 1
    assert "trust list rejected: trustlist.no_anchor" in capsys.readouterr().err
    # a list file that is not there is a usage error
    status, _ = run("verify", "--trust-list", str(tmp_path / "absent.cose"), "--cache-dir", empty_cache, "--", code)
    assert status == 2


def test_rules_and_revocation_from_the_command_line(
    tmp_path: Path,
    web: tuple[Path, str],
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
) -> None:
    from vaxcert.hcert import revocation
    from vaxcert.hcert.revocation import HashType

    folder, url = web
    cache = str(tmp_path / "cache")
    run("trust", "pin", str(anchor[1]), "--cache-dir", cache)
    vaccination_payload["v"][0]["dt"] = "2026-04-01"
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    _, hashes = revocation.hashes_for_code(code)
    listed = revocation.build(
        [(signer.certificate.kid, HashType.SIGNATURE, hashes[HashType.SIGNATURE])],
        sequence=1,
        issued_at=ISSUED,
        next_update=ISSUED + timedelta(days=2),
    )
    (folder / "revocation-list.cose").write_bytes(revocation.sign(listed, anchor[0]))
    rules = Path(__file__).resolve().parents[2] / "spec" / "rules-vn.json"
    trust = str(tmp_path / "dsc.pem")
    Path(trust).write_text(signer.certificate.pem(), encoding="ascii")
    at = "2026-05-02T00:00:00Z"
    status, out = run(
        "verify", "--json", "--trust-cert", trust, "--rules", str(rules), "--country", "VN", "--at", at, "--", code
    )
    document = json.loads(out)
    assert status == 0 and document["checks"]["rules"] is True and len(document["rules"]) == 3
    status, out = run(
        "verify",
        "--json",
        "--trust-cert",
        trust,
        "--cache-dir",
        cache,
        "--at",
        at,
        "--revocation-list",
        url.replace("trust-list", "revocation-list"),
        "--",
        code,
    )
    document = json.loads(out)
    assert status == 1 and document["errors"]["revocation"]["code"] == "revocation.revoked"
    # offline, from the cache
    status, out = run(
        "verify",
        "--json",
        "--trust-cert",
        trust,
        "--cache-dir",
        cache,
        "--at",
        at,
        "--revocation-list",
        "cached",
        "--",
        code,
    )
    assert status == 1 and json.loads(out)["stage"] == "revocation"
    other = issue(vaccination_payload, signer, issued_at=ISSUED).text  # a second, unrevoked certificate
    offline = ("--cache-dir", cache, "--revocation-list", "cached")
    status, out = run("verify", "--trust-cert", trust, *offline, "--at", at, other)
    assert status == 0 and "Thu hồi: không có trong danh sách thu hồi" in out
    early = ("--trust-cert", trust, "--rules", str(rules), "--at", "2026-04-05T00:00:00Z", code)
    status, out = run("verify", *early)
    # Checkpoint staff see the failed rule in Vietnamese (the default); travellers can be shown English.
    assert status == 1 and "Quy định nhập cảnh: đạt 2/3" in out
    assert "không đạt VR-VN-0002: Phải qua ít nhất 14 ngày" in out
    status, out = run("verify", "--lang", "en", *early)
    assert status == 1 and "Entry rules: 2 of 3 passed" in out and "failed VR-VN-0002:" in out and "14 days" in out
    status, out = run("verify", "--lang", "en", "--trust-cert", trust, "--rules", str(rules), "--at", at, code)
    assert status == 0 and "Entry rules: 3 of 3 passed" in out
    assert (
        "Revocation: not on the revocation list"
        in run("verify", "--lang", "en", "--trust-cert", trust, *offline, "--at", at, other)[1]
    )


def _revoking(anchor: PemSigner, codes: list[str], sequence: int = 1) -> bytes:
    from vaxcert.hcert import revocation
    from vaxcert.hcert.revocation import HashType

    entries = []
    for text in codes:
        kid, hashes = revocation.hashes_for_code(text)
        assert kid is not None
        entries.append((kid, HashType.SIGNATURE, hashes[HashType.SIGNATURE]))
    listed = revocation.build(entries, sequence=sequence, issued_at=ISSUED, next_update=ISSUED + timedelta(days=2))
    return revocation.sign(listed, anchor)


def test_a_cached_revocation_list_is_used_by_default(
    tmp_path: Path,
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = str(tmp_path / "cache")
    at = ("--at", "2026-05-02T00:00:00Z")
    revoked = issue(vaccination_payload, signer, issued_at=ISSUED).text
    other = issue(vaccination_payload, signer, issued_at=ISSUED).text
    lists = {"trust": tmp_path / "trust.cose", "revocation": tmp_path / "revocation.cose"}
    lists["trust"].write_bytes(_signed(anchor[0], [signer], 1))
    lists["revocation"].write_bytes(_revoking(anchor[0], [revoked]))
    run("trust", "pin", str(anchor[1]), "--cache-dir", cache)
    assert run("trust", "update", str(lists["trust"]), "--cache-dir", cache)[0] == 0
    # only a trust list cached: revocation is not checked, and the verdict says so
    status, out = run("verify", "--trust-list", "cached", "--cache-dir", cache, *at, revoked)
    assert status == 0 and "Chưa kiểm tra thu hồi" in out
    status, out = run("trust", "show", "--cache-dir", cache, *at)
    assert status == 0 and "chưa lưu danh sách thu hồi: chưa kiểm tra thu hồi" in out and "chưa lưu quy định" in out
    status, out = run("trust", "show", "--lang", "en", "--cache-dir", cache, *at)
    assert status == 0 and "no revocation list cached" in out and "no rules cached" in out

    assert run("trust", "update", "--revocations", str(lists["revocation"]), "--cache-dir", cache)[0] == 0
    status, out = run("verify", "--trust-list", "cached", "--cache-dir", cache, *at, revoked)
    assert status == 1 and "[revocation.revoked]" in out
    status, out = run("verify", "--json", "--trust-list", "cached", "--cache-dir", cache, *at, revoked)
    assert status == 1 and json.loads(out)["errors"]["revocation"]["code"] == "revocation.revoked"
    status, out = run("verify", "--trust-list", "cached", "--cache-dir", cache, *at, other)
    assert status == 0 and "Thu hồi: không có trong danh sách thu hồi" in out and "Chưa kiểm tra" not in out
    # asked for explicitly: no revocation check, and said so
    unchecked = ("--revocation-list", "none")
    status, out = run("verify", "--trust-list", "cached", *unchecked, "--cache-dir", cache, *at, revoked)
    assert status == 0 and "Chưa kiểm tra thu hồi" in out

    rules = Path(__file__).resolve().parents[2] / "spec" / "rules-vn.json"
    (Path(cache) / "rules.json").write_bytes(rules.read_bytes())
    status, out = run("trust", "show", "--cache-dir", cache, *at)
    assert status == 0 and signer.certificate.kid_b64 in out
    assert "danh sách thu hồi #1: 1 mã băm bị thu hồi trong 1 lô" in out and "còn mới" in out
    from vaxcert.hcert.rules import RuleSet

    assert f"{len(RuleSet.load(rules).rules)} quy định nhập cảnh" in out
    assert "VR-VN-0002  VN  Acceptance  Vaccination  Phải qua ít nhất 14 ngày" in out
    status, out = run("trust", "show", "--lang", "en", "--cache-dir", cache, *at)
    assert "revocation list #1: 1 revoked hashes in 1 batches" in out and "fresh" in out
    assert f"{len(RuleSet.load(rules).rules)} entry rules" in out and "VR-VN-0002  VN  Acceptance  Vaccination  " in out

    # a cached revocation list that no longer verifies is a refusal (1), not a usage error
    (Path(cache) / "revocation-list.cose").write_bytes(b"\x00garbage")
    status, _ = run("verify", "--trust-list", "cached", "--cache-dir", cache, *at, other)
    assert status == 1 and "revocation list rejected" in capsys.readouterr().err


def test_update_from_an_unchanged_source_says_so(
    tmp_path: Path, anchor: tuple[PemSigner, Path], signer: PemSigner
) -> None:
    cache = tmp_path / "cache"
    source = tmp_path / "trust.cose"
    source.write_bytes(_signed(anchor[0], [signer], 4))
    run("trust", "pin", str(anchor[1]), "--cache-dir", str(cache))
    status, out = run("trust", "update", str(source), "--cache-dir", str(cache))
    assert status == 0 and "#4 stored in" in out
    stored = (cache / "trust-list.cose").stat().st_mtime_ns
    status, out = run("trust", "update", str(source), "--cache-dir", str(cache))
    assert status == 0 and "#4 is current" in out and "stored in" not in out
    assert (cache / "trust-list.cose").stat().st_mtime_ns == stored
    source.write_bytes(_signed(anchor[0], [signer], 5))
    status, out = run("trust", "update", str(source), "--cache-dir", str(cache))
    assert status == 0 and "#5 stored in" in out


def test_a_rejected_list_exits_1_everywhere(
    tmp_path: Path,
    anchor: tuple[PemSigner, Path],
    signer: PemSigner,
    vaccination_payload: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = str(tmp_path / "cache")
    forged = tmp_path / "forged.cose"
    good = _signed(anchor[0], [signer], 2)
    forged.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    run("trust", "pin", str(anchor[1]), "--cache-dir", cache)
    code = issue(vaccination_payload, signer, issued_at=ISSUED).text
    for args in (
        ("trust", "update", str(forged), "--cache-dir", cache),
        ("trust", "update", "--revocations", str(forged), "--cache-dir", cache),
        ("verify", "--trust-list", str(forged), "--cache-dir", cache, code),
        ("verify", "--trust-cert", str(tmp_path / "absent.pem"), "HC1:X"),
    ):
        capsys.readouterr()
        status, _ = run(*args)
        if "absent.pem" in args[-2]:
            assert status == 2, args  # a missing file is still a usage error
        else:
            assert status == 1, args
            assert "rejected" in capsys.readouterr().err
