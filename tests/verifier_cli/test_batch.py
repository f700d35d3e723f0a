"""--batch --jobs N: the same output, in input order, however the lines are shared out among the processes."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import load_vector_file
from vaxcert import PemSigner, issue
from verifier_cli.main import BATCH_CHUNK_LINES, main

CLOCK = "2026-06-01T00:00:00Z"
ISSUED_AT = datetime.fromisoformat("2026-05-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def mixed_lines(signer: PemSigner) -> list[str]:
    """Valid, damaged and garbage lines, more than a few chunks' worth, the last without a newline."""
    payload = load_vector_file("payloads/vn-vaccination.json")
    codes = [issue(payload, signer, issued_at=ISSUED_AT).text for _ in range(5)]
    kinds: list[Callable[[int], str]] = [
        lambda n: codes[n % 5],
        lambda n: codes[n % 5][: -(n % 40 + 1)],  # cut short
        lambda n: codes[n % 5].replace("A", "B", 1 + n % 3),  # altered
        lambda n: "",
        lambda n: f"  {codes[n % 5]}  ",  # surrounded by spaces
        lambda n: f"garbage {n} «Nguyễn» \u2028 \x1f",
        lambda n: "HC1:" + "%" * (n % 7),
    ]
    return [kinds[n % len(kinds)](n) for n in range(BATCH_CHUNK_LINES * 3 + 11)]


def run(args: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    status = main(args, stdout=out, stdin=io.StringIO(stdin))
    return status, out.getvalue()


@pytest.mark.parametrize("from_stdin", [False, True])
def test_jobs_print_what_one_process_prints(
    mixed_lines: list[str], pki_dir: Path, tmp_path: Path, from_stdin: bool
) -> None:
    text = "\n".join(mixed_lines)  # no newline after the last line
    batch = tmp_path / "batch.txt"
    batch.write_text(text, encoding="utf-8")
    source = "-" if from_stdin else str(batch)
    args = ["verify", "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"), "--batch", source]
    one = run([*args, "--jobs", "1"], text)
    assert one[0] == 1
    for jobs in ("2", "3", "0"):
        assert run([*args, "--jobs", jobs], text) == one
    documents = [json.loads(line) for line in one[1].split("\n")[:-1]]
    assert len(documents) == len(mixed_lines)
    assert [d["valid"] for d in documents[:7]] == [True, False, False, False, True, False, False]


def test_a_batch_shorter_than_the_warm_up_forks_nothing(pki_dir: Path, tmp_path: Path) -> None:
    args = ["verify", "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"), "--batch", "-", "--jobs", "2"]
    assert run(args, "") == (0, "")
    status, out = run(args, "HC1:XX\n\n")
    assert status == 1 and len(out.splitlines()) == 2
    assert not multiprocessing.active_children()


def test_a_worker_killed_mid_batch_costs_no_line(mixed_lines: list[str], pki_dir: Path, tmp_path: Path) -> None:
    """The chunk a dead worker held is verified by the parent: the output is still complete and in order."""
    batch = tmp_path / "batch.txt"
    batch.write_text("\n".join(mixed_lines * 3) + "\n", encoding="utf-8")
    args = ["verify", "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"), "--batch", str(batch)]
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for child in multiprocessing.active_children():
                if child.pid is not None:
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
                    break
            time.sleep(0.001)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    try:
        parallel = run([*args, "--jobs", "2"])
    finally:
        killer.join()
    assert killed, "no worker was seen to kill"
    assert parallel == run([*args, "--jobs", "1"])
