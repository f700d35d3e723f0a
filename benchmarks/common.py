"""Small timing helpers shared by the benchmarks (not tests: nothing here asserts)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def per_call_seconds(function: Callable[[], object], min_time: float = 0.4, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean time per call in a loop lasting ~``min_time``."""
    function()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / rounds:
            break
        loops *= 2
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(loops):
            function()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def interleaved_per_call_seconds(
    functions: dict[str, Callable[[], object]], min_time: float = 0.3, rounds: int = 9
) -> dict[str, float]:
    """Like :func:`per_call_seconds` for several variants, taking turns in every round.

    A slow spell of the machine then hits every variant alike, so their ratios hold
    steadier than when each variant is timed in one block after the other.
    """
    loops: dict[str, int] = {}
    for name, function in functions.items():
        function()
        count = 1
        while True:
            start = time.perf_counter()
            for _ in range(count):
                function()
            if time.perf_counter() - start >= min_time / rounds:
                break
            count *= 2
        loops[name] = count
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            start = time.perf_counter()
            for _ in range(loops[name]):
                function()
            samples[name].append((time.perf_counter() - start) / loops[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def row(name: str, seconds: float, baseline_name: str, baseline: float, note: str = "") -> str:
    ratio = baseline / seconds
    return f"| {name} | {seconds * 1e6:,.1f} µs | {1 / seconds:,.0f}/s | {ratio:.2f}× {baseline_name} | {note} |"


HEADER = "| operation | time per call | throughput | ratio (throughput vs baseline) | note |\n|---|---|---|---|---|"
