"""The mock's hot path (issue 14): what its shortcuts must not change.

Each shortcut has a behaviour it could break: text written only up to the
budget must stay a prefix of the unbounded text, ids from a counter must stay
unique and deterministic by seed, the lazy call log must read as the eager one
did, one validator call per stream must still fit a chunk that does not
conform, and the respx route must still honour a side effect a test sets.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from contract_kit import load_contract
from contract_kit.contract import Contract
from contract_kit.mock import ChatMock, MockRequest, MockResponse, MockService
from contract_kit.mock.content import count_tokens, write_prose_counted, write_reasoning_counted
from contract_kit.mock.transports import routed

URL = "https://api.aimlapi.com/v1/chat/completions"
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-test"}
BODY: dict[str, Any] = {
    "model": "alibaba/qwen3-vl-32b-thinking",
    "messages": [{"role": "user", "content": "Why do contract tests catch API drift early?"}],
}


@pytest.fixture(scope="module")
def observed() -> Contract:
    return load_contract("observed")


def send(service: MockService, body: dict[str, Any]) -> MockResponse:
    return service(MockRequest("POST", URL, "/v1/chat/completions", HEADERS, json.dumps(body).encode()))


def wire(response: MockResponse) -> tuple[int, bytes]:
    """Status and bytes, without the ids that differ between services (``x-request-id``)."""
    return response.status, response.full_body()


# -- generation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_counted_writers_count_what_the_tokenizer_counts(seed: int) -> None:
    import random

    topic = random.Random(seed).choice(["volcanoes", "drift-early", "abc-", "this question", "the image"])
    prose, prose_tokens = write_prose_counted(random.Random(seed), topic, seed * 4, about_image=seed % 3 == 0)
    thoughts, thought_tokens = write_reasoning_counted(random.Random(seed), topic, seed * 4)
    assert count_tokens(prose) == prose_tokens >= seed * 4
    assert count_tokens(thoughts) == thought_tokens >= seed * 4
    assert topic in (prose + thoughts).lower() or topic == "the image"


def test_same_seed_and_request_sequence_give_the_same_bytes(observed: Contract) -> None:
    bodies = [
        BODY,
        {**BODY, "stream": True},
        {**BODY, "max_tokens": 20},
        {**BODY, "stream": True, "max_tokens": 40, "stream_options": {"include_usage": True}},
        {**BODY, "stop": ["the"]},
        BODY,
    ]
    first = [wire(send(MockService(observed, seed=5, clock=1), body)) for body in bodies]
    one = MockService(observed, seed=5, clock=1)
    two = MockService(observed, seed=5, clock=1)
    assert [wire(send(one, body)) for body in bodies] == [wire(send(two, body)) for body in bodies]
    assert [wire(send(MockService(observed, seed=5, clock=1), body)) for body in bodies] == first
    other = MockService(observed, seed=6, clock=1)
    assert [wire(send(other, body)) for body in bodies] != [wire(send(one, body)) for body in bodies]


def test_request_ids_come_from_a_counter_and_differ_between_services(observed: Contract) -> None:
    service, other = MockService(observed), MockService(observed)
    ids = [send(service, BODY).header("x-request-id") or "" for _ in range(5)]
    assert len(set(ids)) == 5 and all(i.startswith("req_") and len(i) == 36 for i in ids)
    assert send(other, BODY).header("x-request-id") not in ids
    assert [call.request_id for call in service.calls] == ids


# -- the lazy call log ------------------------------------------------------------------------------------


def test_the_call_log_reads_as_parsed_json_and_keeps_no_key(observed: Contract) -> None:
    service = MockService(observed, seed=1)
    plain, streamed = send(service, BODY), send(service, {**BODY, "stream": True})
    rejected = service(MockRequest("POST", URL, "/v1/chat/completions", {"content-type": "text/plain"}, b"x"))
    calls = service.calls
    assert [call.status for call in calls] == [200, 200, rejected.status]
    assert calls[0].response_body == json.loads(plain.body or b"") and calls[0].chunks is None
    assert calls[1].response_body is None and calls[1].chunks == list(streamed.chunks or [])
    assert calls[0].body == BODY and calls[2].body is None and calls[2].raw_body == b"x"
    assert all("authorization" not in call.headers for call in calls)
    assert service.calls[0] is calls[0]  # built once, on the first read
    assert service.call_log.last() is calls[2]
    assert service.call_log.bytes > len(plain.body or b"") + sum(map(len, streamed.chunks or []))


# -- the answer check: on by default, one call per stream, a switch to turn it off ------------------------


class _RequiresExtra:
    """The observed contract, except that its 200 answers and chunks must carry ``x_extra`` (the
    mock never writes it): the check fits each answer, so the extra field must appear."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._schemas: dict[str, Any] = {}
        self._checks: dict[str, Any] = {}
        for media in ("application/json", "text/event-stream"):
            schema = dict(contract.response_schema(200, media) or {})
            schema["properties"] = {**schema["properties"], "x_extra": {"type": "string", "enum": ["yes"]}}
            schema["required"] = [*schema["required"], "x_extra"]
            self._schemas[media] = schema
            self._checks[media] = _Check(schema)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._contract, name)

    def response_check(self, status: int | str = 200, content_type: str = "application/json") -> Any:
        return self._checks.get(content_type) if str(status) == "200" else None

    def response_schema(self, status: int | str = 200, content_type: str = "application/json") -> Any:
        return self._schemas.get(content_type)


class _Check:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.formats = False
        self._validator = jsonschema.Draft202012Validator(schema)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))


def _events(response: MockResponse) -> list[dict[str, Any]]:
    texts = [chunk.decode().removeprefix("data: ").strip() for chunk in response.chunks or []]
    return [json.loads(text) for text in texts if text != "[DONE]"]


def test_answers_are_checked_and_fitted_by_default(observed: Contract) -> None:
    strict = _RequiresExtra(observed)
    service = MockService(strict)  # type: ignore[arg-type]
    answer = json.loads(send(service, BODY).body or b"")
    chunks = _events(send(service, {**BODY, "stream": True}))
    oracle = jsonschema.Draft202012Validator(strict.response_schema(200, "text/event-stream"))
    assert answer["x_extra"] == "yes"
    assert len(chunks) > 3 and all(chunk["x_extra"] == "yes" for chunk in chunks)
    assert all(oracle.is_valid(chunk) for chunk in chunks)
    again = json.loads(send(service, BODY).body or b"")  # a fitted answer is rendered per call, not kept
    assert again["id"] != answer["id"] and again["x_extra"] == "yes" and len(service.memo) == 0


def test_check_answers_false_sends_the_answer_unchecked(observed: Contract) -> None:
    service = MockService(_RequiresExtra(observed), check_answers=False)  # type: ignore[arg-type]
    assert "x_extra" not in json.loads(send(service, BODY).body or b"")
    assert all("x_extra" not in chunk for chunk in _events(send(service, {**BODY, "stream": True})))
    same = MockService(observed, check_answers=False, seed=2, clock=1)
    checked = MockService(observed, seed=2, clock=1)
    assert wire(send(same, BODY)) == wire(send(checked, BODY))  # a conforming answer is sent as is


def test_the_chat_mock_takes_the_switch(observed: Contract) -> None:
    with ChatMock(_RequiresExtra(observed), check_answers=False) as mock:  # type: ignore[arg-type]
        answer = httpx.post(URL, headers=HEADERS, json=BODY).json()
    assert "x_extra" not in answer and mock.service.check_answers is False
    assert ChatMock(observed).service.check_answers is True


# -- respx: the mock's route calls its handler directly, a test's own side effect still works ---------------


def test_a_side_effect_a_test_sets_on_the_route_still_gets_route(observed: Contract) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request, route: Any) -> httpx.Response:
        seen.append(route.name)
        return httpx.Response(201, json={"ok": True})

    with ChatMock(observed) as mock:
        assert mock.routed is not None and mock.routed.router is not None
        assert httpx.post(URL, headers=HEADERS, json=BODY).status_code == 200
        mock.routed.router["chat_completions"].side_effect = answer
        assert httpx.post(URL, headers=HEADERS, json=BODY).status_code == 201
    assert seen == ["chat_completions"]


def test_a_handler_error_reaches_the_test_unchanged() -> None:
    def broken(request: MockRequest) -> MockResponse:
        raise KeyError("the handler broke")

    with routed(broken, httpx2=False), pytest.raises(KeyError, match="the handler broke"):
        httpx.post(URL, headers=HEADERS, json=BODY)
