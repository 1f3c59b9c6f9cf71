"""The HTTP semantics every transport shares: checks in order, scenarios, control routes, recording."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.mock import MockRequest, MockResponse, MockService
from contract_kit.mock.scenarios import ScenarioQueue, error, latency, reply
from contract_kit.validation import decode

MODEL = "alibaba/qwen3-vl-32b-thinking"
KEY = "sk-secret-key-123"
GOOD = {"model": MODEL, "messages": [{"role": "user", "content": "Tell me about tides"}]}
HEADERS = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
PROFILES = ("observed", "documented")


@pytest.fixture(params=PROFILES)
def service(request: pytest.FixtureRequest) -> MockService:
    return MockService(load_contract(profile=request.param))


def send(
    service: MockService,
    body: Any = GOOD,
    *,
    path: str = "/v1/chat/completions",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> MockResponse:
    merged = {k: v for k, v in {**HEADERS, **(headers or {})}.items() if k not in drop}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return service(MockRequest(method, f"https://api.aimlapi.com{path}", path, merged, raw))


def error_of(response: MockResponse) -> dict[str, Any]:
    assert response.body is not None and response.header("content-type") == "application/json"
    error: dict[str, Any] = json.loads(response.body)["error"]
    return error


def assert_documented_error(response: MockResponse) -> None:
    """Error bodies match the observed profile's ErrorResponse for the statuses it documents."""
    contract = load_contract(profile="observed")
    if contract.status_key(response.status) is not None:
        errors = [
            v for v in contract.validate_response_bytes(response.body or b"", response.status) if v.is_error
        ]
        assert errors == []


# --- the checks, in order ---------------------------------------------------------------------


def test_unknown_paths_are_404_and_other_methods_405(service: MockService) -> None:
    missing = send(service, path="/v1/embeddings")
    assert missing.status == 404 and error_of(missing)["code"] == "not_found"
    wrong = send(service, method="GET")
    assert wrong.status == 405 and wrong.header("allow") == "POST"
    assert error_of(wrong)["code"] == "method_not_allowed"
    assert send(service, path="/v1/chat/completions/").status == 200
    for elsewhere in ("/api/v1/chat/completions", "/anything/chat/completions", "/chat/completions"):
        assert error_of(send(service, path=elsewhere))["code"] == "not_found"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_bodies_must_be_sent_as_json(service: MockService, content_type: str | None) -> None:
    if content_type is None:
        response = send(service, drop=("content-type",))
    else:
        response = send(service, headers={"content-type": content_type})
    assert response.status == 415 and error_of(response)["code"] == "unsupported_media_type"
    assert_documented_error(response)


def test_content_type_parameters_are_fine(service: MockService) -> None:
    assert send(service, headers={"content-type": "Application/JSON; charset=utf-8"}).status == 200


def test_oversized_bodies_are_413() -> None:
    service = MockService("observed", max_body_bytes=100)
    big = {**GOOD, "messages": [{"role": "user", "content": "x" * 200}]}
    response = send(service, big)
    assert response.status == 413 and "limit is 100" in error_of(response)["message"]
    assert_documented_error(response)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{nope", "could not parse the JSON body"),
        (b"[1, 2]", "got list"),
        (b"null", "got null"),
        (b"", "could not parse"),
    ],
)
def test_bodies_that_are_not_json_objects_are_400(service: MockService, raw: bytes, needle: str) -> None:
    response = send(service, raw)
    assert response.status == 400 and needle in error_of(response)["message"]
    assert error_of(response)["type"] == "invalid_request_error"
    assert_documented_error(response)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": MODEL, "messages": [{"content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({**GOOD, "temperature": 5}, "temperature"),
        ({**GOOD, "max_tokens": 0.5}, "max_tokens"),
    ],
)
def test_schema_violations_are_400_naming_the_param(service: MockService, body: Any, param: str) -> None:
    response = send(service, body)
    assert response.status == 400
    error = error_of(response)
    assert error["param"] == param and f"(at {param})" in error["message"]
    assert_documented_error(response)


def test_auth_is_required_and_the_key_never_echoed(service: MockService) -> None:
    for headers, drop in [
        ({}, ("authorization",)),
        ({"authorization": f"Basic {KEY}"}, ()),
        ({"authorization": "Bearer"}, ()),
    ]:
        response = send(service, headers=headers, drop=drop)
        assert response.status == 401
        assert error_of(response) | {"message": ""} == {
            "message": "",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
        assert KEY.encode() not in (response.body or b"")
        assert_documented_error(response)
    assert send(service, headers={"authorization": "bearer  other-key "}).status == 200


def test_auth_can_be_switched_off() -> None:
    assert send(MockService("observed", require_auth=False), drop=("authorization",)).status == 200


def test_an_unknown_model_is_404_model_not_found(service: MockService) -> None:
    response = send(service, {**GOOD, "model": "openai/gpt-9"})
    assert response.status == 404
    assert error_of(response) == {
        "message": "The model `openai/gpt-9` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


def test_engine_refusals_are_400(service: MockService) -> None:
    response = send(service, {**GOOD, "tool_choice": "required"})
    assert response.status == 400 and error_of(response)["param"] == "tool_choice"


INVALID = st.one_of(
    st.binary(max_size=40),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    ).map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(
            ["model", "messages", "stream", "tools", "tool_choice", "stop", "max_tokens", "seed"]
        ),
        st.none() | st.integers(-3, 3) | st.text(max_size=6) | st.lists(st.integers(), max_size=2),
    ).map(lambda d: json.dumps({**GOOD, **d}).encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=INVALID)
def test_nothing_a_client_sends_gets_a_5xx(raw: bytes) -> None:
    response = send(SERVICE, raw)
    assert response.status < 500, response.body


SERVICE = MockService("observed")


# --- successful answers -----------------------------------------------------------------------


def test_json_answers_validate_and_carry_a_request_id(service: MockService) -> None:
    response = send(service)
    assert response.status == 200 and response.header("content-type") == "application/json"
    assert (response.header("x-request-id") or "").startswith("req_")
    contract = load_contract(profile=service.contract.profile)
    assert [v for v in contract.validate_response_bytes(response.body or b"") if v.is_error] == []


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"stream_options": {"include_usage": True}},
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
                    },
                }
            ],
            "tool_choice": "required",
        },
    ],
)
def test_streams_are_one_event_per_write_and_match_the_json_answer(
    service: MockService, extra: dict[str, Any]
) -> None:
    request = {**GOOD, **extra, "stream": True}
    response = send(service, request)
    assert response.header("content-type") == "text/event-stream; charset=utf-8"
    assert response.header("cache-control") == "no-cache"
    assert response.chunks is not None and response.chunks[-1] == b"data: [DONE]\n\n"
    assert all(
        chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") and chunk.count(b"\n\n") == 1
        for chunk in response.chunks
    )
    contract = load_contract(profile=service.contract.profile)
    report = contract.validate_stream(response.chunks, request)
    assert report.errors == [] and report.done
    message = json.loads(send(service, {**request, "stream": False}).body or b"")["choices"][0]["message"]
    assert report.content == (message["content"] or "")
    assert report.reasoning == message.get("reasoning_content", "")


def test_a_string_profile_loads_its_contract() -> None:
    assert MockService("documented").contract.profile == "documented"


# --- scenarios --------------------------------------------------------------------------------


def test_queued_error_scenarios_answer_in_order() -> None:
    service = MockService(
        "observed", scenarios=ScenarioQueue(error(429, retry_after=1.2), error(503), error(500))
    )
    limited = send(service)
    assert limited.status == 429 and limited.header("retry-after") == "2"
    assert (error_of(limited)["type"], error_of(limited)["code"]) == ("requests", "rate_limit_exceeded")
    assert error_of(send(service))["code"] == "service_unavailable"
    assert error_of(send(service))["type"] == "server_error"
    assert send(service).status == 200


def test_error_scenarios_apply_to_streams_as_json() -> None:
    service = MockService("observed", scenarios=ScenarioQueue(error(429)))
    response = send(service, {**GOOD, "stream": True})
    assert response.status == 429 and response.chunks is None


def test_latency_cut_and_malformed_become_response_fields() -> None:
    service = MockService("observed")
    service.scenarios.set_default(latency(ttft=0.5, between_chunks=0.01))
    slow = send(service, {**GOOD, "stream": True})
    assert (slow.first_byte_delay, slow.chunk_delay, slow.cut) == (0.5, 0.01, False)
    service.scenarios.clear()
    service.scenarios.enqueue(
        {"scenario": "cut_stream", "after": 3}, {"scenario": "malformed_chunk", "at": 2}
    )
    cut = send(service, {**GOOD, "stream": True})
    assert (
        cut.cut and cut.chunks is not None and len(cut.chunks) == 3 and b"[DONE]" not in b"".join(cut.chunks)
    )
    broken = send(service, {**GOOD, "stream": True})
    report = load_contract().validate_stream(broken.chunks or [], GOOD)
    assert any(v.kind == "framing" and v.where == "chunk 2" for v in report.errors)


def test_fixed_replies_reach_the_body() -> None:
    service = MockService("observed", scenarios=ScenarioQueue(reply("Fixed answer.")))
    assert json.loads(send(service).body or b"")["choices"][0]["message"]["content"] == "Fixed answer."


def test_a_header_scenario_applies_to_that_request_only() -> None:
    service = MockService("observed", scenarios=ScenarioQueue(reply("queued")))
    header = json.dumps(
        [{"scenario": "error", "status": 503, "message": "down"}, {"scenario": "latency", "ttft": 0.1}]
    )
    response = send(service, headers={"x-contract-scenario": header})
    assert (
        response.status == 503
        and error_of(response)["message"] == "down"
        and response.first_byte_delay == 0.1
    )
    assert json.loads(send(service).body or b"")["choices"][0]["message"]["content"] == "queued"
    bad = send(service, headers={"x-contract-scenario": '{"scenario": "eror"}'})
    assert bad.status == 400 and error_of(bad)["code"] == "invalid_scenario"
    assert "valid scenarios are" in error_of(bad)["message"]


def test_the_control_endpoint_enqueues_lists_and_clears() -> None:
    service = MockService("observed")
    queued = send(
        service,
        [{"scenario": "error", "status": 429}, [{"scenario": "reply", "text": "ok"}]],
        path="/_contract/scenarios",
        drop=("authorization",),
    )
    assert queued.status == 200 and len(json.loads(queued.body or b"")["queue"]) == 2
    send(service, {"default": {"scenario": "latency", "ttft": 0.2}}, path="/v1/_contract/scenarios")
    assert json.loads(send(service, method="GET", path="/_contract/scenarios").body or b"")["default"] == [
        {"scenario": "latency", "ttft": 0.2}
    ]
    assert send(service).status == 429
    assert send(service, method="DELETE", path="/_contract/scenarios").status == 200
    assert send(service).first_byte_delay == 0.0
    bad = send(service, [{"scenario": "nope"}], path="/_contract/scenarios")
    assert bad.status == 400 and "valid scenarios are" in error_of(bad)["message"]
    assert send(service, method="PUT", path="/_contract/scenarios").header("allow") == "POST, GET, DELETE"
    assert send(service, path="/_contract/other").status == 404


# --- recording --------------------------------------------------------------------------------


def test_calls_are_recorded_without_credentials() -> None:
    service = MockService("observed")
    send(service, headers={"x-api-key": KEY, "x-trace": "t1"})
    send(service, b"{nope")
    send(service, {**GOOD, "stream": True})
    first, second, third = service.calls
    assert first.body == GOOD and first.status == 200 and first.raw_body is None
    assert first.headers == {"content-type": "application/json", "x-trace": "t1"}
    assert first.response_body["object"] == "chat.completion" and first.request_id
    assert second.body is None and second.raw_body == b"{nope" and second.status == 400
    assert third.chunks is not None and third.chunks[-1] == b"data: [DONE]\n\n"
    listed = send(service, method="GET", path="/_contract/calls")
    text = (listed.body or b"").decode()
    assert KEY not in text and len(json.loads(text)["calls"]) == 3
    assert decode(json.loads(text)["calls"][2]["chunks"][-1].encode())[0].is_done
    send(service, method="DELETE", path="/_contract/calls")
    assert service.calls == []


def test_recording_is_thread_safe() -> None:
    service = MockService("documented")
    threads = [threading.Thread(target=lambda: [send(service) for _ in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(service.calls) == 40 and {call.status for call in service.calls} == {200}
