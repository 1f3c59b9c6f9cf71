"""Plugin import overhead: a pytest run that never uses the kit, with the
plugin loaded (it is installed, so pytest loads it through its entry point)
against the same run with ``-p no:contract_kit``.

Each run is a fresh ``python -m pytest`` subprocess on a temporary directory
of trivial tests, so the whole cost is seen: interpreter start, plugin
discovery, the plugin's imports and hooks, collection and the run. The two
arms alternate, and the row reports medians of wall time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Timing, ratio_line

RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "10"))
TESTS = 20
PLUGIN = "contract_kit"
BASE_ARGS = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
RUN_TIMEOUT_S = 120.0


def write_tests(directory: Path, count: int = TESTS) -> None:
    """``count`` trivial tests that touch neither the kit nor its fixtures."""
    body = "\n\n".join(f"def test_trivial_{i}() -> None:\n    assert {i} + 1 == {i + 1}" for i in range(count))
    (directory / "test_trivial.py").write_text(body + "\n")


def clean_env() -> dict[str, str]:
    """The caller's environment without what would change which plugins load."""
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(name, None)
    return env


def pytest_run(directory: Path, extra: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one run, and its output; a failing run stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *BASE_ARGS, *extra], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bench_import: pytest {' '.join(extra)} exited {done.returncode}: "
                           f"{(done.stdout + done.stderr).strip()[-800:]}")
    return elapsed, done.stdout


def check_arms(directory: Path, env: dict[str, str]) -> None:
    """The comparison means something only if the plugin loads in one arm and not the other."""
    _, loaded = pytest_run(directory, ["--trace-config"], env)
    _, disabled = pytest_run(directory, ["--trace-config", "-p", f"no:{PLUGIN}"], env)
    marker = "contract_kit/plugin.py"
    if marker not in loaded:
        raise RuntimeError("bench_import: pytest did not load the contract_kit plugin; is the kit installed?")
    if marker in disabled:
        raise RuntimeError(f"bench_import: -p no:{PLUGIN} did not disable the plugin")


def run() -> list[str]:
    env = clean_env()
    arms = {"with-plugin": [], "no-plugin": ["-p", f"no:{PLUGIN}"]}
    samples: dict[str, list[float]] = {name: [] for name in arms}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        directory = Path(tmp)
        write_tests(directory)
        check_arms(directory, env)  # also warms the OS file cache for both arms
        for index in range(RUNS):
            order = list(arms.items()) if index % 2 == 0 else list(reversed(arms.items()))
            for name, extra in order:
                samples[name].append(pytest_run(directory, extra, env)[0])
    ours, anchor = (Timing(name, statistics.median(samples[name])) for name in ("with-plugin", "no-plugin"))
    overhead_ms = (ours.per_call_s - anchor.per_call_s) * 1e3
    return [
        ratio_line(f"import/pytest-{TESTS}-trivial-tests vs -p no:{PLUGIN}", ours, anchor)
        + f" overhead={overhead_ms:+.0f}ms per run (median of {RUNS} interleaved runs each; goal: ratio ~1.00)"
    ]


if __name__ == "__main__":
    print("\n".join(run()))
