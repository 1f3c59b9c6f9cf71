"""The mock over several documents: each request is answered by the document of its model.

Answers are checked with openapi-core against each page's own effective document,
not with the kit's validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openapi_core import OpenAPI
from openapi_core.validation.request.exceptions import InvalidRequestBody
from two_pages import (
    B_MAX_TOKENS,
    MODEL_A,
    MODEL_B,
    PAGE_A,
    PAGE_B,
    chat,
    oracle,
    oracle_check,
    oracle_request,
    write_two_pages,
)

from contract_kit.contract import ContractSet, load_contracts
from contract_kit.mock import ChatMock, ChatServer, MockRequest, MockService

URL = "https://api.aimlapi.com/v1/chat/completions"
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-test"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_pages(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def documents(folder: Path) -> ContractSet:
    return load_contracts("observed", folder)


@pytest.fixture(scope="module")
def oracles(folder: Path) -> dict[str, OpenAPI]:
    """openapi-core on each page's effective document (the overlays applied), keyed by model."""
    return {MODEL_A: oracle(folder / PAGE_A), MODEL_B: oracle(folder / PAGE_B)}


def post(service: MockService, body: dict[str, Any]) -> tuple[int, Any]:
    response = service(MockRequest("POST", URL, "/v1/chat/completions", HEADERS, json.dumps(body).encode()))
    return response.status, json.loads(response.full_body())


def test_a_request_valid_for_a_and_not_for_b_is_200_for_a_and_400_for_b(
    documents: ContractSet, oracles: dict[str, OpenAPI]
) -> None:
    service = MockService(documents)
    big = {"max_tokens": B_MAX_TOKENS + 1}
    status_a, answer_a = post(service, chat(MODEL_A, **big))
    status_b, answer_b = post(service, chat(MODEL_B, **big))
    assert (status_a, status_b) == (200, 400)
    assert answer_b["error"]["param"] == "max_tokens" and str(B_MAX_TOKENS) in answer_b["error"]["message"]
    oracle_check(oracles[MODEL_A], chat(MODEL_A, **big), 200, answer_a)
    oracle_check(oracles[MODEL_B], chat(MODEL_B, **big), 400, answer_b)
    with pytest.raises(InvalidRequestBody) as refused:  # the oracle agrees: B's document refuses it
        oracles[MODEL_B].validate_request(oracle_request(chat(MODEL_B, **big)))
    assert "greater than the maximum of 4096" in str(getattr(refused.value.__cause__, "schema_errors", ""))
    oracles[MODEL_A].validate_request(oracle_request(chat(MODEL_A, **big)))  # and A's accepts it


def test_both_models_are_answered_each_by_its_own_document(
    documents: ContractSet, oracles: dict[str, OpenAPI]
) -> None:
    service = MockService(documents)
    for model in (MODEL_A, MODEL_B):
        body = chat(model, max_tokens=64)
        status, answer = post(service, body)
        assert status == 200, answer
        assert answer["model"].endswith(model.split("/")[-1])
        oracle_check(oracles[model], body, status, answer)
    assert [call.status for call in service.calls] == [200, 200]  # one call log for every document


def test_an_unknown_model_is_404_and_the_models_list_is_the_union(documents: ContractSet) -> None:
    service = MockService(documents)
    status, answer = post(service, chat("nobody/else"))
    assert (status, answer["error"]["code"]) == (404, "model_not_found")
    listed = service(MockRequest("GET", "https://api.aimlapi.com/v1/models", "/v1/models", HEADERS))
    assert [entry["id"] for entry in json.loads(listed.full_body())["data"]] == [MODEL_A, MODEL_B]
    no_key = {"content-type": "application/json"}
    refused = service(
        MockRequest("POST", URL, "/v1/chat/completions", no_key, json.dumps(chat(MODEL_B)).encode())
    )
    assert refused.status == 401


def test_a_set_of_one_document_is_the_single_contract_path(documents: ContractSet) -> None:
    one = ContractSet((documents.primary,))
    service = MockService(one)
    assert service.documents is None and service.contract is documents.primary
    assert MockService(documents).documents is documents


def test_chat_mock_routes_the_openai_sdk_to_each_document(documents: ContractSet) -> None:
    with ChatMock(documents) as mock:
        client = openai.OpenAI(api_key="sk-test", base_url=mock.base_url, max_retries=0)
        assert client.chat.completions.create(**chat(MODEL_B, max_tokens=64)).choices
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(**chat(MODEL_B, max_tokens=B_MAX_TOKENS + 1))
        assert client.chat.completions.create(**chat(MODEL_A, max_tokens=B_MAX_TOKENS + 1)).choices


def test_chat_server_serves_both_models_over_http(documents: ContractSet) -> None:
    with ChatServer(documents) as server:
        headers = {"Authorization": "Bearer sk-test"}
        url = server.base_url + "/chat/completions"
        a = httpx.post(url, json=chat(MODEL_A, max_tokens=B_MAX_TOKENS + 1), headers=headers)
        b = httpx.post(url, json=chat(MODEL_B, max_tokens=B_MAX_TOKENS + 1), headers=headers)
        assert (a.status_code, b.status_code) == (200, 400)
