"""The mock model: a pure function from a chat-completions request to a completion.

No I/O, no clock, no global randomness. The RNG is seeded from the request's
``seed`` (else ``EngineOptions.seed``) mixed with a stable hash of the
canonical request JSON, so the same request and seed always give the same
completion, different requests give different ones, and a recorded test never
flakes. Keys that only change how the answer is delivered or where it halts
are left out of the hash: ``stream`` and ``stream_options`` (so the stream's
deltas concatenate to exactly the JSON body's message for the same request),
and ``max_tokens``, ``max_completion_tokens`` and ``stop`` (so a bounded or
stopped answer is a prefix of the unbounded one, as with a seeded real model).

What it honours, because client code depends on each:

* ``max_completion_tokens`` / ``max_tokens`` (floored): reasoning is budgeted
  first, then content, like a real thinking model; hitting the bound truncates
  at a token end and sets ``finish_reason: "length"``. Reasoning takes at most
  half of a budget of :data:`MIN_ANSWER_BUDGET` tokens or more, so an answer
  always starts; the ``thinking`` scenario spends it all on reasoning (empty
  content), as a live thinking model sometimes does.
* ``id``: unique per call (``EngineOptions.call``, a counter the service keeps),
  still a pure function of the request, the seed and that counter.
  ``created`` comes from ``EngineOptions.clock``.
* ``stop``: content ends before the first occurrence of any stop string;
  stop does not apply to reasoning or tool-call arguments.
* ``tools`` + ``tool_choice``: ``required`` / a named function force calls,
  ``auto`` (the default with tools) lets the seed choose, ``none`` forbids
  them; ``parallel_tool_calls`` (default true, as in OpenAI) may give several.
  Arguments validate against each function's ``parameters``.
* ``response_format``: ``json_object`` / ``json_schema`` content is JSON (valid
  for the schema); over budget it shrinks to the smallest valid instance, and
  past that is truncated with ``finish_reason: "length"`` as real APIs do.
* images: each ``image_url`` part costs a fixed number of prompt tokens by
  ``detail`` (``low`` 85, ``high``/``auto``/absent 765, OpenAI's base figures).
  Prompt tokens = message text tokens + 4 per message + 3 for the reply primer
  + the tokens of the ``tools`` JSON + image costs.
* A scenario's fixed reply (``EngineOptions.reply``) replaces generation and is
  sent verbatim, past any token bound.

The answer itself is chosen in :mod:`contract_kit.mock.answers`; the two
profiles differ in rendering (:mod:`contract_kit.mock.render`): the observed
one is what the live API sends (``reasoning_content``, ``meta``), the
documented one only what the vendor's schema allows — which, for streams,
means ONE chunk carrying the whole message and the finish reason (plus the
usage chunk), the only stream both its chunk schema and the stream invariants
accept; :mod:`~contract_kit.mock.render` explains why. Under the documented
profile the model does not reason (no field could carry it): reasoning
tokens are 0.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contract_kit import _json
from contract_kit.defaults import DEFAULT_MODEL, PROFILES
from contract_kit.errors import ConfigError, EngineRequestError, ProfileError
from contract_kit.mock.answers import (
    OUT_OF_BUDGET,
    PlannedToolCall,
    fixed_answer,
    generate_answer,
)
from contract_kit.mock.budget import check_request_budget
from contract_kit.mock.content import (
    count_prompt_tokens,
    count_tokens,
    pick_topic,
    truncate_tokens,
    write_reasoning_counted,
)
from contract_kit.mock.render import render_chunks, render_json
from contract_kit.mock.scenarios import FixedReply, Reply, Thinking

__all__ = [
    "EngineOptions",
    "EngineRequestError",
    "GeneratedCompletion",
    "PlannedToolCall",
    "Usage",
    "complete",
    "render_chunks",
    "render_json",
]

FIXED_CREATED = 1764625236
"""The vendor example's ``created``: the default clock, so runs are reproducible."""
IMAGE_TOKENS = {"low": 85, "high": 765, "auto": 765}
MESSAGE_OVERHEAD = 4
REPLY_PRIMER = 3
HASHED_DEPTH = 64
"""How deep into the request the answer's seed looks (see ``_bounded``)."""
MIN_ANSWER_BUDGET = 16
"""From this many tokens on, reasoning leaves room for the answer (at most half the budget)."""
_UNHASHED_KEYS = frozenset({"stream", "stream_options", "max_tokens", "max_completion_tokens", "stop"})


def fixed_clock() -> int:
    return FIXED_CREATED


def system_clock() -> int:
    """Seconds since the epoch: the ``created`` a served answer carries, as the live API's does."""
    return int(time.time())


def as_clock(clock: Callable[[], int] | int | None) -> Callable[[], int]:
    """A clock from what a user passes: a function, a fixed timestamp (snapshot tests) or ``None`` (now)."""
    if clock is None:
        return system_clock
    if isinstance(clock, bool) or not (isinstance(clock, int) or callable(clock)):
        raise ConfigError(f"clock={clock!r}: pass a function returning seconds, or a fixed int timestamp")
    if isinstance(clock, int):
        return lambda: clock
    return clock


@dataclass(frozen=True)
class EngineOptions:
    profile: str = "observed"
    seed: int = 0
    clock: Callable[[], int] = fixed_clock
    reply: FixedReply | None = None
    call: int = 0
    """The service's call counter: identical requests get different ids, deterministically."""

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ProfileError(f"unknown profile {self.profile!r}; choose one of {', '.join(PROFILES)}")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0
    image_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def text_tokens(self) -> int:
        """Completion tokens that are not reasoning (content, refusal, tool calls)."""
        return self.completion_tokens - self.reasoning_tokens

    @property
    def prompt_text_tokens(self) -> int:
        return self.prompt_tokens - self.image_tokens


@dataclass(frozen=True)
class GeneratedCompletion:
    content: str
    reasoning: str
    tool_calls: tuple[PlannedToolCall, ...]
    refusal: str | None
    finish_reason: str
    usage: Usage
    id: str
    created: int
    model: str
    split_seed: int = 0
    """Seeds where a stream splits the text: the request's, not the call's, so identical requests
    stream alike (and a served answer can be rendered once and stamped with each call's id)."""


def complete(request: Mapping[str, Any], options: EngineOptions | None = None) -> GeneratedCompletion:
    """Generate the completion for ``request``; the same inputs always give the same output."""
    opts = options or EngineOptions()
    check_request_budget(request)
    rng = request_rng(request, opts.seed)
    base_id = uuid_like(rng)
    this_id = completion_id(base_id, opts.call)
    topic, has_image = _topic(request, rng)
    budget = token_budget(request)
    reasoning, reasoning_tokens = _reasoning(rng, topic, opts, budget)
    if opts.reply is not None:
        answer = fixed_answer(opts.reply, rng)  # verbatim; ``thinking`` answers nothing
    elif budget is not None and reasoning_tokens >= budget:
        answer = OUT_OF_BUDGET  # the model was still thinking when it was stopped
    else:
        remaining = None if budget is None else budget - reasoning_tokens
        answer = generate_answer(request, rng, topic, has_image, remaining)
    prompt, images = prompt_tokens(request)
    usage = Usage(prompt, reasoning_tokens + answer.tokens, reasoning_tokens, images)
    return GeneratedCompletion(
        content=answer.content,
        reasoning=reasoning,
        tool_calls=answer.tool_calls,
        refusal=answer.refusal,
        finish_reason=answer.finish_reason,
        usage=usage,
        id=this_id,
        created=opts.clock(),
        model=response_model(request, opts.profile),
        split_seed=id_number(base_id),
    )


def _reasoning(rng: random.Random, topic: str, opts: EngineOptions, budget: int | None) -> tuple[str, int]:
    """The chain of thought (observed profile only) and its tokens, within its share of the budget.

    Reasoning comes first, as a thinking model spends its budget: at most half
    of a budget of :data:`MIN_ANSWER_BUDGET` or more, all of a smaller one (then
    no answer starts); the ``thinking`` scenario spends the whole budget on it.
    It is written from an RNG of its own and only as far as its share, so a
    bounded answer stays a prefix of the unbounded one at a fraction of the work.
    A scenario's fixed reply keeps its reasoning verbatim.
    """
    if opts.profile != "observed":
        return "", 0
    if isinstance(opts.reply, Reply) and opts.reply.reasoning is not None:
        return opts.reply.reasoning, count_tokens(opts.reply.reasoning)
    target = 30 + int(rng.random() * 111)
    thoughts = random.Random(rng.getrandbits(64))
    if isinstance(opts.reply, Thinking):
        share = budget
        target = target if budget is None else budget
    elif opts.reply is not None:
        share = None
    elif budget is not None and budget >= MIN_ANSWER_BUDGET:
        share = budget // 2
    else:
        share = budget
    text, tokens = write_reasoning_counted(thoughts, topic, target if share is None else min(target, share))
    if share is not None and tokens > share:
        return truncate_tokens(text, share), share
    return text, tokens


# --- determinism ------------------------------------------------------------------------------


def request_rng(request: Mapping[str, Any], default_seed: int) -> random.Random:
    """An RNG for this request: seed (request's, else the default) mixed with the request's hash."""
    seed = request.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        seed = default_seed
    hashed = {key: value for key, value in request.items() if key not in _UNHASHED_KEYS}
    digest = hashlib.sha256(f"{seed}\x00".encode() + canonical_bytes(hashed)).digest()
    return random.Random(int.from_bytes(digest, "big"))


def canonical_bytes(value: Mapping[str, Any]) -> bytes:
    """Sorted-key compact JSON of the request, in one orjson call for any ordinary request.

    orjson refuses what a request may still hold (nesting past its 255 levels,
    an integer past 64 bits, a non-JSON value from a direct caller): then the
    standard library writes it, with what lies deeper than :data:`HASHED_DEPTH`
    replaced by its type name (see ``_bounded``).
    """
    fast = _json.dumps_canonical(value)
    if fast is not None:
        return fast
    bounded = _bounded(value, HASHED_DEPTH)
    text = json.dumps(bounded, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "surrogatepass")


def _bounded(value: Any, depth: int) -> Any:
    """``value`` with what lies deeper than ``depth`` replaced by its type name.

    An undeclared field may nest a thousand levels (the schema allows it);
    ``json.dumps`` would hit the recursion limit on it, and what lies that
    deep need not change the answer.
    """
    if depth <= 0 and isinstance(value, (dict, list)):
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        return {key: _bounded(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_bounded(item, depth - 1) for item in value]
    return value


ID_PREFIX = "chatcmpl-"
"""What every completion id starts with (the live API's ``chatcmpl-`` ids)."""


def completion_id(base: str | int, call: int) -> str:
    """The completion id of the ``call``-th call whose first id is ``base`` (see :func:`call_id`)."""
    return ID_PREFIX + call_id(base, call)


_ID_STRIDE = 0x9E3779B97F4A7C15F39CC0605CEDC835
"""Odd, so ``base + call * stride`` (mod 2**128) differs for every call number: ids from a counter."""


def call_id(base: str | int, call: int) -> str:
    """``base`` for the first call, then a different UUID-shaped id per call number (no hashing).

    ``base`` is the first call's id, or its number (:func:`id_number`) when many ids follow from it.
    """
    if call == 0 and isinstance(base, str):
        return base
    number = base if isinstance(base, int) else id_number(base)
    return _uuid_shape((number + call * _ID_STRIDE) % (1 << 128))


def id_number(base: str) -> int:
    """A UUID-shaped id's 128-bit number."""
    return int(base.replace("-", ""), 16)


def uuid_like(rng: random.Random) -> str:
    """A UUID-shaped hex id (the live API's ``chatcmpl-`` ids look like this)."""
    return _uuid_shape(rng.getrandbits(128))


def _uuid_shape(number: int) -> str:
    h = f"{number:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def response_model(request: Mapping[str, Any], profile: str) -> str:
    """The ``model`` to report: the request's, minus the vendor prefix under ``observed``.

    The vendor's example response says ``qwen3-vl-32b-thinking`` for a request
    naming ``alibaba/qwen3-vl-32b-thinking``; the documented schema only asks
    for a string, so the documented profile echoes the request.
    """
    model = request.get("model")
    name = model if isinstance(model, str) and model else DEFAULT_MODEL
    return name.split("/", 1)[-1] if profile == "observed" else name


# --- budget and prompt ------------------------------------------------------------------------


def token_budget(request: Mapping[str, Any]) -> int | None:
    """The completion token bound: the smaller of ``max_completion_tokens`` and floored ``max_tokens``."""
    bounds = [
        math.floor(value)
        for value in (request.get("max_completion_tokens"), request.get("max_tokens"))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ]
    return max(0, min(bounds)) if bounds else None


def prompt_tokens(request: Mapping[str, Any]) -> tuple[int, int]:
    """(prompt tokens in total, of which image tokens); see the module docstring for the rule."""
    messages = request.get("messages")
    text, images = REPLY_PRIMER, 0
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, Mapping):
            continue
        text += MESSAGE_OVERHEAD + count_prompt_tokens(_message_text(message))
        images += sum(_image_cost(part) for part in _parts(message.get("content")))
    tools = request.get("tools")
    if isinstance(tools, list) and tools:
        text += count_tokens(json.dumps(tools, sort_keys=True, default=str))
    return text + images, images


def _message_text(message: Mapping[str, Any]) -> str:
    pieces = [str(message.get("role", "")), str(message.get("name") or "")]
    content = message.get("content")
    if isinstance(content, str):
        pieces.append(content)
    pieces += [str(part.get("text") or part.get("refusal") or "") for part in _parts(content)]
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            pieces += [str(function.get("name", "")), str(function.get("arguments", ""))]
    return " ".join(pieces)


def _parts(content: Any) -> list[Mapping[str, Any]]:
    return [part for part in content if isinstance(part, Mapping)] if isinstance(content, list) else []


def _image_cost(part: Mapping[str, Any]) -> int:
    if part.get("type") != "image_url":
        return 0
    image = part.get("image_url")
    detail = image.get("detail", "auto") if isinstance(image, Mapping) else "auto"
    return IMAGE_TOKENS.get(detail, IMAGE_TOKENS["auto"])


def _topic(request: Mapping[str, Any], rng: random.Random) -> tuple[str, bool]:
    """A keyword from the last user message, and whether that message shows an image."""
    messages = request.get("messages")
    users = (
        [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
        if isinstance(messages, list)
        else []
    )
    if not users:
        return pick_topic("", rng), False
    last = users[-1]
    content = last.get("content")
    text = content if isinstance(content, str) else " ".join(str(p.get("text", "")) for p in _parts(content))
    has_image = any(part.get("type") == "image_url" for part in _parts(content))
    topic = pick_topic(text, rng)
    return ("the image" if has_image and topic == "this question" else topic), has_image
