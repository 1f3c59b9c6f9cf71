"""``chat_responses``: valid ``chat.completion`` bodies for testing your own parser.

Shapes come from the contract's 200 JSON schema (so the observed profile's
``reasoning_content`` and ``meta`` appear and the documented one's don't, and
optional parts such as ``logprobs``, ``annotations`` or ``audio`` show up as
the schema describes them). The rules :mod:`contract_kit.validation.semantics` checks
are built in: ``finish_reason`` is ``tool_calls`` exactly when the message
has calls, a message carries content, calls or a refusal, and
``total_tokens == prompt_tokens + completion_tokens`` with no detail count
above its total. :class:`Completion` is the part a stream shares with a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from contract_kit.contract import tool_call_json
from contract_kit.strategies import knowledge as kb
from contract_kit.strategies.compile import Compiler
from contract_kit.strategies.schema import Schema, SchemaView, enum_values, types_of

MAX_TOKENS = 5000
TOOL_CALLS = "tool_calls"
SILENT_FINISHES = ("length", "content_filter")
"""Finish reasons after which a message may be empty (``contract_kit.validation.semantics``)."""
_USAGE_DETAILS = (
    ("prompt_tokens_details", "prompt_tokens"),
    ("completion_tokens_details", "completion_tokens"),
)
_TIMESTAMPS = st.integers(1_600_000_000, 1_900_000_000)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Completion:
    """What one choice says, independent of how it is framed (a JSON body or stream deltas)."""

    content: str
    finish_reason: str
    reasoning: str = ""
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)


def completions(
    finish_reasons: list[str], *, reasoning: bool, refusal: bool, text: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Completion]:
    """Coherent completions: calls exactly for ``tool_calls``, never silent unless the finish allows."""
    return st.composite(lambda draw: _draw_completion(draw, finish_reasons, reasoning, refusal, text))()


def _draw_completion(
    draw: st.DrawFn, finishes: list[str], reasoning: bool, refusal: bool, text: st.SearchStrategy[str] | None
) -> Completion:
    texts = kb.texts() if text is None else text
    finish = draw(st.sampled_from(finishes))
    thought = draw(st.one_of(st.just(""), kb.texts())) if reasoning else ""
    if finish == TOOL_CALLS:
        count = draw(st.integers(1, 3))
        calls = tuple(
            ToolCall(f"call_{i}_{draw(kb.call_ids())}", draw(kb.names()), _arguments(draw))
            for i in range(count)
        )
        return Completion("", finish, thought, tool_calls=calls)
    if refusal and finish not in SILENT_FINISHES and draw(st.booleans()):
        return Completion("", finish, thought, refusal=draw(texts))
    content = draw(st.one_of(st.just(""), texts)) if finish in SILENT_FINISHES else draw(texts)
    return Completion(content, finish, thought)


def _arguments(draw: st.DrawFn) -> str:
    return kb.arguments(draw, draw(kb.json_schemas(strict=False, depth=1)))


def usages(view: SchemaView, schema: Schema | None) -> st.SearchStrategy[dict[str, Any]]:
    """Token counts that add up; the detail objects and their fields are the schema's."""
    return st.composite(lambda draw: _draw_usage(draw, view, schema or {}))()


def _draw_usage(draw: st.DrawFn, view: SchemaView, schema: Schema) -> dict[str, Any]:
    prompt, completion = draw(st.integers(0, MAX_TOKENS)), draw(st.integers(0, MAX_TOKENS))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    for details_key, total_key in _USAGE_DETAILS:
        details = view.prop(schema, details_key)
        if details is None or not draw(st.booleans()):
            continue
        if "null" in types_of(details) and draw(st.booleans()):
            usage[details_key] = None
            continue
        usage[details_key] = {
            name: None
            if "null" in types_of(sub) and draw(st.booleans())
            else draw(st.integers(0, usage[total_key]))
            for name, sub in view.properties(details).items()
            if draw(st.booleans())
        }
    return usage


def finish_reasons(view: SchemaView, schema: Schema | None) -> list[str]:
    """The string values a ``finish_reason`` schema allows (never ``null``)."""
    values = enum_values(schema) or []
    found = [value for value in values if isinstance(value, str)]
    return found or ["stop"]


class ResponseBuilder:
    """Strategies for one contract's ``chat.completion`` bodies."""

    def __init__(self, response_schema: Mapping[str, Any] | bool, *, max_choices: int = 2) -> None:
        self.view = SchemaView(response_schema)
        root = self.view.root
        self.compiler = Compiler(
            self.view, text=kb.texts(), overrides={"created": lambda schema: _TIMESTAMPS}
        )
        self.choice_schema = self.view.items(self.view.prop(root, "choices") or {}) or {}
        self.message_schema = self.view.prop(self.choice_schema, "message") or {}
        self.message_keys = set(self.view.properties(self.message_schema))
        finishes = finish_reasons(self.view, self.view.prop(self.choice_schema, "finish_reason"))
        self.completions = completions(
            finishes,
            reasoning="reasoning_content" in self.message_keys,
            refusal="refusal" in self.message_keys,
        )
        self.usage = usages(self.view, self.view.prop(root, "usage"))
        self.max_choices = max_choices
        self._extras = {
            "choice": self.compiler.object(
                self.choice_schema, "choices[]", omit={"index", "message", "finish_reason"}
            ),
            "message": self.compiler.object(
                self.message_schema,
                "choices[].message",
                omit={"role", "content", "tool_calls", "refusal", "reasoning_content"},
            ),
            "body": self.compiler.object(root, "", omit={"choices", "usage"}),
        }

    def responses(self) -> st.SearchStrategy[dict[str, Any]]:
        return st.composite(self._draw_response)()

    def _draw_response(self, draw: st.DrawFn) -> dict[str, Any]:
        count = draw(st.integers(1, self.max_choices))
        choices = [self._draw_choice(draw, index) for index in range(count)]
        return {**draw(self._extras["body"]), "choices": choices, "usage": draw(self.usage)}

    def _draw_choice(self, draw: st.DrawFn, index: int) -> dict[str, Any]:
        completion = draw(self.completions)
        message = {**draw(self._extras["message"]), **self.message(completion)}
        return {
            **draw(self._extras["choice"]),
            "index": index,
            "message": message,
            "finish_reason": completion.finish_reason,
        }

    def message(self, completion: Completion) -> dict[str, Any]:
        """The message of a completion, with only the keys this schema declares."""
        silent = bool(completion.tool_calls) or completion.refusal is not None
        content_types = {
            kind
            for branch in self.view.branches(self.view.prop(self.message_schema, "content"))
            for kind in types_of(branch)
        }
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if silent and "null" in content_types else completion.content,
        }
        if "reasoning_content" in self.message_keys and completion.reasoning:
            message["reasoning_content"] = completion.reasoning
        if completion.refusal is not None:
            message["refusal"] = completion.refusal
        if completion.tool_calls:
            message[TOOL_CALLS] = [tool_call_json(call) for call in completion.tool_calls]
        return message
