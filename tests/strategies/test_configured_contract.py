"""Strategies without an explicit contract follow the run's configured contract, and generate fast.

Each pytester run is a user project: its own document (another model's page),
configured by ini or the command line, with no code change in the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contract_kit.contract import (
    ContractSettings,
    active_contract,
    active_settings,
    load_contract,
    share_settings,
    unshare_settings,
)
from contract_kit.defaults import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[2]
OTHER_MODEL = "alibaba/qwen3-vl-8b-thinking"


def write_other_models_document(folder: Path) -> Path:
    """The vendor's document with another model name, as a team would save its own model's page."""
    document = json.loads((ROOT / "openapi" / "aimlapi-qwen3-vl-32b-thinking.json").read_text())
    operation = document["paths"]["/v1/chat/completions"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"]["properties"]["model"]["enum"] = [
        OTHER_MODEL
    ]
    spec = folder / "other-model.json"
    spec.write_text(json.dumps(document))
    return spec


USER_PROJECT = f"""
    import httpx
    from hypothesis import HealthCheck, given, settings
    from contract_kit.contract import load_contract
    from contract_kit.strategies import chat_requests, chat_streams, invalid_chat_requests

    OTHER = {OTHER_MODEL!r}

    @settings(max_examples=15, database=None)
    @given(chat_requests(tools=False))
    def test_requests_are_for_the_configured_model(request):
        assert request["model"] == OTHER

    @settings(max_examples=5, database=None)
    @given(invalid_chat_requests(kinds=["malformed-content-part"]))
    def test_invalid_cases_come_from_the_configured_document(case):
        assert case.json["model"] == OTHER

    @settings(max_examples=5, database=None)
    @given(chat_requests(load_contract(), tools=False))
    def test_an_explicit_contract_wins(request):
        assert request["model"] != OTHER

    @settings(max_examples=5, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(request=chat_requests(tools=False, stream=False))
    def test_the_mock_answers_for_that_model(chat_mock, request):
        reply = httpx.post("https://api.aimlapi.com/v1/chat/completions", json=request,
                           headers={{"Authorization": "Bearer sk-test"}})
        assert reply.status_code == 200, reply.text
        assert reply.json()["model"] == OTHER.split("/")[-1]  # the vendor answers without the prefix
"""


def test_a_project_with_its_own_document_in_ini_gets_requests_for_its_model(
    pytester: pytest.Pytester,
) -> None:
    write_other_models_document(pytester.path)
    pytester.makeini("[pytest]\ncontract_spec = other-model.json\n")
    pytester.makepyfile(USER_PROJECT)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_the_command_line_spec_and_profile_reach_the_strategies(pytester: pytest.Pytester) -> None:
    spec = write_other_models_document(pytester.path)
    pytester.makepyfile(
        f"""
        from hypothesis import given, settings
        from contract_kit.strategies import chat_streams, chat_requests

        @settings(max_examples=5, database=None)
        @given(chat_streams(include_usage=False))
        def test_documented_streams_are_one_chunk(stream):
            assert len(stream.chunks) == 1

        @settings(max_examples=5, database=None)
        @given(chat_requests(tools=False))
        def test_model(request):
            assert request["model"] == {OTHER_MODEL!r}
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--contract-spec", str(spec), "--contract-profile", "documented"
    )
    result.assert_outcomes(passed=2)


def test_after_a_run_the_enclosing_settings_are_back() -> None:
    before = active_settings()
    mine = ContractSettings(profile="documented")
    share_settings(mine)
    try:
        assert active_settings() is mine
        assert active_contract().profile == "documented"
        assert active_contract("observed").profile == "observed"
    finally:
        unshare_settings(mine)
    assert active_settings() is before


def test_outside_pytest_the_strategies_use_load_contracts_default() -> None:
    code = (
        "from contract_kit.strategies import chat_requests\n"
        "from contract_kit.contract import active_settings, load_contract\n"
        "assert active_settings().load() is load_contract()\n"
        "print(chat_requests(tools=False).example()['model'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == DEFAULT_MODEL
    assert load_contract().models == [DEFAULT_MODEL]


# The README's snippet, as a fresh project runs it: default settings, no health check suppressed,
# no profile from this repository's conftest, an empty example database for every test.
README_SNIPPET_RUNS = 10


def test_the_readme_snippet_passes_the_health_checks_on_fresh_databases(pytester: pytest.Pytester) -> None:
    tests = "\n".join(
        f"@given(chat_requests(tools=True, images=True))\ndef test_my_serializer_{run}(request): ...\n"
        for run in range(README_SNIPPET_RUNS)
    )
    pytester.makepyfile(
        "from hypothesis import given\nfrom contract_kit.strategies import chat_requests\n\n" + tests
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=README_SNIPPET_RUNS)
    assert "FailedHealthCheck" not in result.stdout.str()
    assert (pytester.path / ".hypothesis").is_dir()  # the default, on-disk example database was used
