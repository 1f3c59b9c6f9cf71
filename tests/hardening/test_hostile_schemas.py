"""Issue 15, Build-1 and Build-8: a request's own schemas cannot freeze, crash or bloat the mock.

Every hostile request below is small. Before the mock had a budget, the
``minLength``/``minItems`` ones never returned and the ReDoS pattern stalled
every client for seconds. Each is sent to the three ways the mock is run:
``contract-kit serve`` (a child process), the ``chat_server`` fixture and the
in-process ``chat_mock``, while normal requests keep flowing; each must be
answered within 1 s (4xx naming the keyword, or 200 where the schema is
harmless), the normal requests' p99 must stay under 100 ms, and the server's
RSS must grow by less than 50 MB. Normal answers are checked against the
contract with openapi-core-independent jsonschema (the document's own schema).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from test_server_limits import AUTH, CHAT, JSON_CT, KEY, MODEL, Connection, encode_request, serve_process

from contract_kit import load_contract
from contract_kit.errors import WorkBudgetError
from contract_kit.mock import ChatMock, ChatServer, MockRequest, MockService
from contract_kit.mock.instances import generate_instance
from contract_kit.mock.limits import PAUSE_GRACE

ANSWER_WITHIN = 1.0
P99_LIMIT = 0.100
RSS_GROWTH_KB = 50 * 1024
ROUNDS = 3
NORMAL = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 24}


def _with_schema(schema: Any) -> dict[str, Any]:
    return {
        **NORMAL,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
        "max_tokens": 4000,
    }


def _with_tool(parameters: Any) -> dict[str, Any]:
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}
    return {**NORMAL, "tools": [tool], "tool_choice": "required", "max_tokens": 4000}


def _nested_schema(levels: int) -> str:
    return '{"type":"object","properties":{"a":' * levels + '{"type":"string"}' + "}}" * levels


def _exponential_ref_schema() -> dict[str, Any]:
    props = {f"p{i}": {"$ref": "#/$defs/node"} for i in range(50)}
    return {
        "$defs": {"node": {"type": "object", "required": list(props), "properties": props}},
        "$ref": "#/$defs/node",
    }


def _multiplying_arrays() -> dict[str, Any]:
    """Every bound within the limits, but 200 x 200 x 200 strings of 4,000 characters together:
    refused by the generation budget after 0.25 s, in a worker thread on the served mock."""
    leaf: dict[str, Any] = {"type": "string", "minLength": 4000}
    for _ in range(3):
        leaf = {"type": "array", "minItems": 200, "items": leaf}
    return leaf


def _deep_undeclared(levels: int) -> bytes:
    head = json.dumps(NORMAL)[:-1]
    return (head + ', "x": ' + "[" * levels + "]" * levels + "}").encode()


def hostile_cases() -> list[tuple[str, bytes, int, str | None]]:
    """(name, body, expected status, a word the error message must contain)."""
    schemas: list[tuple[str, Any, int, str | None]] = [
        ("minLength 1e300", {"type": "string", "minLength": 1e300}, 400, "minLength"),
        ("minItems 1e300", {"type": "array", "minItems": 1e300}, 400, "minItems"),
        ("minProperties 1e300", {"type": "object", "minProperties": 1e300}, 400, "minProperties"),
        ("maxProperties 1e300", {"type": "object", "maxProperties": 1e300}, 200, None),
        ("ReDoS counted", {"type": "string", "pattern": "^(a{10000}){5000}$"}, 400, "^(a{10000}){5000}$"),
        ("ReDoS nested", {"type": "string", "pattern": "(a+)+$"}, 400, "(a+)+$"),
        (
            "ReDoS key",
            {"type": "object", "patternProperties": {"(x*)*y": {}}, "minProperties": 1},
            400,
            "(x*)*y",
        ),
        ("exponential $ref", _exponential_ref_schema(), None, None),  # type: ignore[list-item]
        ("multiplying arrays", _multiplying_arrays(), 400, "took more than"),
    ]
    cases: list[tuple[str, bytes, int, str | None]] = []
    for name, schema, status, word in schemas:
        for where, build in (("json_schema", _with_schema), ("tool", _with_tool)):
            cases.append((f"{name} ({where})", json.dumps(build(schema)).encode(), status, word))
    for levels, status in ((10_000, 400), (300, 400)):  # 10k: past JSON parsing; 300: past the schema depth
        body = json.dumps(_with_schema({"$": "x"})).replace('{"$": "x"}', _nested_schema(levels)).encode()
        cases.append((f"schema nested {levels} deep", body, status, None))
    cases.append(("undeclared field 1000 deep", _deep_undeclared(1000), 200, None))
    return cases


CASES = hostile_cases()


def check_answer(
    name: str, status: int, body: bytes, elapsed: float, expected: int | None, word: str | None
) -> None:
    assert elapsed < ANSWER_WITHIN, f"{name}: answered in {elapsed:.2f} s"
    if expected is None:
        assert status in (200, 400), (name, status, body[:300])
    else:
        assert status == expected, (name, status, body[:300])
    if status == 400:
        message = json.loads(body)["error"]["message"]
        assert word is None or word in message, (name, message)


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# --- over HTTP: serve and chat_server --------------------------------------------------------------


def _post(body: bytes) -> bytes:
    return encode_request("POST", CHAT, [JSON_CT, AUTH], body)


async def drive_served(
    port: int,
) -> tuple[list[tuple[str, int, bytes, float, int | None, str | None]], list[float]]:
    """The hostile cases one after another while two connections send normal requests."""
    stop = asyncio.Event()
    latencies: list[float] = []
    normal = _post(json.dumps(NORMAL).encode())
    validator = load_contract("observed")

    async def normal_worker() -> None:
        connection = Connection(port)
        try:
            while not stop.is_set():
                started = time.monotonic()
                reply = await connection.exchange(normal)
                latencies.append(time.monotonic() - started)
                assert reply.status == 200, reply.body[:200]
                if len(latencies) % 50 == 1:
                    assert not [v for v in validator.validate_response_bytes(reply.body, 200) if v.is_error]
        finally:
            await connection.close()

    workers = [asyncio.ensure_future(normal_worker()) for _ in range(2)]
    await asyncio.sleep(0.2)
    results = []
    for _round in range(ROUNDS):
        for name, body, expected, word in CASES:
            connection = Connection(port)
            started = time.monotonic()
            reply = await connection.exchange(_post(body))
            results.append((name, reply.status, reply.body, time.monotonic() - started, expected, word))
            await connection.close()
    stop.set()
    await asyncio.gather(*workers)
    return results, latencies


def assert_served(port: int, rss: Any) -> None:
    before = rss()
    results, latencies = asyncio.run(drive_served(port))
    for name, status, body, elapsed, expected, word in results:
        check_answer(name, status, body, elapsed, expected, word)
    assert len(latencies) > 50, len(latencies)
    slowest = max(result[3] for result in results)
    print(f"p99 {p99(latencies) * 1000:.1f} ms over {len(latencies)}; slowest hostile {slowest:.3f} s")
    assert p99(latencies) < P99_LIMIT, f"normal requests' p99 was {p99(latencies) * 1000:.0f} ms"
    assert rss() - before < RSS_GROWTH_KB, f"RSS grew by {(rss() - before) // 1024} MB"


def test_serve_answers_hostile_schemas_quickly_and_keeps_serving() -> None:
    with serve_process() as served:
        assert_served(served.port, lambda: served.status_kb("VmRSS"))
        served.assert_alive()


def test_chat_server_answers_hostile_schemas_quickly_and_keeps_serving(chat_server: ChatServer) -> None:
    assert_served(chat_server.server.port, rss_kb)
    assert all(call.status < 500 for call in chat_server.calls)


# --- in-process: chat_mock ---------------------------------------------------------------------------


@pytest.fixture
def normal_load(chat_mock: ChatMock) -> Iterator[list[float]]:
    """A thread sending normal requests to the in-process mock while the test runs."""
    latencies: list[float] = []
    stop = threading.Event()
    failures: list[str] = []

    def run() -> None:
        with httpx.Client(base_url=chat_mock.base_url, headers={"authorization": f"Bearer {KEY}"}) as client:
            while not stop.is_set():
                started = time.monotonic()
                reply = client.post("/chat/completions", json=NORMAL)
                latencies.append(time.monotonic() - started)
                if reply.status_code != 200:
                    failures.append(reply.text[:200])
                time.sleep(0.002)  # a client paced like a real one, not a spin loop holding the GIL

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield latencies
    stop.set()
    thread.join(10)
    assert not failures, failures[:3]


def test_chat_mock_answers_hostile_schemas_quickly(chat_mock: ChatMock, normal_load: list[float]) -> None:
    before = rss_kb()
    with httpx.Client(base_url=chat_mock.base_url, headers={"authorization": f"Bearer {KEY}"}) as client:
        time.sleep(0.1)
        for _round in range(ROUNDS):
            for name, body, expected, word in CASES:
                started = time.monotonic()
                reply = client.post(
                    "/chat/completions", content=body, headers={"content-type": "application/json"}
                )
                check_answer(
                    name, reply.status_code, reply.content, time.monotonic() - started, expected, word
                )
    assert len(normal_load) > 20
    assert p99(normal_load) < P99_LIMIT, f"normal requests' p99 was {p99(normal_load) * 1000:.0f} ms"
    assert rss_kb() - before < RSS_GROWTH_KB


def test_the_400_names_the_keyword_and_where_it_is(chat_mock: ChatMock) -> None:
    body = _with_tool({"type": "object", "properties": {"s": {"type": "string", "pattern": "(a+)+$"}}})
    reply = httpx.post(
        f"{chat_mock.base_url}/chat/completions", json=body, headers={"authorization": "Bearer k"}
    )
    error = reply.json()["error"]
    assert reply.status_code == 400 and error["param"] == "tools[0].function.parameters.properties.s.pattern"
    assert "(a+)+$" in error["message"] and "exponential" in error["message"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"^\d{4}-\d{2}-\d{2}$",
        r"^[A-Z]{2}\d{6}$",
        r"^(\d{3}-)+\d{4}$",
        r"^(?:ab|cd)*$",
        r"^sk-[a-z0-9]{1,64}$",
    ],
)
def test_ordinary_patterns_are_still_generated(chat_mock: ChatMock, pattern: str) -> None:
    body = _with_schema(
        {"type": "object", "properties": {"v": {"type": "string", "pattern": pattern}}, "required": ["v"]}
    )
    reply = httpx.post(
        f"{chat_mock.base_url}/chat/completions",
        json={**body, "max_tokens": 400},
        headers={"authorization": "Bearer k"},
    )
    assert reply.status_code == 200, reply.text
    assert re.search(pattern, json.loads(reply.json()["choices"][0]["message"]["content"])["v"])


# --- the mock's own failures ----------------------------------------------------------------------


class _BrokenContract:
    """A contract whose validator has a bug: the one way left for the mock to answer 500."""

    profile = "observed"
    path = "/chat/completions"
    models: ClassVar[list[str]] = [MODEL]

    def validate_request(self, body: Any) -> list[Any]:
        raise KeyError("a bug in the validator")


def test_a_500_from_the_mock_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    service = MockService(_BrokenContract())  # type: ignore[arg-type]
    request = MockRequest(
        "POST",
        "http://mock/v1/chat/completions",
        "/v1/chat/completions",
        {"content-type": "application/json", "authorization": f"Bearer {KEY}"},
        json.dumps(NORMAL).encode(),
    )
    with caplog.at_level("ERROR", logger="contract_kit.mock"):
        response = service(request)
    assert response.status == 500 and json.loads(response.body or b"")["error"]["code"] == "mock_error"
    (record,) = [r for r in caplog.records if r.name == "contract_kit.mock"]
    assert record.exc_info is not None and "a bug in the validator" in str(record.exc_info[1])
    assert "POST /v1/chat/completions" in record.getMessage() and KEY not in caplog.text


def test_a_pause_the_schema_did_not_cause_does_not_refuse_a_small_schema() -> None:
    """The clock counts once real work is done; a small schema late by a pause (GC, busy CI) still
    gets its value, and only one far past the budget is refused."""
    small = {"type": "object", "properties": {}, "additionalProperties": False}
    paused = time.monotonic() - PAUSE_GRACE / 2  # the budget ran out during a pause
    assert generate_instance(small, random.Random(1), deadline=paused) == {}
    with pytest.raises(WorkBudgetError, match="took more than"):
        generate_instance(small, random.Random(1), deadline=time.monotonic() - PAUSE_GRACE * 2)
    many = {"type": "array", "minItems": 200, "maxItems": 200, "items": {"type": "integer"}}
    with pytest.raises(WorkBudgetError, match="took more than"):  # real work: the plain budget holds
        generate_instance(many, random.Random(1), deadline=time.monotonic() - 0.01)
