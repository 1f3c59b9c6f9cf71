"""Side-by-side timing: candidates run interleaved in the same process and run.

Shared machines are noisy, so absolute times mean little; what we report is
the ratio of medians of interleaved rounds, which cancels most of the noise.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    name: str
    per_call_s: float

    @property
    def per_call_us(self) -> float:
        return self.per_call_s * 1e6


def _calls_for(func: Callable[[], object], budget_s: float) -> int:
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < budget_s / 10 or calls < 1:
        func()
        calls += 1
    return max(1, calls)


def compare(
    candidates: dict[str, Callable[[], object]], *, rounds: int = 7, budget_s: float = 0.3
) -> dict[str, Timing]:
    """Median seconds per call for each candidate, measured in interleaved rounds."""
    sizes = {name: _calls_for(func, budget_s) for name, func in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, func in candidates.items():
            n = sizes[name]
            start = time.perf_counter()
            for _ in range(n):
                func()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: Timing(name, statistics.median(values)) for name, values in samples.items()}


def ratio_line(label: str, ours: Timing, anchor: Timing, *, higher_is_better: bool = False) -> str:
    """One printed comparison; ``ratio=`` is how many times faster ours is than the anchor."""
    ratio = anchor.per_call_s / ours.per_call_s
    return (
        f"{label}: ours={ours.per_call_us:,.1f}us {anchor.name}={anchor.per_call_us:,.1f}us "
        f"ratio={ratio:,.2f}x (ours vs {anchor.name}; >1 means ours is faster)"
    )
