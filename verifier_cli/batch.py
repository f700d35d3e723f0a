"""``vaxcert-verify verify --batch``: one JSON line per input line, in input order, in one process or several.

Output line N is always the verdict on input line N, blank lines included.  With ``--jobs N``
the lines go to N forked processes in chunks and the chunks' texts are printed in input order,
so the output is the same as with one process.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
from collections.abc import Iterator
from typing import Protocol, TextIO

__all__ = ["BATCH_CHUNK_LINES", "LineVerifier", "available_cores", "verify_lines"]

# Lines go to the worker processes in chunks: a message per line would cost more than a
# verification, while small chunks keep both processes busy until the end of the batch
# (the last chunks are what one worker may still be verifying while the other waits).
BATCH_CHUNK_LINES = 64
# In the parent, before forking: lines are verified until one is valid (so what loads on first
# use, compiled schemas, value sets and key caches, loads once and is shared), at most this many.
WARM_UP_LINES = 16


class LineVerifier(Protocol):
    def batch_line(self, line: str) -> tuple[str, bool]:
        """One output line (newline included) and whether the line's code was valid."""
        ...


def available_cores() -> int:
    """The cores this process may run on (its affinity), not every core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def verify_lines(lines: Iterator[str], verifier: LineVerifier, out: TextIO, jobs: int = 1) -> bool:
    """Write one line per input line to ``out``; True when every code was valid."""
    if jobs > 1 and _can_fork():
        return _in_processes(lines, verifier, out, jobs)
    all_valid = True
    # Line by line: a scanner feeding stdin gets each answer as its code is read (writing in
    # blocks measured 0.3 µs a line faster, not worth holding answers back).
    for line in lines:
        text, valid = _verify_line(verifier, line)
        all_valid = all_valid and valid
        out.write(text)
    return all_valid


def _verify_line(verifier: LineVerifier, line: str) -> tuple[str, bool]:
    try:
        return verifier.batch_line(line)
    except Exception as exc:  # a bug must cost one line of a checkpoint's batch, not the batch
        return _internal_error(exc), False


def _verify_chunk(verifier: LineVerifier, lines: list[str]) -> tuple[str, bool]:
    texts = []
    all_valid = True
    for line in lines:
        text, valid = _verify_line(verifier, line)
        texts.append(text)
        all_valid = all_valid and valid
    return "".join(texts), all_valid


def _internal_error(exc: Exception) -> str:
    # Only the exception's type: its text could quote the scanned code.
    message = f"unexpected {type(exc).__name__}; please report it"
    return json.dumps({"valid": False, "error": {"code": "internal.unexpected", "message": message}}) + "\n"


# The verifier a forked worker inherits from the process that set up the batch.
_WORKER_VERIFIER: LineVerifier | None = None


def _worker_chunk(lines: list[str]) -> tuple[str, bool]:
    verifier = _WORKER_VERIFIER
    assert verifier is not None  # set before the workers were forked
    return _verify_chunk(verifier, lines)


def _chunks(lines: Iterator[str]) -> Iterator[list[str]]:
    while chunk := list(itertools.islice(lines, BATCH_CHUNK_LINES)):
        yield chunk


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _in_processes(lines: Iterator[str], verifier: LineVerifier, out: TextIO, jobs: int) -> bool:
    """The batch over ``jobs`` forked processes; their chunks are printed in input order.

    Forked, so each worker starts with the modules imported and the trust, lists and policy
    loaded (and frozen out of the garbage collector's way) instead of loading them again, and
    gets only lines; it sends back finished output text, never report objects.
    """
    import multiprocessing

    global _WORKER_VERIFIER
    all_valid = True
    for line in itertools.islice(lines, WARM_UP_LINES):
        text, valid = _verify_line(verifier, line)
        out.write(text)
        all_valid = all_valid and valid
        if valid:
            break
    gc.collect()
    gc.freeze()
    _WORKER_VERIFIER = verifier
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            # imap keeps order and reads the input lazily, a few chunks ahead of the output.
            for text, valid in pool.imap(_worker_chunk, _chunks(lines)):
                all_valid = all_valid and valid
                out.write(text)
    finally:
        _WORKER_VERIFIER = None
    return all_valid
