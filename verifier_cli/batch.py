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
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, TextIO, cast

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["BATCH_CHUNK_LINES", "LineVerifier", "available_cores", "verify_lines"]

# Lines go to the worker processes in chunks of at most this many: a message per line would
# cost more than a verification, and each chunk costs this process a wake-up.
BATCH_CHUNK_LINES = 256
# Lines of a file verified in steps at a time in one process (see _Verifier.batch_lines).
STEP_LINES = 64
# Towards the end of a file chunks shrink down to this many lines, so every worker stays busy
# until the end instead of one finishing a big last chunk while the others wait.
MIN_CHUNK_LINES = 16
# In the parent, before forking: lines are verified until one is valid (so what loads on first
# use, compiled schemas, value sets and key caches, loads once and is shared), at most this many.
WARM_UP_LINES = 16


class LineVerifier(Protocol):
    def batch_line(self, line: str) -> tuple[str, bool]:
        """One output line (newline included) and whether the line's code was valid."""
        ...

    def batch_lines(self, lines: list[str]) -> list[tuple[str, bool]]:
        """:meth:`batch_line` for each of ``lines``, the same answers (in steps: faster per line)."""
        ...


def available_cores() -> int:
    """The cores this process may run on (its affinity), not every core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def verify_lines(
    lines: Iterator[str], verifier: LineVerifier, out: TextIO, jobs: int = 1, size: int | None = None
) -> bool:
    """Write one line per input line to ``out``; True when every code was valid.

    ``size`` is the input's length in bytes when known (a file): the chunks handed to the
    processes then shrink towards its end.
    """
    if jobs > 1 and _can_fork():
        return _in_processes(lines, verifier, out, jobs, size)
    all_valid = True
    if size is not None:
        # A file: lines are verified in steps, a chunk at a time (see _Verifier.batch_lines).
        while chunk := list(itertools.islice(lines, STEP_LINES)):
            text, valid = _verify_chunk(verifier, chunk)
            all_valid = all_valid and valid
            out.write(text)
        return all_valid
    # A pipe or terminal: line by line, so a scanner feeding stdin gets each answer as its
    # code is read instead of when enough lines for a chunk have come.
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
    """The chunk's output text and whether every code in it was valid."""
    try:
        answers = verifier.batch_lines(lines)
    except Exception:  # a bug: the chunk again line by line, so it costs only its own line
        answers = [_verify_line(verifier, line) for line in lines]
    return "".join([text for text, _ in answers]), all(valid for _, valid in answers)


def _internal_error(exc: Exception) -> str:
    # Only the exception's type: its text could quote the scanned code.
    message = f"unexpected {type(exc).__name__}; please report it"
    return json.dumps({"valid": False, "error": {"code": "internal.unexpected", "message": message}}) + "\n"


class _Chunker:
    """The input in chunks: smaller ones towards the end of a file of known size.

    Near the end a big chunk can keep one worker busy while the others have nothing left,
    so chunks shrink with the estimated lines left (guided scheduling); from a pipe, whose
    size is unknown, they stay at the largest size.
    """

    def __init__(self, lines: Iterator[str], jobs: int, size: int | None) -> None:
        self.lines = lines
        self.jobs = jobs
        self.size = size
        self.chars = 0
        self.count = 0

    def next(self) -> list[str]:
        take = BATCH_CHUNK_LINES
        if self.size is not None and self.count:
            left = (self.size - self.chars) * self.count // max(self.chars, 1)
            take = max(MIN_CHUNK_LINES, min(BATCH_CHUNK_LINES, left // (4 * self.jobs)))
        chunk = list(itertools.islice(self.lines, take))
        self.count += len(chunk)
        self.chars += sum(map(len, chunk))
        return chunk


def _worker(connection: Connection, verifier: LineVerifier) -> None:
    """A forked worker: chunks of lines in, each chunk's output text and validity out, until None."""
    # Ctrl-C is the parent's to handle: it closes the connections, and the workers end quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while (lines := connection.recv()) is not None:
            connection.send(_verify_chunk(verifier, lines))
    except (EOFError, BrokenPipeError):
        pass  # the parent is gone or stopped the batch


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _in_processes(lines: Iterator[str], verifier: LineVerifier, out: TextIO, jobs: int, size: int | None) -> bool:
    """The batch over ``jobs`` forked processes; their chunks are printed in input order.

    Forked, so each worker starts with the modules imported and the trust, lists and policy
    loaded (and frozen out of the garbage collector's way) instead of loading them again.  A
    worker gets lists of lines and sends back finished output text, never report objects.
    This process only hands out chunks and prints, in one thread: a pool's feeder and
    collector threads cost it ~1 ms of CPU per chunk in lock hand-offs, taken from the workers.
    Each worker holds one chunk at a time, so neither side can block the other on a full pipe,
    and a worker that dies has its chunk verified here instead.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    all_valid = True
    for line in itertools.islice(lines, WARM_UP_LINES):
        text, valid = _verify_line(verifier, line)
        out.write(text)
        all_valid = all_valid and valid
        if valid:
            break
    first = next(lines, None)
    if first is None:
        return all_valid  # nothing left to share out
    lines = itertools.chain([first], lines)
    # A forked child must not inherit, and one day write, output still in a buffer.
    for stream in (out, sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    gc.collect()
    gc.freeze()
    context = multiprocessing.get_context("fork")
    chunker = _Chunker(lines, jobs, size)
    busy: dict[Connection, tuple[int, list[str]]] = {}  # each worker's connection: the chunk it holds
    done: dict[int, tuple[str, bool]] = {}  # chunks verified, waiting for those before them to print
    processes = []
    sent = printed = 0

    def hand_out(connection: Connection) -> None:
        """Give the worker the next chunk (or tell it to stop); a worker gone has it verified here."""
        nonlocal sent
        chunk = chunker.next()
        try:
            if chunk:
                connection.send(chunk)
                busy[connection] = (sent, chunk)
            else:
                connection.send(None)
                connection.close()
        except OSError:
            connection.close()
            if chunk:
                done[sent] = _verify_chunk(verifier, chunk)
        if chunk:
            sent += 1

    try:
        for _ in range(jobs):
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, verifier), daemon=True)
            process.start()
            theirs.close()
            processes.append(process)
            hand_out(mine)
        while busy:
            for ready in cast("list[Connection]", wait(list(busy))):
                index, chunk = busy.pop(ready)
                try:
                    done[index] = ready.recv()
                except (EOFError, OSError):  # the worker died: its chunk is verified here
                    ready.close()
                    done[index] = _verify_chunk(verifier, chunk)
                else:
                    hand_out(ready)  # before printing, so the worker is not kept waiting
            while printed in done:
                text, valid = done.pop(printed)
                out.write(text)
                all_valid = all_valid and valid
                printed += 1
        # Every worker gone before the input ran out: the rest is verified here.
        while chunk := chunker.next():
            text, valid = _verify_chunk(verifier, chunk)
            out.write(text)
            all_valid = all_valid and valid
    finally:
        for connection in busy:
            connection.close()
        for process in processes:
            if busy:  # the batch was stopped (Ctrl-C, a closed output): no chunk is worth finishing
                process.terminate()
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
    return all_valid
