"""The in-process transports: httpx via respx, httpx2 (and the openai SDK) via
the transport patch or an explicit client. Every scenario is written once and
run for sync and async clients (``mode``)."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
import openai
import pytest
import respx

from contract_kit.mock import MockRequest, MockResponse
from contract_kit.mock.transports import BackgroundServer, make_app, routed
from contract_kit.mock.transports.httpx2_transport import (
    UnmockedRequestError,
    is_patched,
    mock_http_client,
    patch_httpx2,
)
from contract_kit.mock.transports.respx_transport import register_routes, respx_mock

BASE = "https://api.aimlapi.com/v1"
CHAT = f"{BASE}/chat/completions"
MESSAGES = [{"role": "user", "content": "hello"}]


def _sse(content: str | None, finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-toy",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "toy",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


CHUNKS = [_sse("a"), _sse("b"), _sse("c", "stop"), b"data: [DONE]\n\n"]
COMPLETION = {
    "id": "chatcmpl-toy",
    "object": "chat.completion",
    "created": 1,
    "model": "toy",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
}


def _json(status: int, payload: object) -> MockResponse:
    return MockResponse(status, [("content-type", "application/json")], json.dumps(payload).encode())


def toy_handler(request: MockRequest) -> MockResponse:
    """404 off the endpoint, 405 for other methods; the request body chooses
    stream, delays and cut, so one handler covers every scenario."""
    if request.path != "/v1/chat/completions":
        return _json(404, {"error": {"message": "no such path", "type": "invalid_request_error"}})
    if request.method != "POST":
        return _json(405, {"error": {"message": "method not allowed", "type": "invalid_request_error"}})
    body = json.loads(request.body or b"{}")
    delays = {
        "first_byte_delay": body.get("first_byte_delay", 0.0),
        "chunk_delay": body.get("chunk_delay", 0.0),
    }
    if body.get("stream"):
        headers = [("content-type", "text/event-stream")]
        return MockResponse(200, headers, chunks=CHUNKS, cut=body.get("cut", False), **delays)
    return MockResponse(
        200, [("content-type", "application/json")], json.dumps(COMPLETION).encode(), **delays
    )


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


async def maybe(value: Any) -> Any:
    """Lets one scenario drive a sync or an async client."""
    return await value if inspect.isawaitable(value) else value


async def collect(stream: Any) -> list[Any]:
    if hasattr(stream, "__aiter__"):
        return [item async for item in stream]
    return list(stream)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_client(lib: Any, mode: str) -> Any:
    return lib.AsyncClient() if mode == "async" else lib.Client()


@dataclass
class Fetched:
    status: int = 0
    chunks: list[bytes] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    headers_at: float = 0.0


async def fetch(
    client: Any, url: str, *, method: str = "POST", into: Fetched | None = None, **kwargs: Any
) -> Fetched:
    """Stream one request, noting when the headers and each raw read arrive."""
    got = into if into is not None else Fetched()
    start = time.perf_counter()
    if isinstance(client, httpx.AsyncClient | httpx2.AsyncClient):
        async with client, client.stream(method, url, **kwargs) as response:
            got.status, got.headers_at = response.status_code, time.perf_counter() - start
            async for chunk in response.aiter_raw():
                got.chunks.append(chunk)
                got.times.append(time.perf_counter() - start)
    else:
        with client, client.stream(method, url, **kwargs) as response:
            got.status, got.headers_at = response.status_code, time.perf_counter() - start
            for chunk in response.iter_raw():
                got.chunks.append(chunk)
                got.times.append(time.perf_counter() - start)
    return got


# --- httpx through respx ---------------------------------------------------------------


@pytest.fixture
def respx_router() -> Iterator[respx.MockRouter]:
    with respx_mock(toy_handler) as router:
        yield router


def test_respx_answers_json(mode: str, respx_router: respx.MockRouter) -> None:
    got = run(fetch(make_client(httpx, mode), CHAT, json={"model": "toy"}))
    assert got.status == 200
    assert json.loads(b"".join(got.chunks)) == COMPLETION
    assert respx_router["chat_completions"].call_count == 1


def test_respx_streams_chunk_by_chunk(mode: str, respx_router: respx.MockRouter) -> None:
    got = run(fetch(make_client(httpx, mode), CHAT, json={"stream": True}))
    assert got.chunks == CHUNKS


def test_respx_honours_delays(mode: str, respx_router: respx.MockRouter) -> None:
    body = {"stream": True, "first_byte_delay": 0.1, "chunk_delay": 0.05}
    got = run(fetch(make_client(httpx, mode), CHAT, json=body))
    assert got.chunks == CHUNKS
    assert got.times[0] >= 0.1
    gaps = [later - earlier for earlier, later in itertools.pairwise(got.times)]
    assert all(gap >= 0.045 for gap in gaps), gaps


def test_respx_delays_a_plain_body(mode: str, respx_router: respx.MockRouter) -> None:
    got = run(fetch(make_client(httpx, mode), CHAT, json={"first_byte_delay": 0.1}))
    assert json.loads(b"".join(got.chunks)) == COMPLETION
    assert got.times[-1] >= 0.1


@pytest.mark.parametrize("lib", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_async_delays_do_not_block_the_event_loop(lib: Any) -> None:
    """Three 0.2 s answers at once take about 0.2 s, not 0.6 s, when awaited."""

    async def three_at_once() -> float:
        start = time.perf_counter()
        clients = [make_client(lib, "async") for _ in range(3)]
        await asyncio.gather(*(fetch(client, CHAT, json={"first_byte_delay": 0.2}) for client in clients))
        return time.perf_counter() - start

    with routed(toy_handler):
        assert 0.2 <= run(three_at_once()) < 0.5


def test_respx_records_plain_responses(respx_router: respx.MockRouter) -> None:
    httpx.post(CHAT, json={})
    assert respx_router["chat_completions"].calls.last.response.json() == COMPLETION


def test_respx_cut_raises_after_the_chunks(mode: str, respx_router: respx.MockRouter) -> None:
    got = Fetched()
    with pytest.raises(httpx.RemoteProtocolError, match="peer closed connection"):
        run(fetch(make_client(httpx, mode), CHAT, json={"stream": True, "cut": True}, into=got))
    assert got.chunks == CHUNKS


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/models", 404), ("GET", "/v1/chat/completions", 405), ("POST", "/v1", 404)],
)
def test_respx_other_paths_are_answered_by_the_handler(
    respx_router: respx.MockRouter, method: str, path: str, status: int
) -> None:
    response = httpx.request(method, f"https://api.aimlapi.com{path}")
    assert response.status_code == status
    assert not respx_router["chat_completions"].called
    assert respx_router["mock_fallback"].called


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/v1/chat/completions",
        "https://api.aimlapi.com/v1beta/x",
        "http://api.aimlapi.com/v1",
    ],
)
def test_respx_unmatched_requests_raise(respx_router: respx.MockRouter, url: str) -> None:
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.post(url)


def test_respx_extra_base_urls_and_own_router() -> None:
    with respx.mock(assert_all_called=False) as router:
        register_routes(router, toy_handler, [BASE, "http://localhost:8080/v1/"])
        assert httpx.post("http://localhost:8080/v1/chat/completions", json={}).status_code == 200
        assert httpx.post(CHAT, json={}).status_code == 200
        assert router["chat_completions"].call_count == 2


def test_respx_pass_through_reaches_a_loopback_server() -> None:
    with (
        BackgroundServer(make_app(toy_handler)) as server,
        respx_mock(toy_handler, pass_through_unmatched=True) as router,
    ):
        response = httpx.post(f"{server.base_url}/chat/completions", json={})
        assert router["pass_through"].called
        assert not router["chat_completions"].called
    assert response.json() == COMPLETION


# --- the openai SDK through the httpx2 patch and through mock_http_client -----------


def _openai(mode: str, **kwargs: Any) -> Any:
    cls = openai.AsyncOpenAI if mode == "async" else openai.OpenAI
    kwargs.setdefault("base_url", BASE)
    return cls(api_key="sk-test", max_retries=0, **kwargs)


async def _chat_scenario(client: Any) -> None:
    """create(), create(stream=True) and with_raw_response, for either client."""
    completion = await maybe(client.chat.completions.create(model="toy", messages=MESSAGES))
    assert completion.choices[0].message.content == "hi"
    stream = await maybe(client.chat.completions.create(model="toy", messages=MESSAGES, stream=True))
    assert [chunk.choices[0].delta.content for chunk in await collect(stream)] == ["a", "b", "c"]
    raw = await maybe(client.chat.completions.with_raw_response.create(model="toy", messages=MESSAGES))
    assert raw.headers["content-type"] == "application/json"
    assert raw.parse().id == "chatcmpl-toy"
    await maybe(client.close())


def test_openai_hits_the_patch(mode: str) -> None:
    with patch_httpx2(toy_handler) as mock:
        run(_chat_scenario(_openai(mode)))
    assert [call.path for call in mock.calls] == ["/v1/chat/completions"] * 3
    assert mock.calls[0].headers["authorization"] == "Bearer sk-test"
    assert json.loads(mock.calls[0].body)["messages"] == MESSAGES


def test_openai_hits_mock_http_client(mode: str) -> None:
    assert not is_patched()
    http_client = mock_http_client(toy_handler, [BASE], async_=(mode == "async"))
    run(_chat_scenario(_openai(mode, http_client=http_client)))


def test_mock_http_client_refuses_other_hosts() -> None:
    with mock_http_client(toy_handler) as client, pytest.raises(UnmockedRequestError, match=r"example\.com"):
        client.get("https://example.com/v1/chat/completions")


def test_httpx2_patch_streams_delays_and_cuts(mode: str) -> None:
    with patch_httpx2(toy_handler):
        got = run(fetch(make_client(httpx2, mode), CHAT, json={"stream": True, "chunk_delay": 0.05}))
        cut = Fetched()
        with pytest.raises(httpx2.RemoteProtocolError, match="peer closed connection"):
            run(fetch(make_client(httpx2, mode), CHAT, json={"stream": True, "cut": True}, into=cut))
    assert got.chunks == CHUNKS
    assert got.times[-1] - got.times[0] >= 3 * 0.045
    assert cut.chunks == CHUNKS


def test_httpx2_patch_lets_other_hosts_through(mode: str) -> None:
    def server_handler(request: MockRequest) -> MockResponse:
        response = toy_handler(request)
        response.headers.append(("x-served-by", "server"))
        return response

    with BackgroundServer(make_app(server_handler)) as server, patch_httpx2(toy_handler) as mock:

        async def scenario() -> Any:
            client = _openai(mode, base_url=server.base_url)
            raw = await maybe(
                client.chat.completions.with_raw_response.create(model="toy", messages=MESSAGES)
            )
            await maybe(client.close())
            return raw

        raw = run(scenario())
    assert raw.headers["x-served-by"] == "server"
    assert mock.calls == []


def test_httpx2_patch_nests_and_restores() -> None:
    originals = (httpx2.HTTPTransport.handle_request, httpx2.AsyncHTTPTransport.handle_async_request)

    def teapot(request: MockRequest) -> MockResponse:
        return MockResponse(418)

    with patch_httpx2(toy_handler) as outer:
        with patch_httpx2(teapot, "https://api.aimlapi.com/v1/chat") as inner:
            assert httpx2.post(CHAT, json={}).status_code == 418
            assert httpx2.get(f"{BASE}/models").status_code == 404
        assert httpx2.post(CHAT, json={}).status_code == 200
        assert is_patched()
    assert (len(outer.calls), len(inner.calls)) == (2, 1)
    assert (httpx2.HTTPTransport.handle_request, httpx2.AsyncHTTPTransport.handle_async_request) == originals
    assert not is_patched()

    with pytest.raises(RuntimeError, match="boom"), patch_httpx2(toy_handler):
        raise RuntimeError("boom")
    assert httpx2.HTTPTransport.handle_request is originals[0]


def test_handler_errors_propagate_in_process() -> None:
    def broken(request: MockRequest) -> MockResponse:
        raise KeyError("model")

    with patch_httpx2(broken), pytest.raises(KeyError):
        _openai("sync").chat.completions.create(model="toy", messages=MESSAGES)


# --- routed(): both libraries at once -----------------------------------------------


def test_routed_covers_httpx_and_httpx2() -> None:
    with routed(toy_handler) as mock:
        assert mock.router is not None and mock.httpx2 is not None
        assert httpx.post(CHAT, json={}).status_code == 200
        _openai("sync").chat.completions.create(model="toy", messages=MESSAGES)
        assert mock.router["chat_completions"].call_count == 1
    assert [request.headers.get("user-agent", "")[:6] for request in mock.requests] == ["python", "OpenAI"]
    assert not is_patched()


def test_routed_can_leave_httpx_alone() -> None:
    with routed(toy_handler, httpx=False) as mock:
        assert mock.router is None
        _openai("sync").chat.completions.create(model="toy", messages=MESSAGES)
    assert len(mock.requests) == 1
