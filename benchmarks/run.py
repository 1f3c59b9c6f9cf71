"""Run the benchmarks: ``python benchmarks/run.py [NAME ...]`` (default: all).

Every line printed is one comparison measured side by side in this run, with
``ratio=`` saying how many times faster this kit is than the anchor.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = {
    "validation": "bench_validation",
    "mock": "bench_mock",
    "generation": "bench_generation",
    "replay": "bench_replay",
    "import": "bench_import",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    print(f"# contract-kit benchmarks, {time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}")
    for name in names:
        try:
            module = importlib.import_module(BENCHMARKS[name])
        except ModuleNotFoundError as exc:
            if exc.name != BENCHMARKS[name]:
                raise
            print(f"{name}: not available yet")
            continue
        for line in module.run():
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
