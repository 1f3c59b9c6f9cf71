"""The cheap paths give the same answers as the full checks they stand in for."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from contract_kit.validation import SchemaCheck, check_completion
from contract_kit.validation.schema import close_objects
from contract_kit.validation.semantics import check_choice

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "usage": {"type": "object", "properties": {"total": {"type": "integer"}}},
        "choice": {
            "type": "object",
            "allOf": [{"properties": {"text": {"type": "string"}}}],
            "properties": {"index": {"type": "integer"}},
        },
    },
    "required": ["id"],
}


def test_closing_uses_additional_properties_only_where_nothing_evaluates_in_place() -> None:
    closed = close_objects(SCHEMA)
    assert closed["additionalProperties"] is False
    assert closed["properties"]["usage"]["additionalProperties"] is False
    choice = closed["properties"]["choice"]
    assert choice["unevaluatedProperties"] is False and "additionalProperties" not in choice
    assert "unevaluatedProperties" not in SCHEMA  # the schema itself is left alone


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "a", "usage": {"total": 3}, "choice": {"index": 0, "text": "hi"}},  # valid, documented
        {"id": "a", "usage": {"total": 3, "extra": 1}, "surplus": True},  # valid, two undocumented
        {"id": "a", "choice": {"index": 0, "text": "hi", "other": 1}},  # declared through allOf only
        {"id": 5, "usage": {"total": "x"}},  # invalid
        {"usage": {"total": 1, "extra": 2}},  # invalid and undocumented
    ],
)
def test_check_equals_the_full_checks(payload: dict[str, Any]) -> None:
    check = SchemaCheck(SCHEMA)
    errors, undocumented = check.check(payload, "response")
    assert errors == check.violations(payload, "response")
    assert undocumented == SchemaCheck(SCHEMA).undocumented(payload, "response")


def test_the_plain_answer_shortcut_agrees_with_check_choice() -> None:
    contents: list[Any] = ["text", "", None, ["part"], []]
    tool_calls: list[Any] = [None, [], [{"id": "t"}], {"id": "t"}]
    finishes: list[Any] = ["stop", "length", "content_filter", "tool_calls", None]
    for content, calls, finish in itertools.product(contents, tool_calls, finishes):
        message = {"role": "assistant", "content": content, "tool_calls": calls}
        body = {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}
        expected = check_choice(message, finish, where="response", path="$.choices[0]")
        assert check_completion(body) == expected, (content, calls, finish)
