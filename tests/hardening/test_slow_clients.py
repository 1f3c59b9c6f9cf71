"""Issue 15, Build-9 and Build-4: slow and abandoning clients cannot starve the served mock or grow it.

``contract-kit serve`` runs as a child process where the numbers matter (the
1,000 slow clients, RSS, a shutdown without tracebacks); the timers are
checked on an in-process ``BackgroundServer`` with short timeouts so the
tests stay fast. Clients are raw sockets: the point is what a misbehaving
client does on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_server_limits import AUTH, CHAT, JSON_CT, MODEL, Connection, encode_request, serve_process

from contract_kit.mock import MockService
from contract_kit.mock.transports import BackgroundServer, make_app
from contract_kit.mock.transports import server as server_module

BODY = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 16}
NORMAL = encode_request("POST", CHAT, [JSON_CT, AUTH], json.dumps(BODY).encode())
ONCE = encode_request("POST", CHAT, [JSON_CT, AUTH, ("connection", "close")], json.dumps(BODY).encode())
"""A request after which the server closes the connection, so reading to the end is quick."""
PARTIAL_HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "


@pytest.fixture
def many_fds() -> Iterator[None]:
    """This process holds the slow clients' sockets: lift its own descriptor limit for the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2200:
        pytest.skip(f"the hard descriptor limit ({hard}) is below what 1,000 client sockets need")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _slow_clients(port: int, count: int) -> list[asyncio.StreamWriter]:
    async def one() -> asyncio.StreamWriter:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(PARTIAL_HEAD)
        await writer.drain()
        return writer

    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 100):  # in batches, as a real flood arrives, not 1,000 SYNs in one tick
        writers += await asyncio.gather(*(one() for _ in range(start, min(count, start + 100))))
    return writers


async def _normal_while_slow(port: int, slow: int, normal: int) -> list[int]:
    writers = await _slow_clients(port, slow)
    try:
        statuses = []
        for _ in range(normal):
            connection = Connection(port)
            statuses.append((await connection.exchange(NORMAL)).status)
            await connection.close()
        for writer in writers[:50]:  # still held open by the server, not dropped to make room
            assert not writer.is_closing()
        return statuses
    finally:
        for writer in writers:
            writer.close()


def test_normal_clients_are_served_while_1000_slow_clients_hold_connections(many_fds: None) -> None:
    """The server starts with the common default of 1,024 descriptors, too few for 1,000 slow
    clients and 30 normal ones; it raises its own soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # inherited by the server process
    try:
        serving = serve_process()
        served = serving.__enter__()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with contextlib.ExitStack() as stack:
        stack.push(serving)
        limits = Path(f"/proc/{served.process.pid}/limits").read_text()
        assert f"Max open files            {hard}" in limits, limits
        statuses = asyncio.run(_normal_while_slow(served.port, 1000, 30))
        assert statuses == [200] * 30
        served.assert_alive()


@pytest.mark.parametrize(
    "count", [pytest.param(25, id="25"), pytest.param(100, id="100", marks=pytest.mark.slow)]
)
def test_rejected_8mb_requests_do_not_grow_the_server(count: int) -> None:
    """The issue's figure is 100 requests (``pytest -m slow``, about 25 s); 25 run by default."""
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "x" * (8 << 20)}]}).encode()
    raw = encode_request("POST", CHAT, [JSON_CT], body)  # no Authorization: 401

    async def send_all(port: int, times: int) -> list[int]:
        connection = Connection(port)
        try:
            return [(await connection.exchange(raw)).status for _ in range(times)]
        finally:
            await connection.close()

    with serve_process() as served:
        asyncio.run(send_all(served.port, 3))  # warm up: the first big bodies size the allocator's arenas
        before = served.status_kb("VmRSS")
        assert asyncio.run(send_all(served.port, count)) == [401] * count
        grown = served.status_kb("VmRSS") - before
        print(f"RSS grew by {grown} kB over {count} rejected 8 MB requests")
        assert grown < 50 * 1024, f"RSS grew by {grown // 1024} MB"


def test_abandoned_delayed_answers_are_dropped_and_shutdown_prints_no_traceback() -> None:
    """serve_process fails the test if the server's stderr holds a traceback when it stops."""
    scenario = json.dumps({"scenario": "latency", "ttft": 50})
    raw = encode_request(
        "POST", CHAT, [JSON_CT, AUTH, ("x-contract-scenario", scenario)], json.dumps(BODY).encode()
    )

    async def abandon(port: int, count: int, keep: int) -> list[socket.socket]:
        kept = []
        for index in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(raw)
            sock.recv(1)  # the status line is sent at once; the body waits for ttft
            if index < keep:
                kept.append(sock)  # still waiting when the server stops
            else:
                sock.close()
        return kept

    with serve_process() as served:
        kept = asyncio.run(abandon(served.port, 100, 10))
        time.sleep(0.3)
        served.assert_alive()
    for sock in kept:
        sock.close()


# --- the timers, on an in-process server with short timeouts ----------------------------------------


@contextlib.contextmanager
def _server(**app_options: float) -> Iterator[BackgroundServer]:
    with BackgroundServer(make_app(MockService("observed"), **app_options)) as server:  # type: ignore[arg-type]
        yield server


def _read_all(sock: socket.socket, within: float) -> bytes:
    sock.settimeout(within)
    parts = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            parts.append(chunk)
    return b"".join(parts)


def test_a_head_sent_too_slowly_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module.HeadTimeoutProtocol, "header_timeout", 0.5)
    with _server() as server:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(PARTIAL_HEAD)
            assert _read_all(sock, 5.0) == b""  # closed without an answer
        assert 0.4 < time.monotonic() - started < 3.0
        with socket.create_connection(("127.0.0.1", server.port)) as sock:  # a prompt client is unaffected
            sock.sendall(ONCE)
            assert _read_all(sock, 5.0).startswith(b"HTTP/1.1 200")


def test_a_body_sent_too_slowly_gets_408() -> None:
    with _server(body_timeout=0.5) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(NORMAL[: NORMAL.index(b"\r\n\r\n") + 4 + 10])  # the head and 10 bytes of the body
        started = time.monotonic()
        answer = _read_all(sock, 5.0)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request_timeout" in answer and time.monotonic() - started < 3.0


def test_past_the_concurrency_limit_new_requests_get_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "MAX_CONCURRENCY", 20)
    with _server() as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(24)]
        try:
            time.sleep(0.2)
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(ONCE)
                assert _read_all(sock, 5.0).startswith(b"HTTP/1.1 503")
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(ONCE)
            assert _read_all(sock, 5.0).startswith(b"HTTP/1.1 200")


def test_the_soft_descriptor_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip("no finite hard limit above 256 to raise to")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        assert server_module.raise_fd_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
        assert server_module.concurrency_limit() == min(server_module.MAX_CONCURRENCY, hard - 64)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_http_1_0_gets_a_content_length_body(stream: bool) -> None:
    body = json.dumps({**BODY, "stream": stream}).encode()
    raw = encode_request("POST", CHAT, [JSON_CT, AUTH], body).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    with _server() as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(raw)
        answer = _read_all(sock, 5.0)
    head, _, payload = answer.partition(b"\r\n\r\n")
    headers = {
        line.split(b":")[0].strip().lower(): line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")[1:]
    }
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0]
    assert b"transfer-encoding" not in headers and int(headers[b"content-length"]) == len(payload)
    if stream:
        assert payload.endswith(b"data: [DONE]\n\n") and payload.count(b"data: ") > 2
    else:
        assert json.loads(payload)["object"] == "chat.completion"


def test_a_delayed_answer_stops_sleeping_when_its_client_leaves() -> None:
    scenario = json.dumps({"scenario": "latency", "ttft": 30})
    raw = encode_request(
        "POST", CHAT, [JSON_CT, AUTH, ("x-contract-scenario", scenario)], json.dumps(BODY).encode()
    )
    with _server() as server:
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(raw)
                sock.recv(1)
        uvicorn_server = server._server
        assert uvicorn_server is not None
        deadline = time.monotonic() + 3.0
        while uvicorn_server.server_state.tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not uvicorn_server.server_state.tasks, (
            f"{len(uvicorn_server.server_state.tasks)} answers still sleeping"
        )
