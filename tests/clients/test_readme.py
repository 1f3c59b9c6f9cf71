"""The README's promises, run as a user would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from two_pages import write_two_pages

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


# -- every Python block runs here, as it stands ------------------------------------------------------
def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


# A line unique to each block -> the test below that runs that block as it stands.
RUN_BY = {
    "def test_my_client_reads_a_streamed_answer": "test_the_quick_start_passes_as_a_users_test_file",
    "def test_summary(chat_mock)": "test_the_httpx_example_passes",
    "def test_my_client_retries_then_reads_the_third_answer": "test_the_scenarios_block_passes",
    "def test_my_serializer": "test_the_hypothesis_block_passes",
    "def test_summary_keeps_the_reasoning_out": "test_the_replay_block_records_once_then_replays_offline",
    "def test_my_client_gets_an_answer_to_any_valid_request": "test_the_given_with_a_fresh_mock_block_passes",
    "def test_the_agent_answers_with_the_tool_result": "test_the_agent_loop_recipe_passes_as_a_users_test_file",
    "def test_each_model_is_answered_by_its_own_page": "test_the_several_documents_block_passes",
    # run where its cassette is recorded first, against the stand-in
    "def test_my_stream_reader": "tests/cassettes/test_faults.py::test_one_test_id_per_variant_each_ending_as_the_real_failure",
}


def _block(line: str) -> str:
    (block,) = [b for b in _python_blocks() if line in b]
    return block


def test_every_python_block_is_run_by_a_test_here() -> None:
    for block in _python_blocks():
        runners = [test for line, test in RUN_BY.items() if line in block]
        assert len(runners) == 1, f"add the README block to RUN_BY with a test that runs it:\n{block[:300]}"
        assert _runner_exists(runners[0]), runners[0]


def _runner_exists(runner: str) -> bool:
    """A test of this module, or ``path::name`` of a test elsewhere in the suite."""
    if "::" not in runner:
        return callable(globals().get(runner))
    path, name = runner.split("::")
    source = (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
    return f"def {name}(" in source


def test_the_several_documents_block_passes(pytester: pytest.Pytester) -> None:
    """The block as a user's test file, run with ``--contract-spec`` on a folder of two model pages."""
    write_two_pages(pytester.path / "openapi-pages")
    pytester.makepyfile(test_two_models=_block("def test_each_model_is_answered_by_its_own_page"))
    pytester.runpytest("-p", "no:cacheprovider", "--contract-spec", "openapi-pages").assert_outcomes(passed=2)


def test_the_httpx_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_httpx_example=_block("def test_summary(chat_mock)"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_scenarios_block_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_readme_scenarios=_block("def test_my_client_retries_then_reads_the_third_answer")
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_hypothesis_block_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_strategies_block=_block("def test_my_serializer"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_given_with_a_fresh_mock_block_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_given_mock=_block("def test_my_client_gets_an_answer_to_any_valid_request"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_given_with_the_chat_mock_fixture_trips_the_health_check_the_readme_names(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_fixture_under_given="""
from hypothesis import given, strategies as st

@given(st.integers())
def test_uses_the_fixture(chat_mock, n):
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert "function_scoped_fixture" in result.stdout.str()
    assert "`function_scoped_fixture` health check" in README


def test_the_replay_block_records_once_then_replays_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's record-once flow, with the stand-in as the live API: record, then replay with no server."""
    from standin import KEY, StandIn, serve

    pytester.path.joinpath("tests").mkdir()
    pytester.path.joinpath("tests", "test_summary.py").write_text(
        _block("def test_summary_keeps_the_reasoning_out")
    )
    with serve(StandIn()) as (standin, base):
        monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
        monkeypatch.setenv("AIMLAPI_BASE_URL", base)
        pytester.runpytest_subprocess("--contract-mode=once", "tests/test_summary.py").assert_outcomes(
            passed=1
        )
        assert standin.paths == ["/v1/chat/completions"]
    cassettes = list(pytester.path.joinpath("fixtures", "cassettes").glob("*.yaml"))
    assert len(cassettes) == 1 and KEY not in cassettes[0].read_text()
    monkeypatch.delenv("AIMLAPI_API_KEY")
    monkeypatch.delenv("AIMLAPI_BASE_URL")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)  # replay is the default


# -- every shell command of the main sections runs in the installed smoke -----------------------------
SMOKE = (Path(__file__).resolve().parents[2] / ".ci" / "installed_smoke.sh").read_text(encoding="utf-8")


def _shell_commands() -> list[str]:
    """The commands of the bash blocks from "Quick start" to before "Benchmarks", one per line."""
    main = README.split("## Quick start", 1)[1].split("## Benchmarks", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", main, re.S):
        if _run_elsewhere(block):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                commands.append(command)
    return commands


ELSEWHERE = re.compile(r"^# (?:run in CI by|tested by) (\S+)")


def _run_elsewhere(block: str) -> bool:
    """A block whose first line names the CI script or test that runs it (which must exist)."""
    found = ELSEWHERE.match(block)
    if found is None:
        return False
    runner = Path(__file__).resolve().parents[2] / found.group(1).rstrip(",")
    assert runner.is_file(), f"the README says {found.group(1)} runs this block, but there is no such file"
    return True


def _as_in_smoke(command: str) -> str:
    command = command.replace("AIMLAPI_API_KEY=... ", 'AIMLAPI_API_KEY="$SMOKE_KEY" ')
    return " ".join(command.replace("127.0.0.1:4010", "127.0.0.1:$PORT").split())


def test_every_shell_command_of_the_main_sections_runs_in_the_installed_smoke() -> None:
    commands = _shell_commands()
    assert len(commands) >= 6, commands
    smoke = " ".join(SMOKE.replace("\\\n", " ").split())
    missing = [command for command in commands if _as_in_smoke(command) not in smoke]
    assert not missing, f"add to .ci/installed_smoke.sh: {missing}"
    assert re.search(r"^contract-kit check( >|$)", SMOKE, re.M)  # the first of the two commands, on the wheel


def test_the_ci_runs_the_installed_smoke() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/installed_smoke.sh" in ci


def test_the_agent_loop_recipe_passes_as_a_users_test_file(pytester: pytest.Pytester) -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "tests/test_agent.py" in b)
    pytester.makepyfile(test_agent=block)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
