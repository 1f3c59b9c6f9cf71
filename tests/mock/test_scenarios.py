"""Scenarios: building and parsing them, the per-call queue, and the faults they inject."""

from __future__ import annotations

import json
import threading
from typing import Any, cast

import pytest

from contract_kit.errors import ConfigError
from contract_kit.mock import MockResponse, error_body, error_response
from contract_kit.mock.scenarios import (
    CutStream,
    ErrorReply,
    Latency,
    Plan,
    Reply,
    ScenarioQueue,
    apply_faults,
    build,
    cut_stream,
    error,
    latency,
    malformed_chunk,
    parse_header,
    parse_plan,
    parse_scenario,
    refusal,
    reply,
    to_json,
    tool_call,
)
from contract_kit.validation import decode, encode_json_chunks

EVERY_KIND = [
    reply("hi"),
    reply("hi", reasoning="thought"),
    tool_call("lookup", {"q": [1, 2]}),
    refusal("no"),
    error(429, retry_after=2),
    error(503, "down", type="server_error", code="x"),
    latency(ttft=0.5, between_chunks=0.01),
    cut_stream(after=3),
    malformed_chunk(at=1),
]


# --- building ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", EVERY_KIND, ids=lambda s: s.kind)
def test_json_form_round_trips(scenario: Any) -> None:
    data = to_json(scenario)
    assert data["scenario"] == scenario.kind
    assert parse_scenario(json.loads(json.dumps(data))) == scenario


def test_build_by_name_matches_the_factories() -> None:
    assert build("error", status=429, retry_after=1) == error(429, retry_after=1)
    assert build("cut_stream", after=2) == CutStream(2)


def test_unknown_names_are_rejected_with_the_valid_choices() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown scenario 'eror'; valid scenarios are: reply, tool_call, .*malformed_chunk",
    ):
        build("eror")
    with pytest.raises(ValueError):  # ConfigError is a ValueError too
        parse_scenario({"scenario": "nope"})


def test_bad_arguments_name_the_accepted_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"bad arguments for scenario 'latency' .*it takes: ttft, between_chunks"
    ):
        build("latency", ttfb=1)
    with pytest.raises(ConfigError, match="it takes: status, message, retry_after, type, code"):
        build("error")


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: error(200), "from 400 to 599"),
        (lambda: error(True), "from 400 to 599"),
        (lambda: error(429, retry_after=-1), ">= 0"),
        (lambda: latency(ttft=cast(Any, "slow")), "seconds"),
        (lambda: cut_stream(after=-1), "int >= 0"),
        (lambda: malformed_chunk(at=cast(Any, 1.5)), "int >= 0"),
        (lambda: reply(cast(Any, 3)), "must be a string"),
        (lambda: refusal(""), "non-empty"),
        (lambda: tool_call("f", {"x": object()}), "JSON-serializable"),
        (lambda: tool_call("f", cast(Any, [1])), "must be a dict"),
    ],
)
def test_bad_values_fail_at_once(make: Any, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        make()


def test_a_plan_combines_one_scenario_per_slot() -> None:
    plan = parse_plan([{"scenario": "error", "status": 500}, {"scenario": "latency", "ttft": 0.1}])
    assert plan == Plan(outcome=ErrorReply(500), latency=Latency(0.1))
    assert plan.to_json() == [{"scenario": "error", "status": 500}, {"scenario": "latency", "ttft": 0.1}]
    with pytest.raises(ConfigError, match="two outcome scenarios"):
        parse_plan([reply("a"), error(500)])


def test_header_values_are_json_plans() -> None:
    assert parse_header('{"scenario": "reply", "text": "x"}') == Plan(outcome=Reply("x"))
    with pytest.raises(ConfigError, match="x-contract-scenario is not JSON"):
        parse_header("{name: reply}")
    with pytest.raises(ConfigError, match="a scenario is an object like"):
        parse_header('"reply"')


# --- the queue --------------------------------------------------------------------------------


def test_queued_plans_are_consumed_in_order_then_calls_are_normal() -> None:
    queue = ScenarioQueue(error(429), [reply("second"), latency(ttft=0.2)])
    assert queue.pending == 2
    assert queue.next_plan() == Plan(outcome=ErrorReply(429))
    assert queue.next_plan() == Plan(outcome=Reply("second"), latency=Latency(0.2))
    assert queue.next_plan().is_empty


def test_the_sticky_default_fills_empty_slots_until_cleared() -> None:
    queue = ScenarioQueue(error(500), default=[latency(ttft=0.3), reply("default")])
    assert queue.next_plan() == Plan(outcome=ErrorReply(500), latency=Latency(0.3))
    assert queue.next_plan() == Plan(outcome=Reply("default"), latency=Latency(0.3))
    assert queue.next_plan() == Plan(outcome=Reply("default"), latency=Latency(0.3))
    queue.clear()
    assert queue.next_plan().is_empty and queue.pending == 0


def test_a_header_override_does_not_consume_the_queue() -> None:
    queue = ScenarioQueue(reply("queued"))
    assert queue.next_plan(Plan(outcome=Reply("header"))).outcome == Reply("header")
    assert queue.next_plan().outcome == Reply("queued")


def test_the_queue_is_thread_safe() -> None:
    queue = ScenarioQueue(*(reply(str(i)) for i in range(400)))
    taken: list[Plan] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            plan = queue.next_plan()
            with lock:
                taken.append(plan)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = sorted(int(plan.outcome.text) for plan in taken if isinstance(plan.outcome, Reply))
    assert texts == list(range(400))


def test_snapshot_is_json() -> None:
    queue = ScenarioQueue(error(429), default=latency(ttft=1))
    assert json.loads(json.dumps(queue.snapshot())) == {
        "queue": [[{"scenario": "error", "status": 429}]],
        "default": [{"scenario": "latency", "ttft": 1.0}],
    }


# --- faults -----------------------------------------------------------------------------------


def _stream(n: int = 4) -> MockResponse:
    chunks = [{"id": "c", "object": "chat.completion.chunk", "choices": [], "n": i} for i in range(n)]
    return MockResponse(200, [], chunks=encode_json_chunks(chunks, done=True))


def test_latency_sets_both_delays() -> None:
    response = apply_faults(_stream(), Plan(latency=latency(ttft=0.25, between_chunks=0.05)))
    assert (response.first_byte_delay, response.chunk_delay) == (0.25, 0.05)


@pytest.mark.parametrize("after", [0, 2, 4, 99])
def test_cut_stream_sends_n_events_and_never_done(after: int) -> None:
    response = apply_faults(_stream(4), Plan(cut=cut_stream(after=after)))
    assert response.cut and response.chunks is not None
    assert len(response.chunks) == min(after, 4)
    assert all(b"[DONE]" not in chunk for chunk in response.chunks)


def test_malformed_chunk_keeps_framing_but_breaks_the_json() -> None:
    response = apply_faults(_stream(4), Plan(malformed=malformed_chunk(at=1)))
    assert response.chunks is not None
    events = decode(b"".join(response.chunks))
    assert len(events) == 5 and events[-1].is_done
    with pytest.raises(ValueError):
        json.loads(events[1].data)
    assert json.loads(events[2].data)["n"] == 2


def test_faults_on_a_json_body_truncate_it() -> None:
    body = json.dumps({"choices": [], "id": "x" * 20}).encode()
    cut = apply_faults(MockResponse(200, [], body), Plan(cut=cut_stream(after=0)))
    assert cut.cut and cut.body == body[: len(body) // 2]
    broken = apply_faults(MockResponse(200, [], body), Plan(malformed=malformed_chunk(at=0)))
    assert not broken.cut and broken.body is not None
    with pytest.raises(ValueError):
        json.loads(broken.body)


# --- error bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (400, "invalid_request_error", None),
        (401, "invalid_request_error", "invalid_api_key"),
        (403, "invalid_request_error", "permission_denied"),
        (404, "invalid_request_error", "not_found"),
        (429, "requests", "rate_limit_exceeded"),
        (500, "server_error", None),
        (503, "server_error", "service_unavailable"),
        (599, "server_error", None),
        (418, "invalid_request_error", None),
    ],
)
def test_error_bodies_follow_openai_conventions(status: int, kind: str, code: str | None) -> None:
    body = error_body(status)["error"]
    assert (body["type"], body["code"], body["param"]) == (kind, code, None)
    assert isinstance(body["message"], str) and body["message"]


def test_error_overrides_and_response() -> None:
    assert error_body(400, "bad", param="messages", code="c", type="t") == {
        "error": {"message": "bad", "type": "t", "param": "messages", "code": "c"}
    }
    response = error_response(503)
    assert response.status == 503 and response.header("content-type") == "application/json"
    assert json.loads(response.body or b"")["error"]["code"] == "service_unavailable"
