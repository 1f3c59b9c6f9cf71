"""Reply rules matched on the request, and agent tool loops through the real openai SDK (no network)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai
import pytest
import yaml

from contract_kit.contract import Contract
from contract_kit.errors import ConfigError
from contract_kit.mock import MockRequest, MockService
from contract_kit.mock.fixture import ChatMock

MODEL = "alibaba/qwen3-vl-32b-thinking"
BASE = "https://api.aimlapi.com/v1"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def get_weather(city: str) -> str:
    return f"18 C and cloudy in {city}"


def _script_weather(chat_mock: ChatMock) -> None:
    chat_mock.when(last_user="weather", tools=True, times="once", name="ask-tool").tool_call(
        "get_weather", {"city": "Paris"}
    )
    chat_mock.when(tool_result="get_weather", name="answer").reply("Forecast: {tool_result}.")


def _run_agent(client: openai.OpenAI, question: str) -> tuple[str, list[dict[str, Any]]]:
    """A plain agent loop: call tools until the model gives a final answer."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(5):
        reply = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type]
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or "", messages
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = get_weather(**json.loads(call.function.arguments))  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    raise AssertionError("the agent never finished")


async def _run_agent_async(client: openai.AsyncOpenAI, question: str) -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(5):
        reply = await client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type]
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = get_weather(**json.loads(call.function.arguments))  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    raise AssertionError("the agent never finished")


def test_an_agent_loop_runs_against_rules_through_the_sync_sdk(chat_mock: ChatMock) -> None:
    _script_weather(chat_mock)
    answer, messages = _run_agent(openai.OpenAI(api_key="sk-test", base_url=BASE, max_retries=0), "weather?")
    assert answer == "Forecast: 18 C and cloudy in Paris."
    first, second = chat_mock.calls
    assert first.body["messages"][-1]["role"] == "user"
    call_id = first.response_body["choices"][0]["message"]["tool_calls"][0]["id"]
    assert second.body["messages"][-1] == {
        "role": "tool",
        "tool_call_id": call_id,
        "content": messages[-1]["content"],
    }
    chat_mock.assert_all_rules_used()


def test_an_agent_loop_runs_against_rules_through_the_async_sdk(chat_mock: ChatMock) -> None:
    _script_weather(chat_mock)
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=BASE, max_retries=0)
    assert (
        asyncio.run(_run_agent_async(client, "what is the weather like?"))
        == "Forecast: 18 C and cloudy in Paris."
    )
    assert len(chat_mock.calls) == 2


def test_a_tool_message_for_a_wrong_or_missing_call_id_gets_the_apis_400(chat_mock: ChatMock) -> None:
    client = openai.OpenAI(api_key="sk-test", base_url=BASE, max_retries=0)
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    asked = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [call]},
    ]
    with pytest.raises(openai.BadRequestError) as wrong:
        client.chat.completions.create(
            model=MODEL,
            tools=[WEATHER_TOOL],
            messages=[*asked, {"role": "tool", "tool_call_id": "call_2", "content": "x"}],
        )  # type: ignore[arg-type]
    assert "'tool_call_id' of 'call_2' not found in 'tool_calls' of previous message" in wrong.value.message
    assert wrong.value.body["param"] == "messages.[2].tool_call_id"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as orphan:
        client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_1", "content": "x"},
            ],
        )  # type: ignore[arg-type]
    assert "must be a response to a preceeding message with 'tool_calls'" in orphan.value.message
    ok = client.chat.completions.create(
        model=MODEL,
        tools=[WEATHER_TOOL],
        messages=[*asked, {"role": "tool", "tool_call_id": "call_1", "content": "x"}],
    )  # type: ignore[arg-type]
    assert ok.choices


def test_matchers_model_regex_jsonpath_and_once(chat_mock: ChatMock) -> None:
    chat_mock.when(jsonpath="$.messages[?@.role == 'system']", name="sys").reply("system seen")
    chat_mock.when(last_user_regex=r"^\d+$", times="once").reply("a number")
    chat_mock.when(model=MODEL, tools=False).error(429, retry_after=1)

    def ask(*messages: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{BASE}/chat/completions",
            headers={"Authorization": "Bearer k"},
            json={"model": MODEL, "messages": list(messages)},
        )

    def text(response: httpx.Response) -> str:
        return str(response.json()["choices"][0]["message"]["content"])

    assert (
        text(ask({"role": "system", "content": "be brief"}, {"role": "user", "content": "42"}))
        == "system seen"
    )
    assert text(ask({"role": "user", "content": "42"})) == "a number"
    assert ask({"role": "user", "content": "42"}).status_code == 429  # "once" is used up
    assert [rule.used for rule in chat_mock.service.rules.rules] == [1, 1, 1]
    chat_mock.assert_all_rules_used()


def test_strict_rules_name_the_closest_rule_and_unused_rules_fail(chat_mock: ChatMock) -> None:
    chat_mock.when(last_user="weather", tools=True, name="weather-tool", strict=True).tool_call("get_weather")
    chat_mock.when(model="other/model", last_user="x", tools=True, name="far").reply("never")
    client = openai.OpenAI(api_key="sk-test", base_url=BASE, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "weather?"}])
    assert caught.value.code == "no_rule_matched"
    assert "closest is weather-tool: the request declares no tools" in caught.value.message
    with pytest.raises(AssertionError, match="weather-tool; far"):
        chat_mock.assert_all_rules_used()


def test_rules_from_yaml_over_the_control_endpoint(contract: Contract) -> None:
    rules = yaml.safe_load(
        """
        strict: false
        rules:
          - when: {last_user: weather}
            reply: {scenario: tool_call, name: get_weather, arguments: {city: Oslo}}
            times: once
          - when: {last_user: slow}
            reply: [{scenario: reply, text: late}, {scenario: latency, ttft: 0.01}]
        """
    )
    service = MockService(contract, require_auth=False)
    added = service(_post("/_contract/rules", rules))
    assert added.status == 200 and len(json.loads(added.body or b"")["rules"]) == 2
    chat = {
        "model": MODEL,
        "tools": [WEATHER_TOOL],
        "messages": [{"role": "user", "content": "weather in Oslo"}],
    }
    answer = json.loads(service(_post("/v1/chat/completions", chat)).body or b"")
    assert json.loads(answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]) == {
        "city": "Oslo"
    }
    slow = service(_post("/v1/chat/completions", {**chat, "messages": [{"role": "user", "content": "slow"}]}))
    assert slow.first_byte_delay == 0.01
    assert service(_post("/_contract/rules", [{"when": {"colour": "red"}, "reply": "x"}])).status == 400


def test_a_bad_rule_fails_where_it_is_written(chat_mock: ChatMock) -> None:
    with pytest.raises(ConfigError, match="times must be"):
        chat_mock.when(last_user="x", times="twice").reply("no")
    with pytest.raises(ConfigError):
        chat_mock.when(jsonpath="$[").reply("no")


def _post(path: str, body: Any) -> MockRequest:
    headers = {"content-type": "application/json"}
    return MockRequest("POST", "http://127.0.0.1" + path, path, headers, json.dumps(body).encode())
