"""The plugin with ``--contract-spec`` naming several documents: a folder, or an ini list."""

from __future__ import annotations

import os

import pytest
from two_pages import B_MAX_TOKENS, MODEL_A, MODEL_B, PAGE_A, PAGE_B, write_two_pages

USER_PROJECT = f"""
    import httpx
    from hypothesis import HealthCheck, given, settings
    from contract_kit.contract import ContractSet
    from contract_kit.strategies import chat_requests

    A, B = {MODEL_A!r}, {MODEL_B!r}
    URL = "https://api.aimlapi.com/v1/chat/completions"

    def post(model, **extra):
        body = {{"model": model, "messages": [{{"role": "user", "content": "Hi"}}], **extra}}
        return httpx.post(URL, json=body, headers={{"Authorization": "Bearer sk-test"}})

    def test_the_contract_fixture_is_the_set(contract):
        assert isinstance(contract, ContractSet)
        assert contract.models == [A, B]
        assert contract.documents == [{PAGE_A!r}, {PAGE_B!r}]

    def test_chat_mock_answers_each_model_by_its_own_document(chat_mock):
        assert post(A, max_tokens={B_MAX_TOKENS + 1}).status_code == 200
        refused = post(B, max_tokens={B_MAX_TOKENS + 1})
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "max_tokens"
        assert post(B, max_tokens=64).status_code == 200
        assert post("nobody/else").status_code == 404

    @settings(max_examples=8, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(request=chat_requests(model=B, tools=False, stream=False))
    def test_requests_for_one_model_are_answered(chat_mock, request):
        assert request["model"] == B
        assert post(**request).status_code == 200

    @settings(max_examples=30, database=None)
    @given(chat_requests(tools=False))
    def test_requests_across_the_documents(request):
        assert request["model"] in (A, B)
"""


def test_a_folder_spec_serves_and_generates_for_every_document(pytester: pytest.Pytester) -> None:
    write_two_pages(pytester.path / "pages")
    pytester.makepyfile(USER_PROJECT)
    result = pytester.runpytest("-p", "no:cacheprovider", "--contract-spec", "pages")
    result.assert_outcomes(passed=4)


def test_an_ini_list_of_files_is_the_same_set(pytester: pytest.Pytester) -> None:
    write_two_pages(pytester.path / "pages")
    joined = os.pathsep.join([f"pages/{PAGE_A}", f"pages/{PAGE_B}"])
    pytester.makeini(f"[pytest]\ncontract_spec = {joined}\n")
    pytester.makepyfile(
        f"""
        def test_models(contract):
            assert contract.models == [{MODEL_A!r}, {MODEL_B!r}]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_two_documents_of_one_model_stop_the_run_naming_both(pytester: pytest.Pytester) -> None:
    pages = write_two_pages(pytester.path / "pages")
    (pages / "copy.json").write_text((pages / PAGE_A).read_text())
    pytester.makepyfile("def test_x(contract):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--contract-spec", "pages")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{MODEL_A}*listed by two documents*{PAGE_A}*copy.json*"])
