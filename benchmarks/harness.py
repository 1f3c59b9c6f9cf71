"""Side-by-side timing: candidates run interleaved in the same process and run.

Shared machines are noisy, so absolute times mean little; what we report is
the ratio between candidates measured in the same rounds. Every candidate
keeps one sample per round; a row shows the median with the min and max over
rounds, and the ratio is the median of the per-round ratios (each round puts
the candidates side by side), again with its min and max.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MIN_ROUNDS = 3


@dataclass
class Timing:
    """Seconds per call, one sample per interleaved round."""

    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def per_call_s(self) -> float:
        return statistics.median(self.samples)

    @property
    def per_call_us(self) -> float:
        return self.per_call_s * 1e6

    def scaled(self, factor: float, name: str | None = None) -> Timing:
        return Timing(name or self.name, [s * factor for s in self.samples])


def spread(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    """``median (min to max)``: the form of every figure in the table."""
    return f"{fmt(statistics.median(values))} ({fmt(min(values))} to {fmt(max(values))})"


def duration(seconds: float) -> str:
    """Seconds in the unit that reads best: µs, ms or s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds:,.2f} s"


def times(ratio: float) -> str:
    return f"{ratio:,.2f}x"


@dataclass
class Row:
    """One comparison: printed as a line, and written as a README table row by ``run.py --markdown``."""

    name: str
    label: str
    ours: str
    anchor: str
    ratio: str
    note: str = ""
    benchmark: str = ""

    def text(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"{self.name}: ours={self.ours} anchor={self.anchor} ratio={self.ratio}{note}"

    def markdown(self) -> str:
        cells = [self.label, self.ours, self.anchor, self.ratio, self.note]
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def skipped(name: str, reason: str) -> Row:
    return Row(name, name, "skipped", "", "", reason)


def round_ratios(ours: Timing, anchor: Timing) -> list[float]:
    """anchor / ours for each round: above 1 means ours is faster."""
    return [a / o for o, a in zip(ours.samples, anchor.samples, strict=True)]


def timed_row(
    name: str,
    label: str,
    ours: Timing,
    anchor: Timing,
    *,
    cost: bool = False,
    limit: float | None = None,
    note: str = "",
) -> Row:
    """A row comparing two timings; ``cost=True`` reports ours/anchor (how many times the anchor's
    time ours takes) and checks it against ``limit``, else anchor/ours (how many times faster)."""
    ratios = round_ratios(ours, anchor)
    if cost:
        ratios = [1 / r for r in ratios]
    ratio = spread(ratios, times) + (" cost" if cost else "")
    if limit is not None:
        verdict = "met" if statistics.median(ratios) <= limit else "NOT met"
        ratio += f", limit {limit:g}x: {verdict}"
    return Row(
        name,
        label,
        spread(ours.samples, duration),
        f"{anchor.name} {spread(anchor.samples, duration)}",
        ratio,
        note,
    )


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
    """Seconds per call for each candidate, one sample per interleaved round."""
    rounds = max(rounds, MIN_ROUNDS)
    sizes = {name: _calls_for(func, budget_s) for name, func in candidates.items()}
    timings = {name: Timing(name) for name in candidates}
    for _ in range(rounds):
        for name, func in candidates.items():
            n = sizes[name]
            start = time.perf_counter()
            for _ in range(n):
                func()
            timings[name].samples.append((time.perf_counter() - start) / n)
    return timings
