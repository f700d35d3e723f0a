"""Small timing helpers shared by the benchmarks (not tests: nothing here asserts)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _calibrated_loops(function: Callable[[], object], seconds: float) -> int:
    """How many calls (a power of two) take at least ``seconds``; the first call warms up."""
    function()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            function()
        if time.perf_counter() - start >= seconds:
            return loops
        loops *= 2


def _mean_call_seconds(function: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        function()
    return (time.perf_counter() - start) / loops


def per_call_seconds(function: Callable[[], object], min_time: float = 0.4, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean time per call in a loop lasting ~``min_time``."""
    loops = _calibrated_loops(function, min_time / rounds)
    return statistics.median(_mean_call_seconds(function, loops) for _ in range(rounds))


def interleaved_per_call_seconds(
    functions: dict[str, Callable[[], object]], min_time: float = 0.3, rounds: int = 9
) -> dict[str, float]:
    """Like :func:`per_call_seconds` for several variants, taking turns in every round.

    A slow spell of the machine then hits every variant alike, so their ratios hold
    steadier than when each variant is timed in one block after the other.
    """
    loops = {name: _calibrated_loops(function, min_time / rounds) for name, function in functions.items()}
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            samples[name].append(_mean_call_seconds(function, loops[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def row(name: str, seconds: float, baseline_name: str, baseline: float, note: str = "") -> str:
    ratio = baseline / seconds
    return f"| {name} | {seconds * 1e6:,.1f} µs | {1 / seconds:,.0f}/s | {ratio:.2f}× {baseline_name} | {note} |"


HEADER = "| operation | time per call | throughput | ratio (throughput vs baseline) | note |\n|---|---|---|---|---|"


def interleaved_cpu_seconds(
    functions: dict[str, Callable[[], object]], min_time: float = 0.3, rounds: int = 9
) -> dict[str, float]:
    """:func:`interleaved_per_call_seconds` in this process's CPU time (``time.process_time``).

    On a shared machine the CPU time a call took holds far steadier than the wall time,
    which counts every moment other processes held the core.
    """
    loops = {name: _calibrated_loops(function, min_time / rounds) for name, function in functions.items()}
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.process_time()
            for _ in range(loops[name]):
                function()
            samples[name].append((time.process_time() - started) / loops[name])
    return {name: statistics.median(values) for name, values in samples.items()}
