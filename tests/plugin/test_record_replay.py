"""Record through the routed transports against a live stand-in, then replay offline, byte for byte.

The user's client code is the same in both phases: httpx (sync and async,
through respx) and the openai SDK (through the httpx2 patch). Replay runs
with sockets disabled, so a single byte from the network would fail it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from standin import API, KEY, StandIn, chat_body, record, recorder, serve

from contract_kit.cassettes import (
    Cassette,
    Interaction,
    Read,
    RecordedRequest,
    RecordedResponse,
    ReplayHandler,
    dump_cassette,
    parse_cassette,
    replay_handler_for_dir,
)
from contract_kit.drift import DriftChecker
from contract_kit.mock import complete, render_chunks
from contract_kit.mock.transports import routed
from contract_kit.redact import Redactor, Secret
from contract_kit.validation import encode_json_chunks


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[StandIn, str]]:
    with serve() as pair:
        yield pair


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("networking is disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _httpx_sync(body: dict[str, Any]) -> tuple[int, list[bytes]]:
    with (
        httpx.Client(base_url=API, headers={"authorization": "Bearer sk-dummy"}) as client,
        client.stream("POST", "/chat/completions", json=body) as response,
    ):
        return response.status_code, list(response.iter_raw())


def _httpx_async(body: dict[str, Any]) -> tuple[int, list[bytes]]:
    async def run() -> tuple[int, list[bytes]]:
        async with (
            httpx.AsyncClient(base_url=API, headers={"authorization": "Bearer sk-dummy"}) as client,
            client.stream("POST", "/chat/completions", json=body) as response,
        ):
            return response.status_code, [chunk async for chunk in response.aiter_raw()]

    return asyncio.run(run())


def _openai(body: dict[str, Any]) -> tuple[int, list[bytes]]:
    client = openai.OpenAI(api_key="sk-dummy", base_url=API, max_retries=0)
    with client.chat.completions.with_streaming_response.create(**body) as response:
        return response.status_code, list(response.iter_bytes())


CLIENTS = {"httpx": _httpx_sync, "httpx-async": _httpx_async, "openai": _openai}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("client", list(CLIENTS))
def test_replay_offline_reproduces_the_recorded_bytes_and_chunk_boundaries(
    live: tuple[StandIn, str], client: str, stream: bool, request: pytest.FixtureRequest
) -> None:
    _, base = live
    body = chat_body(f"replay {client} {stream}", stream=stream)
    handler = recorder(base)
    with routed(handler, [API]):
        status, recorded = CLIENTS[client](body)
    text = dump_cassette(Cassette("t", handler.interactions), Redactor(secrets=(Secret(KEY),)))
    assert KEY not in text and status == 200
    if stream:  # the live reads are the server's writes, one by one
        assert recorded == encode_json_chunks(render_chunks(complete(body), body))
    request.getfixturevalue("no_network")
    with routed(ReplayHandler(parse_cassette(text)), [API]):
        replayed_status, replayed = CLIENTS[client](body)
    assert (replayed_status, replayed) == (status, recorded)


def test_the_no_network_fixture_really_blocks(no_network: None) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:9/")


def test_replay_can_follow_the_recorded_timing() -> None:
    reads = [
        Read(0.2, b'data: {"n": 1}\n\n'),
        Read(0.3, b'data: {"n": 2}\n\n'),
        Read(0.4, b"data: [DONE]\n\n"),
    ]
    response = RecordedResponse(200, {"content-type": "text/event-stream"}, reads=reads)
    cassette = Cassette(
        "t", [Interaction(RecordedRequest("POST", "/v1/chat/completions", {}, {"m": 1}), response)]
    )
    for timing, low, high in ((0.0, 0.0, 0.15), (1.0, 0.38, 1.0)):
        with routed(ReplayHandler(cassette, timing=timing), [API]):
            start = time.perf_counter()
            status, chunks = _httpx_sync({"m": 1})
            elapsed = time.perf_counter() - start
        assert (status, chunks) == (200, [read.data for read in reads])
        assert low <= elapsed < high, (timing, elapsed)


def test_a_wrong_key_records_the_401_and_its_error_shape(live: tuple[StandIn, str]) -> None:
    _, base = live
    interaction = record(base, chat_body("who am i"), key="sk-wrong-key-000000000000")
    assert interaction.response.status == 401
    assert interaction.response.body["error"]["message"] == "Incorrect API key provided: sk-***0000."
    findings = DriftChecker.for_spec().check(interaction)
    assert [(f.kind, f.severity, f.known) for f in findings] == [("undocumented-status", "additive", True)]


def test_the_served_mock_replays_a_cassette_folder(live: tuple[StandIn, str], tmp_path: Any) -> None:
    from contract_kit.cassettes import write_cassette
    from contract_kit.contract import load_contract
    from contract_kit.mock.transports import BackgroundServer, make_app

    _, base = live
    body = chat_body("served", stream=True)
    interaction = record(base, body)
    write_cassette(tmp_path / "a.yaml", Cassette("a", [interaction]))
    handler = replay_handler_for_dir(tmp_path, load_contract())
    with BackgroundServer(make_app(handler)) as server, httpx.Client(base_url=server.base_url) as client:
        for _ in range(2):  # repeats are allowed on the server
            with client.stream("POST", "/chat/completions", json=body) as response:
                assert list(response.iter_raw()) == interaction.response.chunks()
        miss = client.post("/chat/completions", json={**body, "max_tokens": 31})
    assert miss.status_code == 404
    assert miss.json()["error"]["code"] == "no_recorded_interaction"
    assert '"max_tokens": 31' in miss.json()["error"]["message"]


def test_recorded_headers_are_redacted_and_the_live_call_got_the_real_key(live: tuple[StandIn, str]) -> None:
    standin, base = live
    interaction = record(base, chat_body("headers"))
    assert interaction.response.status == 200  # the stand-in accepted the injected key, not sk-dummy
    assert standin.calls["headers"] == 1
    assert interaction.request.headers["authorization"] == "<redacted>"
    assert json.dumps(interaction.request.body).find(KEY) < 0


def test_replay_timing_follows_each_recorded_gap_not_their_mean() -> None:
    reads = [
        Read(0.05, b'data: {"n": 1}\n\n'),
        Read(0.40, b'data: {"n": 2}\n\n'),
        Read(0.45, b"data: [DONE]\n\n"),
    ]
    response = RecordedResponse(200, {"content-type": "text/event-stream"}, reads=reads)
    cassette = Cassette(
        "t", [Interaction(RecordedRequest("POST", "/v1/chat/completions", {}, {"m": 1}), response)]
    )
    with routed(ReplayHandler(cassette, timing=1.0), [API]), httpx.Client() as client:
        start = time.perf_counter()
        with client.stream("POST", f"{API}/chat/completions", json={"m": 1}) as streamed:
            arrivals = [(time.perf_counter() - start, chunk) for chunk in streamed.iter_raw()]
    assert [chunk for _, chunk in arrivals] == [read.data for read in reads]
    first, second, third = (at for at, _ in arrivals)
    assert 0.05 <= first < 0.25
    assert second - first >= 0.33  # the recorded 0.35 s pause, not the 0.2 s mean gap
    assert third - second < 0.25
