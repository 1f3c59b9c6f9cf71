"""The answer memo (``mock/memo.py``): a repeated request's answer is rendered once and stamped per call.

What it must not change: every call's bytes are what the engine and the
renderer give for that call number, rendered afresh (the oracle here calls
them directly, not the service); ids stay unique per call; the memo stays
bounded; a large request, a scripted reply and a fitted answer are rendered
per call; and the answers still pass the document, checked by jsonschema.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema
import pytest

from contract_kit import _json, load_contract
from contract_kit.contract import Contract
from contract_kit.mock import EngineOptions, MockRequest, MockResponse, MockService, complete
from contract_kit.mock.limits import MEMO_ENTRIES, MEMO_MAX_REQUEST_BYTES
from contract_kit.mock.render import render_chunks, render_json
from contract_kit.mock.scenarios import reply

URL = "https://api.aimlapi.com/v1/chat/completions"
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-test"}
MODEL = "alibaba/qwen3-vl-32b-thinking"
BODY: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "Why is the sky blue?"}]}
BODIES: list[dict[str, Any]] = [
    BODY,
    {**BODY, "stream": True},
    BODY,
    {**BODY, "max_tokens": 24},
    {**BODY, "stream": True},
    {**BODY, "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 30},
    BODY,
    {**BODY, "stream": True},
]


@pytest.fixture(scope="module", params=["observed", "documented"])
def contract(request: pytest.FixtureRequest) -> Contract:
    return load_contract(profile=request.param)


def send(service: MockService, body: dict[str, Any]) -> MockResponse:
    return service(MockRequest("POST", URL, "/v1/chat/completions", HEADERS, json.dumps(body).encode()))


def fresh_render(contract: Contract, body: dict[str, Any], call: int, *, seed: int, created: int) -> bytes:
    """What the engine and the renderer give for this call number, with no memo in the way."""
    options = EngineOptions(profile=contract.profile, seed=seed, clock=lambda: created, call=call)
    completion = complete(body, options)
    if body.get("stream"):
        events = [
            b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in render_chunks(completion, body, options)
        ]
        return b"".join([*events, b"data: [DONE]\n\n"])
    return _json.dumps(render_json(completion, body, options))


def test_every_call_is_byte_for_byte_a_fresh_render_for_its_call_number(contract: Contract) -> None:
    service = MockService(contract, seed=3, clock=1_700_000_000)
    sent = [send(service, body).full_body() for body in BODIES]
    expected = [
        fresh_render(contract, body, call, seed=3, created=1_700_000_000) for call, body in enumerate(BODIES)
    ]
    assert sent == expected
    assert 0 < len(service.memo) <= len({json.dumps(body) for body in BODIES})


def test_repeated_requests_get_unique_ids_and_the_same_answer(contract: Contract) -> None:
    service = MockService(contract, clock=1)
    answers = [json.loads(send(service, BODY).body or b"") for _ in range(5)]
    assert len({answer["id"] for answer in answers}) == 5
    assert all(answer["id"].startswith("chatcmpl-") and len(answer["id"]) == 45 for answer in answers)
    without_ids = [{k: v for k, v in answer.items() if k != "id"} for answer in answers]
    assert all(one == without_ids[0] for one in without_ids)
    oracle = jsonschema.Draft202012Validator(contract.response_schema(200, "application/json"))
    assert all(oracle.is_valid(answer) for answer in answers)


def test_a_repeated_stream_keeps_its_chunk_boundaries_and_stamps_each_chunk(contract: Contract) -> None:
    service = MockService(contract, clock=1)
    streams = [send(service, {**BODY, "stream": True}).chunks or [] for _ in range(3)]
    ids = [{json.loads(event[6:])["id"] for event in stream[:-1]} for stream in streams]
    assert all(len(one) == 1 for one in ids) and len(set.union(*ids)) == 3
    lengths = [[len(event) for event in stream] for stream in streams]
    assert lengths[0] == lengths[1] == lengths[2] and len(lengths[0]) >= 2
    oracle = jsonschema.Draft202012Validator(contract.response_schema(200, "text/event-stream"))
    assert all(oracle.is_valid(json.loads(event[6:])) for stream in streams for event in stream[:-1])


def test_the_memo_is_bounded_and_skips_large_requests(contract: Contract) -> None:
    service = MockService(contract, clock=1)
    for index in range(MEMO_ENTRIES + 40):
        assert send(service, {**BODY, "messages": [{"role": "user", "content": f"q{index}"}]}).status == 200
    assert len(service.memo) == MEMO_ENTRIES
    service.memo.clear()
    large = {**BODY, "messages": [{"role": "user", "content": "x " * MEMO_MAX_REQUEST_BYTES}]}
    answers = [send(service, large) for _ in range(2)]
    assert [answer.status for answer in answers] == [200, 200] and len(service.memo) == 0
    assert json.loads(answers[0].body or b"")["id"] != json.loads(answers[1].body or b"")["id"]


def test_the_clock_second_and_the_seed_are_part_of_the_key(contract: Contract) -> None:
    now = [100]
    service = MockService(contract, clock=lambda: now[0])
    first = json.loads(send(service, BODY).body or b"")
    now[0] = 101
    second = json.loads(send(service, BODY).body or b"")
    service.seed = 9
    third = json.loads(send(service, BODY).body or b"")
    assert (first["created"], second["created"]) == (100, 101)
    assert first["choices"] == second["choices"] != third["choices"]
    assert len(service.memo) == 3


def test_a_scripted_reply_is_not_kept_and_does_not_disturb_the_plain_answer(contract: Contract) -> None:
    service = MockService(contract, clock=1)
    plain = json.loads(send(service, BODY).body or b"")
    service.scenarios.enqueue(reply("scripted"))
    scripted = json.loads(send(service, BODY).body or b"")
    again = json.loads(send(service, BODY).body or b"")
    assert scripted["choices"][0]["message"]["content"] == "scripted"
    assert again["choices"] == plain["choices"] and len(service.memo) == 1


def test_threads_sending_the_same_request_get_distinct_ids(contract: Contract) -> None:
    service = MockService(contract, clock=1)
    ids: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(50):
            answer = json.loads(send(service, BODY).body or b"")
            with lock:
                ids.append(answer["id"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 200 and len(set(ids)) == 200


def test_a_body_that_passed_is_not_checked_again_but_auth_still_is(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contract_kit.mock.service as service_module

    checked: list[object] = []
    original = service_module.check_schema

    def counting(contract: Any, body: Any) -> None:
        checked.append(body)
        original(contract, body)

    monkeypatch.setattr(service_module, "check_schema", counting)
    service = MockService(contract, clock=1)
    bad = {**BODY, "temperature": "hot"}
    assert [send(service, bad).status for _ in range(2)] == [400, 400]
    assert [send(service, BODY).status for _ in range(3)] == [200, 200, 200]
    assert len(checked) == 3  # the bad body twice (a refusal is never remembered), the good one once
    raw = json.dumps(BODY).encode()
    keyless = {"content-type": "application/json"}
    assert service(MockRequest("POST", URL, "/v1/chat/completions", keyless, raw)).status == 401
