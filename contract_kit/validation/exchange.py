"""What an answer must do given its request: the rules that need both sides.

The response schema cannot say that ``tool_choice: "none"`` forbids tool
calls or that a ``json_schema`` response format makes the content JSON valid
for that schema; the request schema's own descriptions do. The suite applies
these to every 200 it gets, whether a JSON body or a reassembled stream:

- tool calls name declared tools, and only come when tools were declared;
- ``tool_choice``: ``none`` forbids calls, ``required`` demands one, a named
  function demands a call of that function (unless the answer was cut short:
  ``finish_reason`` ``length`` or ``content_filter``);
- ``response_format`` ``json_object``/``json_schema``: content finished with
  ``stop`` is JSON (valid for the schema, when one is given), unless the
  request's own ``stop`` strings cut it: the API stops at a stop string even
  inside JSON, so ``{"city": "Par`` with ``stop: ["i"]`` is a fair answer;
- ``stop``: content finished with ``stop`` contains no stop sequence
  ("The returned text will not contain the stop sequence").

One rule of :mod:`contract_kit.validation.semantics` needs the request to be fair: a
message may be empty when the request's ``stop`` sequence ended it at once,
which OpenAI-compatible servers do (:func:`excused`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from contract_kit.validation.request_rules import stop_sequences

JSON_FORMATS = ("json_object", "json_schema")
CUT_SHORT = ("length", "content_filter")
EMPTY_MESSAGE_RULE = "message-not-empty"


@dataclass(frozen=True)
class ObservedAnswer:
    """The parts of a choice the rules look at, from a JSON body or a stream."""

    content: str
    tool_calls: list[tuple[str, str]]
    finish_reason: str | None

    @classmethod
    def from_message(cls, message: Mapping[str, Any], finish_reason: Any) -> ObservedAnswer:
        calls = message.get("tool_calls") or []
        return cls(str(message.get("content") or ""), _call_pairs(calls), finish_reason)

    @classmethod
    def from_stream(
        cls, content: str, tool_calls: Sequence[Mapping[str, Any]], finish_reason: str | None
    ) -> ObservedAnswer:
        return cls(content, _call_pairs(tool_calls), finish_reason)


def answer_problems(request: Mapping[str, Any], answer: ObservedAnswer) -> list[str]:
    """Every rule above that the answer breaks, one line each; empty when it keeps them all."""
    return [
        *_tool_problems(request, answer),
        *_format_problems(request, answer),
        *_stop_problems(request, answer),
    ]


def _tool_problems(request: Mapping[str, Any], answer: ObservedAnswer) -> list[str]:
    declared = {tool.get("function", {}).get("name") for tool in request.get("tools") or []}
    called = [name for name, _ in answer.tool_calls]
    problems = [
        f"the answer calls {name!r}, which the request did not declare"
        for name in called
        if name not in declared
    ]
    choice = request.get("tool_choice")
    if answer.finish_reason in CUT_SHORT:
        return problems
    if choice == "none" and called:
        problems.append(f"tool_choice is 'none' but the answer calls {called}")
    if choice == "required" and not called:
        problems.append("tool_choice is 'required' but the answer calls no tool")
    if (
        isinstance(choice, Mapping) and choice.get("type", "function") == "function"
    ):  # not allowed_tools/custom
        wanted = choice.get("function", {}).get("name")
        if wanted not in called:
            problems.append(f"tool_choice names {wanted!r} but the answer calls {called or 'no tool'}")
    return problems


def _format_problems(request: Mapping[str, Any], answer: ObservedAnswer) -> list[str]:
    response_format = request.get("response_format") or {}
    if response_format.get("type") not in JSON_FORMATS or answer.finish_reason != "stop" or answer.tool_calls:
        return []
    try:
        value = json.loads(answer.content)
    except ValueError:
        if stop_sequences(request):
            return []  # cut at a stop string, as the API does (the stop rule still checks the cut)
        return [
            f"response_format {response_format['type']!r} but the content is not JSON: {answer.content[:80]!r}"
        ]
    schema = (response_format.get("json_schema") or {}).get("schema")
    return _schema_problems(schema, value) if isinstance(schema, Mapping) else []


def _schema_problems(schema: Mapping[str, Any], value: Any) -> list[str]:

    error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    return (
        []
        if error is None
        else [f"the JSON content does not match response_format's schema: {error.message}"]
    )


def _stop_problems(request: Mapping[str, Any], answer: ObservedAnswer) -> list[str]:
    if answer.finish_reason != "stop":
        return []
    return [
        f"the content contains the stop sequence {s!r}"
        for s in stop_sequences(request)
        if s and s in answer.content
    ]


def _call_pairs(calls: Sequence[Any]) -> list[tuple[str, str]]:
    pairs = []
    for call in calls:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            pairs.append((str(function.get("name")), str(function.get("arguments"))))
    return pairs


def excused(rule: str, request: Mapping[str, Any]) -> bool:
    """A violation the request explains: an empty message when the request set ``stop`` sequences."""
    return rule == EMPTY_MESSAGE_RULE and bool(stop_sequences(request))
