"""The suite's view of an answer: the request rules, held to the exacting stance.

The rules themselves live once, in :mod:`contract_kit.validation.request_rules`
(``tool_choice``, declared tools and their arguments, ``response_format``
content, ``stop`` strings). This module adapts an answer reassembled from a
JSON body or a stream (:class:`ObservedAnswer`) to them, with
``exacting=True``: the suite holds a server to what a well-behaved one does.

One rule of :mod:`contract_kit.validation.semantics` needs the request to be fair: a
message may be empty when the request's ``stop`` sequence ended it at once,
which OpenAI-compatible servers do (:func:`excused`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract_kit.validation.request_rules import check_request_rules, stop_sequences

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
    """Every rule the answer breaks, held to the suite's exacting stance; one line each."""
    message = {
        "content": answer.content,
        "tool_calls": [{"function": {"name": name, "arguments": args}} for name, args in answer.tool_calls],
    }
    found = check_request_rules(
        request, message, answer.finish_reason, where="answer", path="$.message", exacting=True
    )
    return [violation.message for violation in found]


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
