"""Issue 15, Build-4 and Build-5: the control plane is isolated per client, JSON-only, host-checked, and
its state (scenario queues, calls log) is bounded.

Driven over real HTTP with httpx against ``chat_server`` and a
``BackgroundServer``, and with ``MockService`` directly where the point is the
service's own bookkeeping.
"""

from __future__ import annotations

import json
import textwrap
import time
from typing import Any

import httpx
import pytest

from contract_kit.mock import ChatServer, MockRequest, MockService
from contract_kit.mock.limits import MAX_LATENCY_SECONDS, MAX_QUEUED_PLANS, REJECTED_BODY_EXCERPT
from contract_kit.mock.transports import BackgroundServer, make_app

MODEL = "alibaba/qwen3-vl-32b-thinking"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 16}
AUTH = {"authorization": "Bearer sk-control-test"}


def _chat(client: httpx.Client, session: str | None = None, **extra: Any) -> httpx.Response:
    """A chat request, in ``session`` when given."""
    headers = {**AUTH, **({"x-contract-session": session} if session else {})}
    return client.post("/v1/chat/completions", json={**BODY, **extra}, headers=headers)


def _content(reply: httpx.Response) -> str:
    return str(reply.json()["choices"][0]["message"]["content"])


# --- sessions ----------------------------------------------------------------------------------


def test_two_sessions_never_see_each_others_scenarios(chat_server: ChatServer) -> None:
    with httpx.Client(base_url=chat_server.url) as client:
        for session in ("alice", "bob"):
            plans = [{"scenario": "reply", "text": f"{session} {n}"} for n in range(3)]
            posted = client.post("/_contract/scenarios", json=plans, headers={"x-contract-session": session})
            assert posted.status_code == 200 and len(posted.json()["queue"]) == 3
        client.post("/_contract/scenarios", json={"scenario": "reply", "text": "global"})
        # interleaved, as two parallel test workers would send them
        seen = {name: [_content(_chat(client, name)) for _ in range(3)] for name in ("bob", "alice")}
        assert seen == {"alice": ["alice 0", "alice 1", "alice 2"], "bob": ["bob 0", "bob 1", "bob 2"]}
        assert _content(_chat(client, "carol")) not in (
            "global",
            "alice 0",
        )  # a fresh session: normal answers
        assert _content(_chat(client)) == "global"  # no session: the global queue
        alice_calls = client.get("/_contract/calls", headers={"x-contract-session": "alice"}).json()["calls"]
        assert [call["session"] for call in alice_calls] == ["alice"] * 3
        assert len(client.get("/_contract/calls").json()["calls"]) == 8
        client.delete("/_contract/calls", headers={"x-contract-session": "alice"})
        assert len(client.get("/_contract/calls").json()["calls"]) == 5


def test_a_session_scenario_header_and_default_stay_in_the_session(chat_server: ChatServer) -> None:
    with httpx.Client(base_url=chat_server.url) as client:
        client.post(
            "/_contract/scenarios",
            json={"default": {"scenario": "error", "status": 503}},
            headers={"x-contract-session": "s1"},
        )
        assert _chat(client, "s1").status_code == 503
        assert _chat(client, "s2").status_code == 200
        assert _chat(client).status_code == 200
        client.delete("/_contract/scenarios", headers={"x-contract-session": "s1"})
        assert _chat(client, "s1").status_code == 200


@pytest.mark.parametrize("name", ["", "a b", "x" * 200, "a/b", "é".encode().decode("latin-1")])
def test_a_malformed_session_name_is_a_400(chat_server: ChatServer, name: str) -> None:
    with httpx.Client(base_url=chat_server.url) as client:
        headers = {"x-contract-session": name.encode("latin-1")}
        assert client.post("/_contract/scenarios", json=[], headers=headers).status_code == 400
        assert client.post("/v1/chat/completions", json=BODY, headers={**AUTH, **headers}).status_code == 400


# --- JSON only, Host checked, malformed bodies -------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_control_bodies_that_are_not_json_get_415(chat_server: ChatServer, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    body = b'[{"scenario": "error", "status": 500}]'
    with httpx.Client(base_url=chat_server.url) as client:
        reply = client.post("/_contract/scenarios", content=body, headers=headers)
        assert reply.status_code == 415, reply.text
        assert reply.json()["error"]["message"].startswith("The control plane takes JSON only")
        assert client.get("/_contract/scenarios").json()["queue"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"queue": 5},
        {"queue": "x"},
        {"default": 5},
        {"queue": [5]},
        {"queue": [{"scenario": "latency", "ttft": MAX_LATENCY_SECONDS + 1}]},
        {"nope": []},
        5,
        "text",
        None,
        [None],
        [[{"scenario": "reply", "text": "a"}, {"scenario": "reply", "text": "b"}]],
        [{"scenario": "error", "status": True}],
        [{"scenario": "latency", "ttft": 1e308}],
    ],
)
def test_every_malformed_control_body_is_a_400(chat_server: ChatServer, body: Any) -> None:
    with httpx.Client(base_url=chat_server.url) as client:
        reply = client.post(
            "/_contract/scenarios", content=json.dumps(body), headers={"content-type": "application/json"}
        )
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["message"]
        assert client.get("/_contract/scenarios").json() == {"queue": [], "default": []}


def test_control_requests_from_a_foreign_host_are_refused() -> None:
    service = MockService("observed")
    with BackgroundServer(make_app(service)) as server, httpx.Client(base_url=server.url) as client:
        for host in ("evil.example", "evil.example:4010", "127.0.0.1.nip.io"):
            reply = client.get("/_contract/calls", headers={"host": host})
            assert reply.status_code == 403 and reply.json()["error"]["code"] == "host_not_allowed"
            posted = client.post(
                "/_contract/scenarios", json=[{"scenario": "error", "status": 500}], headers={"host": host}
            )
            assert posted.status_code == 403
        for host in ("localhost", f"127.0.0.1:{server.port}", f"[::1]:{server.port}", "LOCALHOST"):
            assert client.get("/_contract/calls", headers={"host": host}).status_code == 200
        assert service.scenarios.pending == 0
    with BackgroundServer(make_app(service, allow_hosts=("mock.internal",))) as server:
        assert (
            httpx.get(f"{server.url}/_contract/calls", headers={"host": "mock.internal:80"}).status_code
            == 200
        )
    with BackgroundServer(make_app(service, allow_hosts=("*",))) as server:
        assert httpx.get(f"{server.url}/_contract/calls", headers={"host": "anything"}).status_code == 200


# --- bounded state -----------------------------------------------------------------------------------


def test_the_queue_is_capped_and_a_huge_post_is_cheap(chat_server: ChatServer) -> None:
    plans = [{"scenario": "reply", "text": "x"}] * (MAX_QUEUED_PLANS * 100)
    with httpx.Client(base_url=chat_server.url, timeout=30) as client:
        huge = json.dumps(plans).encode()
        started = time.monotonic()
        reply = client.post(
            "/_contract/scenarios", content=huge, headers={"content-type": "application/json"}
        )
        assert reply.status_code == 400 and "at most" in reply.json()["error"]["message"]
        assert time.monotonic() - started < 2.0  # it was 4.2 s per POST once a million plans were queued
        assert client.post("/_contract/scenarios", json=plans[:MAX_QUEUED_PLANS]).status_code == 200
        assert client.post("/_contract/scenarios", json=plans[:1]).status_code == 400
        assert len(client.get("/_contract/scenarios").json()["queue"]) == MAX_QUEUED_PLANS


def _send(service: MockService, body: bytes, headers: dict[str, str]) -> int:
    request = MockRequest("POST", "http://mock/v1/chat/completions", "/v1/chat/completions", headers, body)
    return service(request).status


def test_the_calls_log_keeps_no_credential_and_only_an_excerpt_of_a_rejected_body() -> None:
    service = MockService("observed")
    secrets = {
        "cookie": "session=s3cr3t-cookie",
        "x-auth-token": "s3cr3t-auth-token",
        "api-key": "s3cr3t-api-key",
        "x-my-secret": "s3cr3t-value",
        "x-refresh-token": "s3cr3t-refresh",
        "proxy-authorization": "Basic czNjcjN0",
    }
    big = json.dumps({**BODY, "messages": [{"role": "user", "content": "y" * 100_000}]}).encode()
    assert _send(service, big, {"content-type": "application/json", **secrets}) == 401
    assert (
        _send(
            service,
            json.dumps(BODY).encode(),
            {"content-type": "application/json", "authorization": "Bearer sk-1", **secrets},
        )
        == 200
    )
    rejected, accepted = service.calls
    assert (
        rejected.body is None
        and rejected.raw_body is not None
        and len(rejected.raw_body) == REJECTED_BODY_EXCERPT
    )
    assert rejected.body_size == len(big)
    assert accepted.body == BODY
    for call in (rejected, accepted):
        assert set(call.headers) == {"content-type"}, call.headers
    listed = json.dumps([call.to_json() for call in service.calls])
    assert "s3cr3t" not in listed and "czNjcjN0" not in listed and "sk-1" not in listed


def test_the_calls_log_is_bounded_in_bytes() -> None:
    service = MockService("observed", require_auth=False, max_calls_bytes=400_000)
    one = json.dumps({**BODY, "messages": [{"role": "user", "content": "z " * 50_000}]}).encode()
    for _ in range(12):
        assert _send(service, one, {"content-type": "application/json"}) == 200
    assert service.call_log.bytes <= 400_000
    assert 0 < len(service.calls) < 12 and service.calls[-1].body_size == len(one)


def test_a_body_nested_past_the_encoder_is_still_listed() -> None:
    service = MockService("observed", require_auth=False)
    body = json.dumps(BODY)[:-1] + ', "x": ' + "[" * 1000 + "]" * 1000 + "}"
    assert _send(service, body.encode(), {"content-type": "application/json"}) == 200
    listed = service(MockRequest("GET", "http://mock/_contract/calls", "/_contract/calls", {}, b""))
    assert (
        listed.status == 200
        and json.loads(listed.body or b"")["calls"][0]["body"] == "<nested too deeply to list>"
    )


# --- chat_server is fresh in every test, in any order ------------------------------------------------

ORDER_TESTS = textwrap.dedent(
    """
    import httpx

    BODY = {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": "Hi"}]}

    def ask(server):
        return httpx.post(server.base_url + "/chat/completions", json=BODY, headers={"authorization": "Bearer k"})

    def test_queues_an_error(chat_server):
        assert chat_server.calls == []
        chat_server.error(429)
        chat_server.error(429)
        assert ask(chat_server).status_code == 429

    def test_sets_a_sticky_default(chat_server):
        assert chat_server.calls == []
        chat_server.always({"scenario": "error", "status": 503})
        assert ask(chat_server).status_code == 503

    def test_uses_a_session(chat_server):
        assert chat_server.calls == []
        httpx.post(chat_server.url + "/_contract/scenarios", json={"scenario": "reply", "text": "mine"},
                   headers={"x-contract-session": "s"})

    def test_sees_a_fresh_server(chat_server):
        assert chat_server.calls == []
        assert ask(chat_server).status_code == 200
        assert httpx.get(chat_server.url + "/_contract/scenarios", headers={"x-contract-session": "s"}).json() == {"queue": [], "default": []}
        assert len(chat_server.calls) == 1
    """
)
REVERSE = textwrap.dedent(
    """
    def pytest_collection_modifyitems(items):
        items.reverse()
    """
)


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
def test_chat_server_tests_pass_in_any_order(pytester: pytest.Pytester, reverse: bool) -> None:
    pytester.makepyfile(test_order=ORDER_TESTS)
    if reverse:
        pytester.makeconftest(REVERSE)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=4)
    names = [
        line.split("::")[1].split()[0] for line in result.outlines if "::test_" in line and "PASSED" in line
    ]
    assert (names[0] == "test_sees_a_fresh_server") is reverse, names
