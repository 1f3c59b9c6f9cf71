"""What the mock model says: prose, JSON, tool calls or a scenario's fixed reply.

Split from :mod:`contract_kit.mock.engine`, which orchestrates (seeding,
budget, usage); this module only decides the visible answer for a given RNG
and remaining token budget. Each rule here mirrors what a client meets live:

* ``tool_choice``: ``none`` never calls; ``required`` or a named function
  always does; ``auto`` (or absent, with tools) lets the seed choose. A named
  function that is not declared, or ``required`` without tools, is the 400
  OpenAI sends (:class:`EngineRequestError`).
* A tool call, or JSON content, that does not fit the budget is regenerated
  minimal. Tool calls that still do not fit are dropped and the answer ends
  with ``length`` and no content (the model ran out before calling): the kit's
  semantic rule says ``finish_reason`` is ``tool_calls`` exactly when calls
  are present, so a half-written call is never sent.
* ``stop`` cuts prose and JSON content, never tool-call arguments. JSON is
  first regenerated minimal to avoid a stop string; only then is it cut.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_kit.errors import EngineRequestError
from contract_kit.mock.content import (
    count_tokens,
    cut_at_stop,
    truncate_tokens,
    words,
    write_prose,
    write_prose_counted,
)
from contract_kit.mock.instances import generate_instance, generation_deadline
from contract_kit.mock.scenarios import FixedReply, Refusal, Reply, Thinking
from contract_kit.validation import stop_sequences

AUTO_TEXT_CHANCE = 0.4
"""Under ``tool_choice: auto`` the seed answers in text this often instead of calling."""
PARALLEL_COUNTS = (1, 1, 1, 2, 3)
"""How many calls a parallel-capable answer makes, before capping at the number of tools."""


@dataclass(frozen=True)
class PlannedToolCall:
    id: str
    name: str
    arguments: str

    @property
    def tokens(self) -> int:
        return count_tokens(self.name) + count_tokens(self.arguments)


@dataclass(frozen=True)
class AnswerPlan:
    """The visible part of a completion, before usage and ids are attached."""

    content: str = ""
    tool_calls: tuple[PlannedToolCall, ...] = ()
    refusal: str | None = None
    finish_reason: str = "stop"
    content_tokens: int | None = field(default=None, compare=False, repr=False)
    """``content``'s tokens when the writer counted them already (else counted here)."""

    @property
    def tokens(self) -> int:
        calls = sum(call.tokens for call in self.tool_calls)
        content = count_tokens(self.content) if self.content_tokens is None else self.content_tokens
        return content + (count_tokens(self.refusal) if self.refusal else 0) + calls


OUT_OF_BUDGET = AnswerPlan(finish_reason="length")


def fixed_answer(reply: FixedReply, rng: random.Random) -> AnswerPlan:
    """A scenario's reply, verbatim."""
    if isinstance(reply, Reply):
        return AnswerPlan(content=reply.text)
    if isinstance(reply, Refusal):
        return AnswerPlan(refusal=reply.text)
    if isinstance(reply, Thinking):
        return OUT_OF_BUDGET
    arguments = json.dumps(dict(reply.arguments), separators=(",", ":"), ensure_ascii=False)
    return AnswerPlan(
        tool_calls=(PlannedToolCall(call_id(rng), reply.name, arguments),), finish_reason="tool_calls"
    )


def generate_answer(
    request: Mapping[str, Any], rng: random.Random, topic: str, has_image: bool, budget: int | None
) -> AnswerPlan:
    """The model's own answer within ``budget`` tokens (``None``: unbounded)."""
    functions = called_functions(request, rng)
    if functions:
        return _tool_answer(functions, rng, budget)
    if response_format_type(request) in ("json_object", "json_schema"):
        return _json_answer(request, rng, topic, budget)
    return _prose_answer(request, rng, topic, has_image, budget)


def _prose_answer(
    request: Mapping[str, Any], rng: random.Random, topic: str, has_image: bool, budget: int | None
) -> AnswerPlan:
    """Prose cut at the first stop string, then to the budget.

    Without stop strings, writing stops one token past the budget: the first
    ``budget`` tokens and whether there were more are all the answer needs, and
    they are those of the unbounded text (it is written sentence by sentence).
    """
    target = 20 + int(rng.random() * 121)
    stops = stop_sequences(request)
    if budget is not None and not stops:
        target = min(target, budget + 1)
    text, tokens = write_prose_counted(rng, topic, target, about_image=has_image)
    if stops:
        text, stopped = cut_at_stop(text, stops)
        tokens = count_tokens(text) if stopped else tokens
    return _fit(text, budget, tokens)


def _fit(text: str, budget: int | None, tokens: int | None = None) -> AnswerPlan:
    """Content within ``budget`` tokens; ``length`` when it had to be cut."""
    counted = count_tokens(text) if tokens is None else tokens
    if budget is None or counted <= budget:
        return AnswerPlan(content=text, content_tokens=counted)
    return AnswerPlan(content=truncate_tokens(text, budget), finish_reason="length", content_tokens=budget)


def response_format_type(request: Mapping[str, Any]) -> str | None:
    response_format = request.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    return kind if isinstance(kind, str) else None


# --- JSON content -----------------------------------------------------------------------------


def _json_answer(
    request: Mapping[str, Any], rng: random.Random, topic: str, budget: int | None
) -> AnswerPlan:
    """JSON content; the smallest valid instance when the full one is over budget or hits a stop."""
    schema = response_schema(request)
    stops = stop_sequences(request)
    text = ""
    deadline = generation_deadline()
    for minimal in (False, True):
        value = (
            _json_object(rng, topic, minimal)
            if schema is None
            else generate_instance(schema, rng, minimal=minimal, deadline=deadline)
        )
        text = json.dumps(value, ensure_ascii=False)
        fits = budget is None or count_tokens(text) <= budget
        if fits and not cut_at_stop(text, stops)[1]:
            return AnswerPlan(content=text)
    text, _stopped = cut_at_stop(text, stops)
    return _fit(text, budget)


def response_schema(request: Mapping[str, Any]) -> Any:
    """``response_format.json_schema.schema``, or ``None`` when there is none to follow."""
    if response_format_type(request) != "json_schema":
        return None
    spec = request["response_format"].get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    return schema if isinstance(schema, (Mapping, bool)) else None


def _json_object(rng: random.Random, topic: str, minimal: bool) -> dict[str, Any]:
    """What a model asked for "a JSON object" typically writes about the topic."""
    if minimal:
        return {"topic": topic}
    return {
        "topic": topic,
        "summary": write_prose(rng, topic, 12).split("\n")[0],
        "key_points": [words(rng, rng.randint(2, 4)) for _ in range(rng.randint(1, 3))],
        "confidence": round(rng.uniform(0.5, 0.99), 2),
    }


# --- tool calls -------------------------------------------------------------------------------


def declared_functions(request: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(name, parameters schema) of every function tool in the request."""
    tools = request.get("tools")
    found = []
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            found.append((function["name"], function.get("parameters", {"type": "object"})))
    return found


def called_functions(request: Mapping[str, Any], rng: random.Random) -> list[tuple[str, Any]]:
    """The functions this completion calls, by ``tool_choice``; empty for a text answer."""
    declared = declared_functions(request)
    choice = request.get("tool_choice")
    if not declared:
        if not request.get("tools") and (choice == "required" or isinstance(choice, Mapping)):
            raise EngineRequestError(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param="tool_choice",
            )
        return []
    if choice == "none":
        return []
    if isinstance(choice, Mapping) and choice.get("type", "function") == "function":
        return [_named_function(choice, declared)]
    # other object choices (OpenAI's allowed_tools, custom) answer as "auto" would
    if choice != "required" and rng.random() < AUTO_TEXT_CHANCE:
        return []
    most = len(declared) if request.get("parallel_tool_calls", True) is not False else 1
    return rng.sample(declared, min(most, rng.choice(PARALLEL_COUNTS)))


def _named_function(choice: Mapping[str, Any], declared: list[tuple[str, Any]]) -> tuple[str, Any]:
    function = choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    for declared_function in declared:
        if declared_function[0] == name:
            return declared_function
    raise EngineRequestError(
        f"Invalid value for 'tool_choice': tool choice {name!r} not found in 'tools' parameter.",
        param="tool_choice",
    )


def call_id(rng: random.Random) -> str:
    return f"call_{rng.getrandbits(96):024x}"


def _tool_answer(functions: list[tuple[str, Any]], rng: random.Random, budget: int | None) -> AnswerPlan:
    """Calls with valid arguments: minimal ones when over budget, none (``length``) past that."""
    ids = [call_id(rng) for _ in functions]
    deadline = generation_deadline()
    for minimal in (False, True):
        calls = tuple(
            PlannedToolCall(identifier, name, tool_arguments(schema, rng, minimal=minimal, deadline=deadline))
            for identifier, (name, schema) in zip(ids, functions, strict=True)
        )
        if budget is None or sum(call.tokens for call in calls) <= budget:
            return AnswerPlan(tool_calls=calls, finish_reason="tool_calls")
    return OUT_OF_BUDGET


def tool_arguments(
    schema: Any, rng: random.Random, *, minimal: bool = False, deadline: float | None = None
) -> str:
    """Compact JSON arguments valid against ``schema`` (a function's ``parameters``).

    Arguments are always an object, so an untyped ``parameters`` (``{}`` means
    "no parameters" to OpenAI) is read as ``{"type": "object", ...}``.
    """
    if isinstance(schema, Mapping) and "type" not in schema:
        schema = {"type": "object", **schema}
    value = generate_instance(
        schema if isinstance(schema, (Mapping, bool)) else {"type": "object"},
        rng,
        minimal=minimal,
        deadline=deadline,
    )
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
