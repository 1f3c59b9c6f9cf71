"""Run the benchmarks: ``python benchmarks/run.py [--markdown] [NAME ...]`` (default: all).

Every row is one comparison measured side by side in this run: each figure is
the median of at least 3 interleaved rounds, with the min and max in
brackets, and ``ratio`` says how many times faster this kit is than the
anchor (or, for a ``cost``, how many times the anchor's time it takes).

``--markdown`` also writes the rows into README.md's benchmark table, between
the ``benchmarks:start`` and ``benchmarks:end`` marker comments. Rows of
benchmarks not run this time are kept as they were, so the table is never
edited by hand.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Row

BENCHMARKS = {
    "validation": "bench_validation",
    "mock": "bench_mock",
    "generation": "bench_generation",
    "replay": "bench_replay",
    "import": "bench_import",
}
README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- benchmarks:start (written by python benchmarks/run.py --markdown; do not edit) -->"
END = "<!-- benchmarks:end -->"
HEADER = [
    "| row | contract-kit | anchor | ratio | note |",
    "|---|---|---|---|---|",
]
ROW_TAG = "<!-- bench:{name} -->"


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
        f"load average {load:.1f} at start"
    )


def run_benchmark(name: str) -> list[Row]:
    try:
        module = importlib.import_module(BENCHMARKS[name])
    except ModuleNotFoundError as exc:
        if exc.name != BENCHMARKS[name]:
            raise
        return [Row(name, name, "not available yet", "", "")]
    rows = []
    for row in module.run():
        row.benchmark = name
        print(row.text(), flush=True)
        rows.append(row)
    return rows


def table_lines(rows: list[Row]) -> list[str]:
    """Markdown rows, each tagged with its benchmark so a partial run replaces only its own."""
    return [f"{row.markdown()} {ROW_TAG.format(name=row.benchmark)}" for row in rows]


def write_markdown(readme: Path, rows: list[Row], ran: list[str], header: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no benchmark markers; add {START!r} and {END!r} where the table goes")
    before, rest = text.split(START, 1)
    old, after = rest.split(END, 1)
    kept = [
        line
        for line in old.splitlines()
        if line.startswith("| ")
        and "<!-- bench:" in line
        and not any(ROW_TAG.format(name=n) in line for n in ran)
    ]
    new = table_lines(rows)
    order = list(BENCHMARKS)

    def position(line: str) -> int:
        for index, name in enumerate(order):
            if ROW_TAG.format(name=name) in line:
                return index
        return len(order)

    body = sorted(kept + new, key=position)  # stable: rows keep their order within a benchmark
    block = ["", f"Measured {header}. Ratios are medians of per-round ratios, (min to max) over rounds.", ""]
    readme.write_text(
        before + START + "\n".join([*block, *HEADER, *body, ""]) + END + after, encoding="utf-8"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--markdown", action="store_true", help="write the rows into README.md's table")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    header = machine()
    print(f"# contract-kit benchmarks, {header}")
    rows = [row for name in names for row in run_benchmark(name)]
    if args.markdown:
        write_markdown(README, rows, names, header)
        print(f"# wrote {len(rows)} row(s) into {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
