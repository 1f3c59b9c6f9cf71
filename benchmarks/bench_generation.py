"""Valid-request generation: contract-kit's ``chat_requests()`` vs Schemathesis 4.x ``as_strategy()``.

Both generate from the same document, the repaired vendor document
(``load_contract("documented").document``), in the same process, under the
same Hypothesis settings: a ``@given`` test of N examples, generate phase
only, no database, no deadline, health checks off. One call of a candidate is
one such run, so ``per call`` is the time of N cases; the extra line turns it
into cases per second. Schemathesis's cases are schema-valid; ours are also
coherent (declared tool names, answered tool calls, decodable images), which
is the work the speed-up has to survive.
"""

from __future__ import annotations

import statistics
import warnings
from typing import Any

from harness import Row, Timing, compare, round_ratios, skipped, spread, timed_row

CASES_PER_RUN = 100
SKIPPED = "schemathesis not installed (pip install -e .[bench])"
TARGET = 20.0  # issue #14: at least 20x Schemathesis


def generate(strategy: Any, cases: int = CASES_PER_RUN) -> int:
    """Draw ``cases`` examples from ``strategy`` the way a property test does; return how many."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn = 0

    @settings(
        max_examples=cases,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(example: Any) -> None:
        nonlocal drawn
        drawn += 1

    draw()
    return drawn


def schemathesis_strategy(document: dict[str, Any]) -> Any:
    import schemathesis

    schema = schemathesis.openapi.from_dict(document)
    operation = next(iter(schema.get_all_operations())).ok()
    return operation.as_strategy()


def cases_per_second(timing: Timing, cases: int = CASES_PER_RUN) -> float:
    return cases / timing.per_call_s


def run() -> list[Row]:
    from contract_kit import load_contract
    from contract_kit.strategies import chat_requests

    try:
        import schemathesis  # noqa: F401
    except ImportError:
        return [skipped("generation", SKIPPED)]
    warnings.filterwarnings("ignore", module="schemathesis")
    contract = load_contract("documented")
    ours, theirs = chat_requests(contract), schemathesis_strategy(contract.document)
    generate(ours, 10)  # warm both up: the first run compiles strategies and schemas
    generate(theirs, 10)
    timings = compare(
        {
            "contract-kit": lambda: generate(ours),
            "schemathesis": lambda: generate(theirs),
        },
        rounds=5,  # a shared machine: 5 interleaved rounds for a steadier median
        budget_s=0.5,
    )
    mine, anchor = timings["contract-kit"], timings["schemathesis"]
    row = timed_row(
        f"generation/valid-requests x{CASES_PER_RUN} vs schemathesis as_strategy()",
        f"generation of valid requests ({CASES_PER_RUN} cases per run)",
        mine,
        anchor,
    )
    per_second = lambda t: spread([CASES_PER_RUN / s for s in t.samples], lambda v: f"{v:,.0f}")  # noqa: E731
    speedup = min(a / o for o, a in zip(mine.samples, anchor.samples, strict=True))
    row.note = (
        f"ours {per_second(mine)} cases/s, schemathesis {per_second(anchor)} cases/s; "
        f"issue #14 target >= {TARGET:g}x: {'met' if statistics.median(round_ratios(mine, anchor)) >= TARGET else 'NOT met'}"
        f" (worst round {speedup:.2f}x)"
    )
    return [row]


if __name__ == "__main__":
    print("\n".join(row.text() for row in run()))
