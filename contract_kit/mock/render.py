"""Wire shapes of a completion: the JSON body and the stream chunks, per profile.

Pure functions of a :class:`~contract_kit.mock.engine.GeneratedCompletion`; the
stream's deltas always concatenate to the JSON body's message for the same
completion (content, reasoning, refusal, each tool call's arguments).

**observed** — what the live API sends, after the vendor's example response:
``message`` carries ``reasoning_content``; a tool-call or refusal message has
``content: null``; the body adds ``system_fingerprint: null`` and
``meta.usage.tokens_used``; usage details carry ``text_tokens`` (image tokens
count in ``prompt_tokens`` but get no field of their own: nothing shows the
live API names one). The stream follows the OpenAI
convention: a first delta ``{"role": "assistant", "content": ""}``, then
``reasoning_content`` deltas, then ``content`` (or ``refusal``) deltas, then per
tool call one delta with ``index, id, type, function.name`` and empty
``arguments`` followed by at least two argument fragments; every one of those
chunks has ``finish_reason: null``; a last choice chunk with ``delta: {}``
carries the finish reason. With ``stream_options.include_usage`` one more chunk
has ``choices: []`` and the usage; no other chunk has a ``usage`` key.

**documented** — only what the vendor's schema allows. Its stream chunk schema
makes ``finish_reason`` a non-nullable string and requires both ``role`` and
``content`` in every delta, so no incremental stream is literally valid: each
chunk would need a finish reason, and a later delta repeating ``role`` and
carrying content would also be read as a second message. The only stream that
satisfies the documented schema *and* the stream invariants (one role, text
concatenates, one finish reason) is ONE choice chunk whose delta carries the
whole message — ``role``, full ``content`` (``""`` for tool calls), full
``tool_calls`` with ``index`` — and the finish reason, followed by the usage
chunk when ``include_usage`` is set. The JSON body likewise uses ``content: ""``
for tool calls and refusals, because the documented schema forbids ``null``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contract_kit.contract import tool_call_json, whole_delta
from contract_kit.mock.content import split_on_tokens

if TYPE_CHECKING:
    from contract_kit.mock.answers import PlannedToolCall
    from contract_kit.mock.engine import EngineOptions, GeneratedCompletion, Usage

BILLING_UNITS_PER_TOKEN = 8
"""``meta.usage.tokens_used`` is AIML API billing units (about 8x the token total
in the vendor example; the formula is not published), so the mock reports 8x."""


def render_json(
    completion: GeneratedCompletion,
    request: Mapping[str, Any] | None = None,
    options: EngineOptions | None = None,
) -> dict[str, Any]:
    """The ``chat.completion`` body for the options' profile (``observed`` by default)."""
    if _profile(options) == "documented":
        return _documented_json(completion)
    return _observed_json(completion)


def render_chunks(
    completion: GeneratedCompletion,
    request: Mapping[str, Any] | None = None,
    options: EngineOptions | None = None,
) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects to stream, in order (no ``[DONE]``; that is framing)."""
    include_usage = _include_usage(request or {})
    if _profile(options) == "documented":
        chunks = [_chunk(completion, [_choice(whole_delta(completion), completion.finish_reason)])]
        usage = documented_usage(completion.usage)
    else:
        chunks = [_chunk(completion, [_choice(delta, None)]) for delta in _observed_deltas(completion)]
        chunks.append(_chunk(completion, [_choice({}, completion.finish_reason)]))
        usage = observed_usage(completion.usage)
    if include_usage:
        chunks.append({**_chunk(completion, []), "usage": usage})
    return chunks


def _profile(options: EngineOptions | None) -> str:
    return "observed" if options is None else options.profile


def _include_usage(request: Mapping[str, Any]) -> bool:
    stream_options = request.get("stream_options")
    return isinstance(stream_options, Mapping) and stream_options.get("include_usage") is True


# --- JSON bodies ------------------------------------------------------------------------------


def _observed_json(completion: GeneratedCompletion) -> dict[str, Any]:
    silent = bool(completion.tool_calls) or completion.refusal is not None
    message: dict[str, Any] = {
        "content": None if silent else completion.content,
        "reasoning_content": completion.reasoning,
        "role": "assistant",
    }
    if completion.refusal is not None:
        message["refusal"] = completion.refusal
    if completion.tool_calls:
        message["tool_calls"] = [tool_call_json(call) for call in completion.tool_calls]
    return {
        "choices": [
            {"message": message, "finish_reason": completion.finish_reason, "index": 0, "logprobs": None}
        ],
        "object": "chat.completion",
        "usage": observed_usage(completion.usage),
        "created": completion.created,
        "system_fingerprint": None,
        "model": completion.model,
        "id": completion.id,
        "meta": {"usage": {"tokens_used": completion.usage.total_tokens * BILLING_UNITS_PER_TOKEN}},
    }


def _documented_json(completion: GeneratedCompletion) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.content,
        "refusal": completion.refusal,
    }
    if completion.tool_calls:
        message["tool_calls"] = [tool_call_json(call) for call in completion.tool_calls]
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": completion.finish_reason}
        ],
        "usage": documented_usage(completion.usage),
    }


def observed_usage(usage: Usage) -> dict[str, Any]:
    """Usage as the live API reports it, with ``text_tokens`` in both detail objects."""
    prompt_details: dict[str, int] = {"text_tokens": usage.prompt_text_tokens}
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "text_tokens": usage.text_tokens,
        },
    }


def documented_usage(usage: Usage) -> dict[str, Any]:
    """Usage with only documented fields (``text_tokens`` is not one)."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


# --- stream chunks ----------------------------------------------------------------------------


def _chunk(completion: GeneratedCompletion, choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
        "choices": choices,
    }


def _choice(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _observed_deltas(completion: GeneratedCompletion) -> list[dict[str, Any]]:
    """Role first, then reasoning, then content or refusal, then tool calls, split like a model streams.

    The split is seeded by the completion's ``split_seed`` (the request's, not the
    call's), so it is as reproducible as the completion itself.
    """
    rng = random.Random(completion.split_seed)
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"reasoning_content": piece} for piece in split_on_tokens(completion.reasoning, rng)]
    deltas += [{"content": piece} for piece in split_on_tokens(completion.content, rng)]
    deltas += [{"refusal": piece} for piece in split_on_tokens(completion.refusal or "", rng)]
    for index, call in enumerate(completion.tool_calls):
        deltas += _call_deltas(index, call, rng)
    return deltas


def _call_deltas(index: int, call: PlannedToolCall, rng: random.Random) -> list[dict[str, Any]]:
    """One delta opening the call, then its arguments in at least two fragments."""
    opening = {
        "index": index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    fragments = split_on_tokens(call.arguments, rng, most=3)
    if len(fragments) < 2 and len(call.arguments) >= 2:
        middle = len(call.arguments) // 2
        fragments = [call.arguments[:middle], call.arguments[middle:]]
    following = [{"tool_calls": [{"index": index, "function": {"arguments": part}}]} for part in fragments]
    return [{"tool_calls": [opening]}, *following]
