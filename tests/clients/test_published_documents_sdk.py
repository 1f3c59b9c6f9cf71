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
from published import AZURE, OPENAI, _errors, _published_validator

from contract_kit.contract import Contract, load_contract
from contract_kit.mock import MockService
from contract_kit.mock.transports import BackgroundServer, make_app

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, tuple[BackgroundServer, Contract]]]:
    started = {}
    for name, spec in (("openai", OPENAI), ("azure", AZURE)):
        contract = load_contract("observed", spec)
        server = BackgroundServer(make_app(MockService(contract)), base_path="").start()
        started[name] = (server, contract)
    yield started
    for server, _ in started.values():
        server.stop()


def test_openai_sdk_sync_stream_and_tools(servers: dict[str, tuple[BackgroundServer, Contract]]) -> None:
    server, _ = servers["openai"]
    client = openai.OpenAI(api_key="sk-test", base_url=server.url + "/v1", max_retries=0)
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
    servers: dict[str, tuple[BackgroundServer, Contract]],
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


def test_azure_rules_from_the_document(servers: dict[str, tuple[BackgroundServer, Contract]]) -> None:
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
