"""Semantic rules that need the request: in check_completion, Contract.validate_response and streams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract_kit import load_contract
from contract_kit.mock import MockRequest, MockService
from contract_kit.validation import check_completion, encode_json_chunks

MODEL = "alibaba/qwen3-vl-32b-thinking"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
STRICT = {
    "type": "json_schema",
    "json_schema": {"name": "o", "strict": True, "schema": {"type": "object", "required": ["ok"]}},
}


def body(content: Any = "hi", finish: str = "stop", calls: Any = None, completion: int = 3) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls is not None:
        message["tool_calls"] = calls
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 5 + completion},
    }


def call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}


def request(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, **extra}


CASES = [
    (
        request(response_format={"type": "json_object"}),
        body("Sure: {"),
        "json-object-content",
        "$.choices[0].message.content",
    ),
    (
        request(response_format=STRICT),
        body('{"no": 1}'),
        "json-schema-content",
        "$.choices[0].message.content",
    ),
    (
        request(tools=[WEATHER], tool_choice="required"),
        body("sunny"),
        "tool-choice-required",
        "$.choices[0].message.tool_calls",
    ),
    (
        request(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}}),
        body("sunny"),
        "tool-choice-named",
        "$.choices[0].message.tool_calls",
    ),
    (
        request(tools=[WEATHER]),
        body(None, "tool_calls", [call("get_time", "{}")]),
        "tool-call-undeclared",
        "$.choices[0].message.tool_calls[0].function.name",
    ),
    (
        request(tools=[WEATHER]),
        body(None, "tool_calls", [call("get_weather", '{"town": 1}')]),
        "tool-call-arguments",
        "$.choices[0].message.tool_calls[0].function.arguments",
    ),
    (request(), body("a long answer", completion=17), "max-tokens-length", "$.usage.completion_tokens"),
    (request(stop=["END"]), body("the END is near"), "stop-in-content", "$.choices[0].message.content"),
]


@pytest.mark.parametrize(("req", "answer", "rule", "path"), CASES, ids=[c[2] for c in CASES])
def test_each_rule_fires_with_the_request_and_not_without(
    req: Any, answer: Any, rule: str, path: str
) -> None:
    found = [(v.rule, v.path, v.kind) for v in check_completion(answer, req)]
    assert (rule, path, "semantic") in found
    assert rule not in {v.rule for v in check_completion(answer)}  # no request, no request rule
    contract = load_contract("observed")
    assert rule in {v.rule for v in contract.validate_response(answer, request=req) if v.is_error}


def test_fair_answers_pass_every_rule() -> None:
    assert check_completion(body('{"ok": true}'), request(response_format=STRICT)) == []
    assert (
        check_completion(
            body("not json", "length", completion=16), request(response_format={"type": "json_object"})
        )
        == []
    )
    assert (
        check_completion(
            body(None, "tool_calls", [call("get_weather", '{"city": "Paris"}')]),
            request(tools=[WEATHER], tool_choice="required"),
        )
        == []
    )
    assert check_completion(body("x", "length", completion=16), request()) == []


def test_streams_get_the_request_rules_too() -> None:
    req = request(stream=True, response_format={"type": "json_object"})
    chunks = [
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": MODEL,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": "Sure: {"}, "finish_reason": None}
            ],
        },
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": MODEL,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        },
    ]
    report = load_contract("observed").validate_stream(encode_json_chunks(chunks), req)
    assert ("json-object-content", "$.choices[0].delta.content") in {
        (v.rule, v.path) for v in report.violations
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"response_format": {"type": "json_object"}},
        {"response_format": STRICT},
        {"tools": [WEATHER], "tool_choice": "required"},
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"stop": ["the"]},
    ],
)
def test_the_mock_answers_keep_the_request_rules(extra: dict[str, Any]) -> None:
    service = MockService(load_contract("observed"), seed=3)
    for seed in range(5):
        req = {**request(**extra), "max_tokens": 400, "seed": seed + 1}
        answer = service(
            MockRequest(
                "POST",
                "https://api.aimlapi.com/v1/chat/completions",
                "/v1/chat/completions",
                {"authorization": "Bearer sk-x", "content-type": "application/json"},
                json.dumps(req).encode(),
            )
        )
        assert answer.status == 200
        assert [v.format() for v in check_completion(json.loads(answer.body or b"{}"), req)] == []
