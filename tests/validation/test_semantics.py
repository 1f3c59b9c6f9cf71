"""Semantic rules a schema cannot express: token arithmetic, tool calls vs finish_reason, empty messages."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from contract_kit import _resources, load_contract
from contract_kit.validation import Violation, check_choice, check_completion, check_usage

EXAMPLE = json.loads((_resources.examples_dir() / "example_response.json").read_text(encoding="utf-8"))
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def completion(
    message: dict[str, Any],
    finish_reason: str | None = "stop",
    usage: dict[str, Any] | None = None,
    *,
    choices: int = 1,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": i, "message": dict(message), "finish_reason": finish_reason, "logprobs": None}
            for i in range(choices)
        ],
        "usage": usage or {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def rules(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.path, v.rule) for v in violations]


# -- valid bodies produce nothing ---------------------------------------------------
VALID = {
    "example-response": EXAMPLE,
    "text": completion({"role": "assistant", "content": "Hello"}),
    "tool-call": completion({"role": "assistant", "content": None, "tool_calls": [CALL]}, "tool_calls"),
    "tool-call-with-text": completion(
        {"role": "assistant", "content": "Let me check.", "tool_calls": [CALL]}, "tool_calls"
    ),
    "refusal": completion({"role": "assistant", "content": None, "refusal": "I can't help with that."}),
    "content-parts": completion({"role": "assistant", "content": [{"type": "text", "text": "hi"}]}),
    "cut-by-length": completion({"role": "assistant", "content": ""}, "length"),
    "filtered": completion({"role": "assistant", "content": None}, "content_filter"),
    "details-at-total": completion(
        {"role": "assistant", "content": "x"},
        usage={
            "prompt_tokens": 5,
            "completion_tokens": 4,
            "total_tokens": 9,
            "prompt_tokens_details": {"cached_tokens": 5, "audio_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": 4},
        },
    ),
    "float-tokens": completion(
        {"role": "assistant", "content": "x"},
        usage={"prompt_tokens": 1.0, "completion_tokens": 2, "total_tokens": 3.0},
    ),
    "no-usage-numbers": completion({"role": "assistant", "content": "x"}, usage={"prompt_tokens": None}),
}


@pytest.mark.parametrize("body", list(VALID.values()), ids=list(VALID))
def test_valid_bodies_produce_nothing(body: dict[str, Any]) -> None:
    assert check_completion(body) == []


@pytest.mark.parametrize(
    "body", [None, [], "text", 5, {}, {"choices": "x", "usage": [1]}, {"choices": [1, None]}]
)
def test_non_completion_shapes_are_left_to_the_schema(body: Any) -> None:
    assert check_completion(body) == []


# -- usage arithmetic ------------------------------------------------------------------
def test_total_is_not_prompt_plus_completion() -> None:
    found = check_usage({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 8}, where="response")
    assert len(found) == 1
    violation = found[0]
    assert (violation.path, violation.rule, violation.kind, violation.severity, violation.where) == (
        "$.usage.total_tokens",
        "usage-total",
        "semantic",
        "error",
        "response",
    )
    assert (violation.expected, violation.observed) == (7, 8)
    assert "8" in violation.message and "3" in violation.message and "4" in violation.message


@pytest.mark.parametrize(
    ("details_key", "total_key", "name"),
    [
        ("completion_tokens_details", "completion_tokens", "reasoning_tokens"),
        ("completion_tokens_details", "completion_tokens", "text_tokens"),
        ("prompt_tokens_details", "prompt_tokens", "cached_tokens"),
        ("prompt_tokens_details", "prompt_tokens", "audio_tokens"),
    ],
)
def test_detail_exceeds_its_total(details_key: str, total_key: str, name: str) -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30, details_key: {name: 31}}
    found = check_usage(usage, where="stream")
    assert rules(found) == [(f"$.usage.{details_key}.{name}", "usage-detail")]
    assert (found[0].observed, found[0].expected, found[0].where) == (31, f"<= {usage[total_key]}", "stream")
    assert total_key in found[0].message


def test_both_rules_at_once() -> None:
    usage = {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "total_tokens": 4,
        "completion_tokens_details": {"reasoning_tokens": 3},
    }
    assert {v.rule for v in check_usage(usage, where="response")} == {"usage-total", "usage-detail"}


def test_booleans_are_not_token_counts() -> None:
    assert (
        check_usage({"prompt_tokens": True, "completion_tokens": 1, "total_tokens": 5}, where="response")
        == []
    )


def test_example_response_usage_adds_up() -> None:
    usage = EXAMPLE["usage"]
    assert usage["prompt_tokens"] + usage["completion_tokens"] == usage["total_tokens"]
    assert check_usage(usage, where="response") == []
    broken = copy.deepcopy(usage)
    broken["completion_tokens_details"]["reasoning_tokens"] = 5000
    assert rules(check_usage(broken, where="response")) == [
        ("$.usage.completion_tokens_details.reasoning_tokens", "usage-detail")
    ]


# -- tool calls vs finish_reason, both directions -------------------------------------------
def test_finish_tool_calls_without_calls() -> None:
    for message in (
        {"role": "assistant", "content": "x"},
        {"role": "assistant", "content": "x", "tool_calls": []},
        {"role": "assistant", "content": "x", "tool_calls": None},
    ):
        found = check_choice(message, "tool_calls", where="response", path="$.choices[0]")
        assert rules(found) == [("$.choices[0].finish_reason", "finish-reason-tool-calls")]
        assert (found[0].expected, found[0].observed) == ("not tool_calls", "tool_calls")


@pytest.mark.parametrize("finish_reason", ["stop", "length", "content_filter"])
def test_calls_without_finish_tool_calls(finish_reason: str) -> None:
    message = {"role": "assistant", "content": None, "tool_calls": [CALL]}
    found = check_choice(message, finish_reason, where="response", path="$.choices[2]")
    assert rules(found) == [("$.choices[2].finish_reason", "finish-reason-tool-calls")]
    assert (found[0].expected, found[0].observed, found[0].kind) == ("tool_calls", finish_reason, "semantic")


def test_tool_call_mismatch_in_the_second_choice() -> None:
    body = completion({"role": "assistant", "content": "x"}, choices=2)
    body["choices"][1]["finish_reason"] = "tool_calls"
    assert rules(check_completion(body)) == [("$.choices[1].finish_reason", "finish-reason-tool-calls")]


# -- empty messages ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    [
        {"role": "assistant", "content": None},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": []},
        {"role": "assistant"},
        {"role": "assistant", "content": "", "refusal": ""},
    ],
)
def test_empty_message(message: dict[str, Any]) -> None:
    found = check_choice(message, "stop", where="response", path="$.choices[0]")
    assert rules(found) == [("$.choices[0].message", "message-not-empty")]
    assert found[0].observed == message


@pytest.mark.parametrize("finish_reason", ["length", "content_filter"])
def test_empty_message_is_fine_when_cut_off(finish_reason: str) -> None:
    assert (
        check_choice(
            {"role": "assistant", "content": None}, finish_reason, where="response", path="$.choices[0]"
        )
        == []
    )


def test_empty_message_with_tool_calls_finish_reports_both() -> None:
    found = check_choice(
        {"role": "assistant", "content": None}, "tool_calls", where="response", path="$.choices[0]"
    )
    assert {v.rule for v in found} == {"finish-reason-tool-calls", "message-not-empty"}


# -- through the contract ------------------------------------------------------------------
def test_contract_reports_semantic_findings_as_their_own_kind() -> None:
    contract = load_contract("observed")
    body = copy.deepcopy(EXAMPLE)
    body["usage"]["total_tokens"] = 1
    body["choices"][0]["finish_reason"] = "tool_calls"
    found = contract.validate_response(body)
    assert {(v.rule, v.kind) for v in found} == {
        ("usage-total", "semantic"),
        ("finish-reason-tool-calls", "semantic"),
    }
    assert all(v.where == "response" for v in found)


def test_semantics_do_not_apply_to_error_responses() -> None:
    contract = load_contract("observed")
    assert contract.validate_response({"error": {"message": "m", "type": "t"}}, 400) == []
