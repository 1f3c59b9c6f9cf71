"""``benchmarks/run.py --markdown`` writes README's table between its markers, replacing only what ran."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import run as bench_run
from harness import Row, Timing, timed_row


def _row(benchmark: str, name: str, ours: str) -> Row:
    return Row(name, f"{name} label", ours, "anchor 1 µs", "2.00x", benchmark=benchmark)


def test_a_partial_run_replaces_its_own_rows_and_keeps_the_others(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    old = bench_run.table_lines(
        [
            _row("validation", "validation/a", "old"),
            _row("replay", "replay/a", "old"),
            _row("import", "import/a", "kept"),
        ]
    )
    readme.write_text(
        "# Title\n\nintro\n" + bench_run.START + "\n" + "\n".join(old) + "\n" + bench_run.END + "\n## Next\n",
        encoding="utf-8",
    )
    bench_run.write_markdown(readme, [_row("replay", "replay/b", "new")], ["replay"], "today")
    text = readme.read_text(encoding="utf-8")
    table = text.split(bench_run.START, 1)[1].split(bench_run.END, 1)[0]
    assert text.startswith("# Title\n\nintro\n") and text.endswith(bench_run.END + "\n## Next\n")
    assert "replay/a" not in table and "| replay/b label | new |" in table
    assert "validation/a" in table and "| import/a label | kept |" in table
    lines = [line for line in table.splitlines() if line.startswith("| ") and "bench:" in line]
    assert [line.split(" label")[0] for line in lines] == ["| validation/a", "| replay/b", "| import/a"]
    assert "Measured today." in table and bench_run.HEADER[0] in table


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no table here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no benchmark markers"):
        bench_run.write_markdown(readme, [], ["replay"], "today")


def test_a_row_reports_median_min_max_and_per_round_ratios() -> None:
    ours, anchor = Timing("ours", [1e-3, 2e-3, 4e-3]), Timing("anchor", [3e-3, 4e-3, 4e-3])
    row = timed_row("x", "x", ours, anchor, cost=True, limit=1.0)
    assert row.ours == "2.0 ms (1.0 ms to 4.0 ms)"
    assert row.ratio == "0.50x (0.33x to 1.00x) cost, limit 1x: met"  # ours/anchor per round: 1/3, 1/2, 1
