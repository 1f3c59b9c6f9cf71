"""Real clients against the mock: the openai SDK (3.x, on httpx2), plain httpx and curl.

Each client is run against the in-process mock (``chat_mock``) and the served
mock (``chat_server``) through one parametrized fixture, sync and async.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from contract_kit.mock import ChatMock, ChatServer
from contract_kit.mock import scenarios as sc

MODEL = "alibaba/qwen3-vl-32b-thinking"
HELLO = [{"role": "user", "content": "Hi! What do you think about mankind?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture(params=["in-process", "served"])
def mock(request: pytest.FixtureRequest, contract: Any) -> Iterator[ChatMock | ChatServer]:
    """The same mock service, routed in-process or served on loopback."""
    if request.param == "in-process":
        with ChatMock(contract) as in_process:
            yield in_process
    else:
        server: ChatServer = request.getfixturevalue("chat_server")
        server.reset()
        yield server
        server.reset()


def sdk(mock: ChatMock | ChatServer, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test-key", base_url=mock.base_url, **kwargs)


def async_sdk(mock: ChatMock | ChatServer, **kwargs: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-test-key", base_url=mock.base_url, **kwargs)


def test_sdk_non_streaming_response_is_valid_and_plausible(
    mock: ChatMock | ChatServer, contract: Any
) -> None:
    completion = sdk(mock).chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    body = completion.model_dump(exclude_unset=True)
    contract.assert_response(body)
    content = completion.choices[0].message.content or ""
    assert len(content.split()) >= 3 and content != "string"
    assert completion.usage is not None
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_sdk_stream_reassembles_to_the_json_answer_for_the_same_seed(mock: ChatMock | ChatServer) -> None:
    client = sdk(mock)
    request = {"model": MODEL, "messages": HELLO, "seed": 7}
    whole = client.chat.completions.create(**request)  # type: ignore[call-overload]
    stream = client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


def test_async_sdk_streams_and_answers(mock: ChatMock | ChatServer) -> None:
    async def run() -> tuple[str, str]:
        client = async_sdk(mock)
        whole = await client.chat.completions.create(model=MODEL, messages=HELLO, seed=3)  # type: ignore[arg-type]
        stream = await client.chat.completions.create(model=MODEL, messages=HELLO, seed=3, stream=True)  # type: ignore[arg-type]
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return whole.choices[0].message.content or "", "".join(parts)

    whole, streamed = asyncio.run(run())
    assert whole and whole == streamed


def test_sdk_tool_call_arguments_match_the_declared_parameters(mock: ChatMock | ChatServer) -> None:
    import jsonschema

    completion = sdk(mock).chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL],
        tool_choice="required",  # type: ignore[arg-type,list-item]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    jsonschema.validate(json.loads(call.function.arguments), WEATHER_TOOL["function"]["parameters"])  # type: ignore[union-attr,index]


def test_sdk_streamed_tool_call_reassembles(mock: ChatMock | ChatServer) -> None:
    stream = sdk(mock).chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL],
        stream=True,  # type: ignore[arg-type,list-item]
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    arguments, names, finish = "", set(), None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                arguments += call.function.arguments or ""  # type: ignore[union-attr]
                if call.function and call.function.name:
                    names.add(call.function.name)
            finish = choice.finish_reason or finish
    assert names == {"get_weather"} and finish == "tool_calls"
    assert set(json.loads(arguments)) == {"city", "unit"}


def test_sdk_with_raw_response_exposes_status_and_headers(mock: ChatMock | ChatServer) -> None:
    raw = sdk(mock).chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse().object == "chat.completion"


def test_rate_limit_reaches_the_sdk_as_rate_limit_error_with_retry_after(mock: ChatMock | ChatServer) -> None:
    mock.error(429, retry_after=0)
    with pytest.raises(openai.RateLimitError) as caught:
        sdk(mock, max_retries=0).chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert caught.value.response.headers["retry-after"] == "0"
    assert caught.value.code == "rate_limit_exceeded"


def test_sdk_retries_a_503_then_succeeds(mock: ChatMock | ChatServer) -> None:
    mock.queue(sc.error(503), sc.error(500))
    completion = sdk(mock, max_retries=2).chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert completion.choices[0].message.content
    assert [call.status for call in mock.calls] == [503, 500, 200]


def test_a_cut_stream_raises_in_the_sdk(mock: ChatMock | ChatServer) -> None:
    mock.queue(sc.cut_stream(after=2))
    stream = sdk(mock, max_retries=0).chat.completions.create(model=MODEL, messages=HELLO, stream=True)  # type: ignore[arg-type]
    received = 0
    with pytest.raises(openai.APIConnectionError) as caught:
        for _ in stream:
            received += 1
    assert received == 2  # the chunks sent before the cut arrive, then the connection drops
    assert "RemoteProtocolError" in [type(e).__name__ for e in _causes(caught.value)]


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def test_a_malformed_chunk_raises_in_the_sdk(mock: ChatMock | ChatServer) -> None:
    mock.queue(sc.malformed_chunk(at=1))
    stream = sdk(mock, max_retries=0).chat.completions.create(model=MODEL, messages=HELLO, stream=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's SSE decoder
        for _ in stream:
            pass


def test_invalid_request_reaches_the_sdk_as_bad_request_naming_the_parameter(
    mock: ChatMock | ChatServer,
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(mock).chat.completions.create(model=MODEL, messages=HELLO, temperature=5)  # type: ignore[arg-type]
    assert caught.value.param == "temperature"


def test_missing_key_is_401_authentication_error(mock: ChatMock | ChatServer) -> None:
    client = httpx.Client()
    response = client.post(f"{mock.base_url}/chat/completions", json={"model": MODEL, "messages": HELLO})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_time_to_first_token_latency_is_applied(mock: ChatMock | ChatServer) -> None:
    mock.queue(sc.latency(ttft=0.3))
    started = time.perf_counter()
    sdk(mock).chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert time.perf_counter() - started >= 0.3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_plain_httpx_streams_chunk_by_chunk(mock: ChatMock | ChatServer, mode: str, contract: Any) -> None:
    request = {"model": MODEL, "messages": HELLO, "stream": True}
    headers = {"Authorization": "Bearer sk-test-key"}
    url = f"{mock.base_url}/chat/completions"
    if mode == "sync":
        with httpx.Client() as client, client.stream("POST", url, json=request, headers=headers) as response:
            reads = list(response.iter_raw())
    else:

        async def collect() -> list[bytes]:
            async with (
                httpx.AsyncClient() as client,
                client.stream("POST", url, json=request, headers=headers) as response,
            ):
                return [chunk async for chunk in response.aiter_raw()]

        reads = asyncio.run(collect())
    assert len(reads) > 3  # several network reads, not one joined body
    report = contract.assert_stream(reads, request)
    assert report.content and report.done


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed on this machine")
def test_curl_reads_a_stream_from_the_served_mock(chat_server: ChatServer, contract: Any) -> None:
    request = {"model": MODEL, "messages": HELLO, "stream": True, "stream_options": {"include_usage": True}}
    result = subprocess.run(
        [
            "curl",
            "-sN",
            "-H",
            "Authorization: Bearer sk-curl",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(request),
            f"{chat_server.base_url}/chat/completions",
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    report = contract.assert_stream(result.stdout, request)
    assert report.usage is not None and report.done


def test_chat_mock_marker_sets_the_seed_and_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx, pytest
        from contract_kit.mock import scenarios as sc

        @pytest.mark.chat_mock(require_auth=False, scenarios=[sc.reply("fixed answer")])
        def test_fixed(chat_mock):
            r = httpx.post("https://api.aimlapi.com/v1/chat/completions",
                           json={"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": "x"}]})
            assert r.json()["choices"][0]["message"]["content"] == "fixed answer"
            assert chat_mock.last_call.status == 200

        @pytest.mark.chat_mock(sed=3)
        def test_typo(chat_mock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*MarkerError: chat_mock got unknown option(s) 'sed'; valid: profile, seed*"]
    )
