"""The ASGI app under a real uvicorn server on loopback, driven by real clients."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract_kit.errors import ServerStartError
from contract_kit.mock import MockRequest, MockResponse
from contract_kit.mock.transports import BackgroundServer, make_app

LIMIT = 1024
CHUNKS = [b'data: {"n": 1}\n\n', b'data: {"n": 2}\n\n', b'data: {"n": 3}\n\n', b"data: [DONE]\n\n"]


def toy_handler(request: MockRequest) -> MockResponse:
    """404 off the endpoint; the JSON body picks stream, delays, cut or a crash."""
    if request.path != "/v1/chat/completions":
        return MockResponse(404, [("content-type", "application/json")], b'{"error": {"message": "no"}}')
    body = json.loads(request.body or b"{}")
    if body.get("boom"):
        raise RuntimeError("handler bug")
    if not body.get("stream"):
        echo = {"bytes": len(request.body), "url": request.url, "ua": request.headers.get("user-agent")}
        return MockResponse(200, [("content-type", "application/json")], json.dumps(echo).encode())
    return MockResponse(
        200,
        [("content-type", "text/event-stream")],
        chunks=CHUNKS,
        first_byte_delay=body.get("first_byte_delay", 0.0),
        chunk_delay=body.get("chunk_delay", 0.0),
        cut=body.get("cut", False),
    )


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(make_app(toy_handler, max_body_bytes=LIMIT)) as running:
        yield running


@pytest.fixture
def chat_url(server: BackgroundServer) -> str:
    return f"{server.base_url}/chat/completions"


def test_base_url_points_at_the_running_server(server: BackgroundServer, chat_url: str) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    answer = httpx.post(chat_url, json={}).json()
    assert answer["url"] == chat_url
    assert httpx.get(f"{server.url}/elsewhere").status_code == 404


def test_streams_chunk_by_chunk_with_delays(chat_url: str) -> None:
    start = time.perf_counter()
    arrivals: list[tuple[bytes, float]] = []
    body = {"stream": True, "first_byte_delay": 0.1, "chunk_delay": 0.08}
    with httpx.Client() as client, client.stream("POST", chat_url, json=body) as response:
        headers_at = time.perf_counter() - start
        arrivals.extend((chunk, time.perf_counter() - start) for chunk in response.iter_raw())
    assert [chunk for chunk, _ in arrivals] == CHUNKS
    times = [at for _, at in arrivals]
    assert times[0] - headers_at >= 0.09, "the first byte delay comes after the headers"
    assert all(later - earlier >= 0.07 for earlier, later in itertools.pairwise(times)), times


def test_async_client_streams_too(chat_url: str) -> None:
    async def read() -> list[bytes]:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", chat_url, json={"stream": True}) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    assert asyncio.run(read()) == CHUNKS


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked-upload"])
def test_body_over_the_limit_gets_413(chat_url: str, chunked: bool) -> None:
    payload = b"x" * (4 * LIMIT)
    content: Any = iter([payload[i : i + 512] for i in range(0, len(payload), 512)]) if chunked else payload
    response = httpx.post(chat_url, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert error["type"] == "invalid_request_error"
    assert error["param"] is None
    assert str(LIMIT) in error["message"]


def test_body_at_the_limit_reaches_the_handler(chat_url: str) -> None:
    frame = b'{"pad": ""}'
    body = frame[:-2] + b"x" * (LIMIT - len(frame)) + frame[-2:]
    response = httpx.post(chat_url, content=body)
    assert response.status_code == 200
    assert response.json()["bytes"] == len(body) == LIMIT


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_cut_drops_the_connection_quietly(chat_url: str) -> None:
    received: list[bytes] = []
    server_log = _Records()
    logging.getLogger("uvicorn.error").addHandler(server_log)
    try:
        with (
            pytest.raises(httpx.RemoteProtocolError, match="peer closed connection"),
            httpx.Client() as client,
            client.stream("POST", chat_url, json={"stream": True, "cut": True}) as response,
        ):
            received.extend(response.iter_raw())
    finally:
        logging.getLogger("uvicorn.error").removeHandler(server_log)
    assert received == CHUNKS
    assert [record.getMessage() for record in server_log.records if record.levelno >= logging.ERROR] == []
    assert httpx.post(chat_url, json={}).status_code == 200


def test_handler_exception_is_a_500_and_the_server_keeps_serving(chat_url: str) -> None:
    response = httpx.post(chat_url, json={"boom": True})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error"
    assert "RuntimeError: handler bug" in error["message"]
    assert httpx.post(chat_url, json={}).status_code == 200


def test_curl_reads_the_stream(chat_url: str) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed on this machine")
    command = [
        curl,
        "-sN",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "--data",
        '{"stream": true}',
        chat_url,
    ]
    result = subprocess.run(command, capture_output=True, timeout=10, check=True)
    assert result.stdout == b"".join(CHUNKS)


def test_lifespan_is_answered() -> None:
    app = make_app(toy_handler)
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [message["type"] for message in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_stop_releases_the_port_and_a_taken_port_is_reported(server: BackgroundServer) -> None:
    with pytest.raises(ServerStartError, match=f"cannot bind 127.0.0.1:{server.port}"):
        BackgroundServer(make_app(toy_handler), port=server.port).start()

    with BackgroundServer(make_app(toy_handler)) as short_lived:
        url = short_lived.url
        assert httpx.get(f"{url}/v1/x").status_code == 404
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/x")
