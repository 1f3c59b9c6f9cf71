"""The openai SDK (sync, stream, tools) against the mock served on OpenAI's and Azure's published documents.

Every body the SDK receives is also checked by ``jsonschema`` against the
published document's own component schema (not the kit's validator).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from published import AZURE, AZURE_PREVIEW, OPENAI, _errors, _published_validator

from contract_kit.contract import Contract, load_contract
from contract_kit.mock import ChatMock, ChatServer

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, tuple[ChatServer, Contract]]]:
    started = {}
    for name, spec in (("openai", OPENAI), ("azure", AZURE), ("azure-preview", AZURE_PREVIEW)):
        contract = load_contract("observed", spec)
        started[name] = (ChatServer(contract).__enter__(), contract)
    yield started
    for server, _ in started.values():
        server.__exit__(None, None, None)


def test_openai_sdk_sync_stream_and_tools(servers: dict[str, tuple[ChatServer, Contract]]) -> None:
    server, _ = servers["openai"]
    assert server.base_url == server.url + "/v1"  # the document's server path
    client = openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
    answers = _published_validator(OPENAI, "CreateChatCompletionResponse")
    reply = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=HI)
    assert _errors(answers, json.loads(reply.http_response.content)) == []
    assert reply.parse().choices[0].message.content
    text = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="gpt-4o", messages=HI, stream=True)
        if c.choices
    )
    assert text
    called = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=HI, tools=[TOOL], tool_choice="required"
    )
    assert _errors(answers, json.loads(called.http_response.content)) == []
    assert called.parse().choices[0].message.tool_calls[0].function.name == "get_weather"


def test_azure_sdk_with_api_key_and_api_version(
    servers: dict[str, tuple[ChatServer, Contract]],
) -> None:
    server, _ = servers["azure"]
    client = openai.AzureOpenAI(
        api_key="k", azure_endpoint=server.url, api_version="2024-10-21", max_retries=0
    )
    answers = _published_validator(AZURE, "createChatCompletionResponse")
    reply = client.chat.completions.with_raw_response.create(model="my-deployment", messages=HI)
    body: dict[str, Any] = json.loads(reply.http_response.content)
    assert _errors(answers, body) == []
    assert reply.parse().choices[0].message.content
    stream = client.chat.completions.create(model="my-deployment", messages=HI, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    tools = client.chat.completions.create(
        model="my-deployment", messages=HI, tools=[TOOL], tool_choice="required"
    )
    assert tools.choices[0].message.tool_calls


def test_azure_rules_from_the_document(servers: dict[str, tuple[ChatServer, Contract]]) -> None:
    server, contract = servers["azure"]
    assert contract.api_key_locations == [("header", "api-key")]
    assert contract.required_query == {"api-version": "2024-10-21"}
    url = server.url + "/openai/deployments/d/chat/completions"
    body = {"messages": HI}
    no_version = httpx.post(url, json=body, headers={"api-key": "k"})
    assert no_version.status_code == 400 and "api-version" in no_version.text
    no_key = httpx.post(url, params={"api-version": "2024-10-21"}, json=body)
    assert no_key.status_code == 401
    ok = httpx.post(url, params={"api-version": "2024-10-21"}, json=body, headers={"api-key": "k"})
    assert ok.status_code == 200


def test_azure_client_reaches_the_documents_path_and_other_paths_are_404(
    servers: dict[str, tuple[ChatServer, Contract]],
) -> None:
    server, _ = servers["azure"]
    assert server.base_url == server.url + "/openai"
    client = openai.AzureOpenAI(
        api_key="k", azure_endpoint=server.url, api_version="2024-10-21", max_retries=0
    )
    assert client.chat.completions.create(model="team-gpt", messages=HI).choices[0].message.content
    assert server.last_call.path == "/openai/deployments/team-gpt/chat/completions"
    assert server.last_call.status == 200
    params, headers = {"api-version": "2024-10-21"}, {"api-key": "k"}
    for path in ("/openai/chat/completions", "/v2/chat/completions", "/v1/chat/completions"):
        wrong = httpx.post(server.url + path, params=params, headers=headers, json={"messages": HI})
        assert wrong.status_code == 404, path
        assert wrong.json()["error"]["code"] == "not_found"


def test_openai_document_routes_v1_only(servers: dict[str, tuple[ChatServer, Contract]]) -> None:
    server, _ = servers["openai"]
    body, headers = {"model": "gpt-4o", "messages": HI}, {"authorization": "Bearer sk-test"}
    assert httpx.post(server.url + "/v1/chat/completions", json=body, headers=headers).status_code == 200
    for path in ("/chat/completions", "/v2/chat/completions", "/openai/v1/chat/completions"):
        assert httpx.post(server.url + path, json=body, headers=headers).status_code == 404, path


def test_chat_mock_routes_the_azure_documents_server_without_base_urls() -> None:
    contract = load_contract("observed", AZURE)
    with ChatMock(contract) as mock:
        assert mock.base_urls == ("https://your-resource-name.openai.azure.com/openai",)
        client = openai.AzureOpenAI(
            api_key="k",
            azure_endpoint="https://your-resource-name.openai.azure.com",
            api_version="2024-10-21",
            max_retries=0,
        )
        reply = client.chat.completions.with_raw_response.create(model="team-gpt", messages=HI)
        assert (
            _errors(_published_validator(AZURE, "createChatCompletionResponse"), json.loads(reply.text)) == []
        )
        assert mock.last_call.path == "/openai/deployments/team-gpt/chat/completions"


def test_chat_mock_on_openais_document_answers_the_sdks_default_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with ChatMock(load_contract("observed", OPENAI)) as mock:
        assert mock.base_url == "https://api.openai.com/v1"
        reply = openai.OpenAI(api_key="sk-test", max_retries=0).chat.completions.create(
            model="gpt-4o", messages=HI
        )
        assert reply.choices[0].message.content
        assert mock.last_call.path == "/v1/chat/completions"


def test_a_document_no_issue_named_serves_the_azure_sdk(
    servers: dict[str, tuple[ChatServer, Contract]],
) -> None:
    """Azure's preview API (OAS 3.1), as published: sync, stream and tools, each body checked by the oracle."""
    server, _ = servers["azure-preview"]
    client = openai.AzureOpenAI(
        api_key="k", azure_endpoint=server.url, api_version="2025-04-01-preview", max_retries=0
    )
    answers = _published_validator(AZURE_PREVIEW, "createChatCompletionResponse")
    chunks = _published_validator(AZURE_PREVIEW, "createChatCompletionStreamResponse")
    reply = client.chat.completions.with_raw_response.create(model="my-deployment", messages=HI)
    assert _errors(answers, json.loads(reply.http_response.content)) == []
    assert reply.parse().choices[0].message.content
    with client.chat.completions.with_streaming_response.create(
        model="my-deployment", messages=HI, stream=True
    ) as streamed:
        events = [line[6:] for line in streamed.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and len(events) > 2
    for event in events[:-1]:
        assert _errors(chunks, json.loads(event)) == []
    called = client.chat.completions.with_raw_response.create(
        model="my-deployment", messages=HI, tools=[TOOL], tool_choice="required"
    )
    assert _errors(answers, json.loads(called.http_response.content)) == []
    assert called.parse().choices[0].message.tool_calls[0].function.name == "get_weather"
    assert {call.path for call in server.calls} == {"/openai/deployments/my-deployment/chat/completions"}
