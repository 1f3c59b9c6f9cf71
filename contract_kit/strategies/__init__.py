"""Hypothesis strategies for chat-completions requests, responses and streams, derived from a contract.

::

    from hypothesis import given
    from contract_kit.strategies import chat_requests, invalid_chat_requests

    @given(chat_requests(tools=True))
    def test_my_client_serializes(request): ...

Every strategy takes the :class:`~contract_kit.contract.effective.Contract` to derive
from (default: ``load_contract(profile)``), so the model enum, roles, part
types, enum values and numeric bounds come from the loaded document. What the
kit adds beyond the schema (real images, tool-call coherence, naming rules)
is in :mod:`contract_kit.strategies.knowledge`.

Modules: ``schema`` reads a converted schema; ``compile`` turns any schema
into a strategy; ``knowledge`` is what the schema cannot say, and
``coherence`` checks it; ``requests``, ``invalid`` (with ``mutations``),
``responses`` and ``streams`` build the four public strategies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from contract_kit.strategies.coherence import coherence_problems
from contract_kit.strategies.fallback import guarded
from contract_kit.strategies.invalid import INVALID_KINDS, InvalidBuilder, InvalidCase, raw_request_violations
from contract_kit.strategies.requests import RequestBuilder, RequestOptions
from contract_kit.strategies.responses import Completion, ResponseBuilder, ToolCall
from contract_kit.strategies.streams import StreamBuilder, StreamCase

if TYPE_CHECKING:
    from contract_kit.contract import Contract

__all__ = [
    "INVALID_KINDS",
    "Completion",
    "InvalidCase",
    "StreamCase",
    "ToolCall",
    "chat_requests",
    "chat_responses",
    "chat_streams",
    "coherence_problems",
    "invalid_chat_requests",
    "raw_request_violations",
]

_BUILDERS: dict[tuple[Any, ...], Any] = {}


def _contract(contract: Contract | None, profile: str | None) -> Contract:
    from contract_kit.contract import load_contract
    from contract_kit.contract.document import DEFAULT_PROFILE

    return contract if contract is not None else load_contract(profile or DEFAULT_PROFILE)


def chat_requests(
    contract: Contract | None = None,
    *,
    profile: str | None = None,
    stream: bool | None = None,
    tools: bool | None = None,
    images: bool | None = None,
    parts: bool | None = None,
    max_turns: int = 2,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid, coherent request bodies (JSON-ready dicts) for the contract's endpoint.

    ``stream``, ``tools``, ``images``: ``True`` always, ``False`` never,
    ``None`` (default) either. ``images=True`` puts at least one image part in
    the last user message; ``parts=True`` makes that message a list of parts.
    ``max_turns`` bounds the user turns of the conversation.
    """
    resolved = _contract(contract, profile)
    options = RequestOptions(stream=stream, tools=tools, images=images, parts=parts, max_turns=max_turns)
    key = ("requests", id(resolved.request_schema), options)
    if key not in _BUILDERS:
        _BUILDERS[key] = (
            resolved.request_schema,
            guarded(RequestBuilder(resolved.request_schema, options).requests(), resolved),
        )
    strategy: st.SearchStrategy[dict[str, Any]] = _BUILDERS[key][1]
    return strategy


def invalid_chat_requests(
    contract: Contract | None = None,
    *,
    profile: str | None = None,
    kinds: Iterable[str] | None = None,
) -> st.SearchStrategy[InvalidCase]:
    """Requests that break exactly one rule; each :class:`InvalidCase` names the violation it must cause.

    ``kinds`` restricts the breaks to some of :data:`INVALID_KINDS` (default: all).
    """
    resolved = _contract(contract, profile)
    key = ("invalid", id(resolved.request_schema), None if kinds is None else tuple(kinds))
    if key not in _BUILDERS:
        _BUILDERS[key] = (resolved.request_schema, InvalidBuilder(resolved.request_schema, kinds).cases())
    strategy: st.SearchStrategy[InvalidCase] = _BUILDERS[key][1]
    return strategy


def chat_responses(
    contract: Contract | None = None,
    *,
    profile: str | None = None,
    max_choices: int = 2,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``chat.completion`` bodies for the profile: each passes ``Contract.validate_response``."""
    resolved = _contract(contract, profile)
    schema = resolved.response_schema(200)
    if schema is None:
        raise ValueError(f"the {resolved.profile!r} contract documents no JSON 200 response")
    key = ("responses", id(schema), max_choices)
    if key not in _BUILDERS:
        _BUILDERS[key] = (schema, ResponseBuilder(schema, max_choices=max_choices).responses())
    strategy: st.SearchStrategy[dict[str, Any]] = _BUILDERS[key][1]
    return strategy


def chat_streams(
    contract: Contract | None = None,
    *,
    profile: str | None = None,
    include_usage: bool | None = None,
    hostile: bool = False,
) -> st.SearchStrategy[StreamCase]:
    """Valid event streams: chunk objects, their SSE bytes and the reads a client receives.

    ``include_usage`` pins whether a usage chunk ends the stream (``None``: either);
    ``hostile=True`` splits the reads mid-line and mid-UTF-8 and puts several events in one read.
    """
    resolved = _contract(contract, profile)
    schema = resolved.chunk_schema
    if schema is None:
        raise ValueError(f"the {resolved.profile!r} contract documents no text/event-stream 200 response")
    key = ("streams", id(schema), include_usage, hostile)
    if key not in _BUILDERS:
        _BUILDERS[key] = (
            schema,
            StreamBuilder(schema, include_usage=include_usage, hostile=hostile).streams(),
        )
    strategy: st.SearchStrategy[StreamCase] = _BUILDERS[key][1]
    return strategy
