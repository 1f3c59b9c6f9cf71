"""Replay is hermetic: no request leaves the process, whichever client the test uses.

Each run is a subprocess whose conftest records every socket connection and
name lookup; a request to a host no cassette answers must fail its test with
the method, host, path and the command that records it, and open no socket.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from standin import KEY, chat_body, serve

SOCKET_SPY = """
import json, os, socket

SEEN = []
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
_create, _lookup = socket.create_connection, socket.getaddrinfo

def connect(self, address):
    SEEN.append(["connect", repr(address)])
    return _connect(self, address)

def connect_ex(self, address):
    SEEN.append(["connect_ex", repr(address)])
    return _connect_ex(self, address)

def create_connection(address, *args, **kwargs):
    SEEN.append(["create_connection", repr(address)])
    return _create(address, *args, **kwargs)

def getaddrinfo(host, *args, **kwargs):
    SEEN.append(["getaddrinfo", repr(host)])
    return _lookup(host, *args, **kwargs)

socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo

def pytest_sessionfinish(session):
    with open(os.environ["SOCKETS_OUT"], "w") as out:
        json.dump(SEEN, out)
"""

GATEWAY_TESTS = """
import asyncio
import httpx, openai

GATEWAY = "https://gateway.example.net/v1"
BODY = {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": "Hi"}]}

def test_openai_sync(chat_cassette):
    openai.OpenAI(api_key="sk-dummy", base_url=GATEWAY, max_retries=0).chat.completions.create(**BODY)

def test_openai_async(chat_cassette):
    async def call():
        client = openai.AsyncOpenAI(api_key="sk-dummy", base_url=GATEWAY, max_retries=0)
        await client.chat.completions.create(**BODY)
    asyncio.run(call())

def test_httpx_sync(chat_cassette):
    httpx.post(GATEWAY + "/chat/completions", json=BODY)

def test_httpx_async(chat_cassette):
    async def call():
        async with httpx.AsyncClient() as client:
            await client.post(GATEWAY + "/chat/completions", json=BODY)
    asyncio.run(call())

def test_a_swallowed_error_still_fails_the_test(chat_cassette):
    try:
        openai.OpenAI(api_key="sk-dummy", base_url="http://other.example.org:8080/api/v1", max_retries=1
                      ).chat.completions.create(**BODY)
    except openai.APIConnectionError:
        pass
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Any]]:
    out = pytester.path / "sockets.json"
    monkeypatch.setenv("SOCKETS_OUT", str(out))
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    for variable in ("CI", "BUILD_NUMBER"):  # under CI pytest prints each failure's message twice
        monkeypatch.delenv(variable, raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return result, json.loads(out.read_text())


def network(seen: list[Any]) -> list[Any]:
    """The connections and look-ups that could reach another machine (not a local socket pair)."""
    return [call for call in seen if "AF_UNIX" not in call[1] and not call[1].startswith("'/")]


def test_replay_refuses_every_client_pointed_at_an_unrecorded_host_and_opens_no_socket(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(SOCKET_SPY)
    pytester.makepyfile(test_gateway=GATEWAY_TESTS)
    result, seen = run(pytester, monkeypatch)
    result.assert_outcomes(failed=5)
    text = result.stdout.str()
    for name in ("openai_sync", "openai_async", "httpx_sync", "httpx_async"):
        result.stdout.fnmatch_lines([f"FAILED test_gateway.py::test_{name} - BlockedRequestError: replay*"])
    assert (
        text.count("BlockedRequestError: replay is offline: POST gateway.example.net/v1/chat/completions")
        == 4
    )
    assert "pytest --contract-mode=record --contract-base-url https://gateway.example.net/v1 " in text
    assert "'test_gateway.py::test_openai_sync'" in text
    assert "POST other.example.org/api/v1/chat/completions" in text
    assert "--contract-allow-host other.example.org" in text
    assert network(seen) == [], seen


def test_allowed_hosts_reach_the_network_by_option_ini_and_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(SOCKET_SPY)
    with serve() as (_, base_url):
        pytester.makepyfile(
            test_local=f"""
            import httpx, openai, pytest

            def call_openai():
                client = openai.OpenAI(api_key={KEY!r}, base_url={base_url!r}, max_retries=0)
                return client.chat.completions.create(**{chat_body("hi")!r})

            def test_openai_through_an_allowed_host(chat_cassette):
                assert call_openai().id

            def test_httpx_through_an_allowed_host(chat_cassette):
                reply = httpx.post({base_url + "/chat/completions"!r}, json={chat_body("hi")!r},
                                   headers={{"Authorization": "Bearer {KEY}"}})
                assert reply.status_code == 200
            """
        )
        by_option, seen = run(pytester, monkeypatch, "--contract-allow-host", "127.0.0.1")
        by_option.assert_outcomes(passed=2)
        assert any("127.0.0.1" in call[1] for call in network(seen))
        refused, _ = run(pytester, monkeypatch)
        refused.assert_outcomes(failed=2)
        refused.stdout.fnmatch_lines(["*--contract-allow-host 127.0.0.1*"])
        pytester.makeini("[pytest]\ncontract_allow_hosts =\n    localhost\n    127.0.0.1\n")
        run(pytester, monkeypatch)[0].assert_outcomes(passed=2)
        pytester.makeini("[pytest]\n")
        pytester.makepyfile(
            test_local=f"""
            import httpx, pytest

            @pytest.mark.contract_cassette(allow_hosts=["127.0.0.1"])
            def test_marker_allows(chat_cassette):
                assert httpx.get({base_url + "/models"!r}).status_code != 0
            """
        )
        run(pytester, monkeypatch)[0].assert_outcomes(passed=1)
