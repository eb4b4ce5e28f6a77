"""How fast this machine runs Python, printed beside each benchmark's figures.

Benchmark figures depend on the CPU: the same code on the same data ran
2.3 times slower on one of our machines than on another. Each benchmark
prints the time of a fixed pure-Python loop, so figures from two machines can
be compared (divide by the ratio of the two loop times).
"""

from __future__ import annotations

import time

REFERENCE_LOOP = 10_000_000


def python_loop_seconds() -> float:
    """Return the best of three timings of a 10-million-step Python addition loop."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(REFERENCE_LOOP):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


def describe() -> str:
    """One line for a benchmark's output: the loop time of this machine."""
    return (
        f"machine:               a 10M-step Python loop takes {python_loop_seconds():.2f} s "
        "(lower is faster; compare figures across machines by this)"
    )
