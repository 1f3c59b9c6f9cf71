"""The README's promises, run as a user would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _python_block_after(heading: str) -> str:
    section = README.split(f"## {heading}", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under '## {heading}'"
    return match.group(1)


def _bash_blocks_after(heading: str) -> list[str]:
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_the_two_commands_are_the_ones_ci_and_newcomers_run() -> None:
    main_job, tests = _bash_blocks_after("The two commands")
    assert main_job == "pip install -e . && contract-kit check"
    assert tests == "pip install -e '.[test]' && python -m pytest"
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci


def test_the_quick_start_passes_as_a_users_test_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_quick_start=_python_block_after("Quick start"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_agent_loop_recipe_passes_as_a_users_test_file(pytester: pytest.Pytester) -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "tests/test_agent.py" in b)
    pytester.makepyfile(test_agent=block)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
