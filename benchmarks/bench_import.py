"""Plugin import overhead: a pytest run that never uses the kit, with the
plugin loaded (it is installed, so pytest loads it through its entry point)
against the same run with ``-p no:contract_kit``.

Each run is a fresh ``python -m pytest`` subprocess on a temporary directory
of trivial tests, so the whole cost is seen: interpreter start, plugin
discovery, the plugin's imports and hooks, collection and the run. The two
arms alternate, and the row reports medians of wall time.

Wall time is noisy next to a small overhead, so the row also reports what
importing the plugin module costs on its own, from ``python -X importtime``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Row, Timing, duration, spread, timed_row

RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "10"))
TESTS = 20
PLUGIN = "contract_kit"
BASE_ARGS = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
RUN_TIMEOUT_S = 120.0


def write_tests(directory: Path, count: int = TESTS) -> None:
    """``count`` trivial tests that touch neither the kit nor its fixtures."""
    body = "\n\n".join(
        f"def test_trivial_{i}() -> None:\n    assert {i} + 1 == {i + 1}" for i in range(count)
    )
    (directory / "test_trivial.py").write_text(body + "\n")


def clean_env() -> dict[str, str]:
    """The caller's environment without what would change which plugins load."""
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(name, None)
    return env


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_run(directory: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one run, and its output; a failing run stops the benchmark."""
    cpu, start = _children_cpu_s(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, *BASE_ARGS, *extra],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    elapsed, cpu = time.perf_counter() - start, _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(
            f"bench_import: pytest {' '.join(extra)} exited {done.returncode}: "
            f"{(done.stdout + done.stderr).strip()[-800:]}"
        )
    return elapsed, cpu, done.stdout


def check_arms(directory: Path, env: dict[str, str]) -> None:
    """The comparison means something only if the plugin loads in one arm and not the other."""
    *_, loaded = pytest_run(directory, ["--trace-config"], env)
    *_, disabled = pytest_run(directory, ["--trace-config", "-p", f"no:{PLUGIN}"], env)
    marker = "contract_kit/plugin/plugin.py"
    if marker not in loaded:
        raise RuntimeError("bench_import: pytest did not load the contract_kit plugin; is the kit installed?")
    if marker in disabled:
        raise RuntimeError(f"bench_import: -p no:{PLUGIN} did not disable the plugin")


def plugin_import_cost(env: dict[str, str], repeats: int = 5) -> str:
    """What importing the plugin module costs on top of pytest, from
    ``-X importtime`` (median of ``repeats`` runs). pytest loads entry points
    with ``importlib.import_module``, which ``-X importtime`` does not log, so
    the import is made with a plain ``import`` statement here. Modules another
    plugin would have imported anyway are counted too: an upper bound."""
    code = "import pytest; import contract_kit.plugin.plugin"
    totals: list[float] = []
    added: dict[str, int] = {}
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        entries = []  # (depth, name, self us, cumulative us), children before their parent
        for line in done.stderr.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if len(fields) == 3 and fields[0].strip().isdigit():
                depth = (len(fields[2]) - len(fields[2].lstrip()) - 1) // 2
                entries.append((depth, fields[2].strip(), int(fields[0]), int(fields[1])))
        top_pytest = max(i for i, entry in enumerate(entries) if entry[:2] == (0, "pytest"))
        after = entries[top_pytest + 1 :]
        totals.append(sum(cum for depth, _, _, cum in after if depth == 0) / 1e3)
        added = {name: own for _, name, own, _ in after}
    heaviest = sorted(added, key=added.__getitem__, reverse=True)[:3]
    return (
        f"importing {PLUGIN}.plugin after pytest: {statistics.median(totals):.1f}ms, "
        f"{len(added)} module(s) (heaviest: {', '.join(heaviest)})"
    )


def run() -> list[Row]:
    env = clean_env()
    arms = {"with-plugin": [], "no-plugin": ["-p", f"no:{PLUGIN}"]}
    wall: dict[str, list[float]] = {name: [] for name in arms}
    cpu: dict[str, list[float]] = {name: [] for name in arms}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        directory = Path(tmp)
        write_tests(directory)
        check_arms(directory, env)  # also warms the OS file cache for both arms
        imports = plugin_import_cost(env)
        for index in range(RUNS):
            order = list(arms.items()) if index % 2 == 0 else list(reversed(arms.items()))
            for name, extra in order:
                elapsed, cpu_s, _ = pytest_run(directory, extra, env)
                wall[name].append(elapsed)
                cpu[name].append(cpu_s)
    ours, anchor = (Timing(name, wall[name]) for name in ("with-plugin", "no-plugin"))
    ours_cpu, anchor_cpu = (Timing(name, cpu[name]) for name in ("with-plugin", "no-plugin"))
    overhead = (ours.per_call_s - anchor.per_call_s) * 1e3
    row = timed_row(
        f"import/pytest-{TESTS}-trivial-tests vs -p no:{PLUGIN}",
        f"a pytest run of {TESTS} trivial tests, plugin installed but unused",
        ours,
        anchor,
        cost=True,
        note=(
            f"goal ~1.00x; overhead {overhead:+.0f} ms; CPU ours {spread(ours_cpu.samples, duration)}, "
            f"no-plugin {spread(anchor_cpu.samples, duration)}; {imports}"
        ),
    )
    return [row]


if __name__ == "__main__":
    print("\n".join(row.text() for row in run()))
