"""Hypothesis strategies for chat-completions requests, responses and streams, derived from a contract.

::

    from hypothesis import given
    from contract_kit.strategies import chat_requests, invalid_chat_requests

    @given(chat_requests(tools=True))
    def test_my_client_serializes(request): ...

Every strategy takes the :class:`~contract_kit.contract.effective.Contract` to derive
from (default: the contract the pytest run is configured with, resolved when it
first draws; ``load_contract()``'s default outside pytest), so the model enum, roles, part
types, enum values and numeric bounds come from the loaded document. What the
kit adds beyond the schema (real images, tool-call coherence, naming rules)
is in :mod:`contract_kit.strategies.knowledge`.

Modules: ``schema`` reads a converted schema; ``compile`` turns any schema
into a strategy; ``knowledge`` is what the schema cannot say, and
``coherence`` checks it; ``requests``, ``invalid`` (with ``mutations``),
``responses`` and ``streams`` build the four public strategies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from contract_kit.contract import active_contracts
from contract_kit.errors import SpecError
from contract_kit.strategies.coherence import coherence_problems
from contract_kit.strategies.compile import warmed
from contract_kit.strategies.documents import across, with_model
from contract_kit.strategies.fallback import guarded
from contract_kit.strategies.invalid import INVALID_KINDS, InvalidBuilder, InvalidCase, raw_request_violations
from contract_kit.strategies.requests import RequestBuilder, RequestOptions
from contract_kit.strategies.responses import Completion, ResponseBuilder, ToolCall
from contract_kit.strategies.streams import StreamBuilder, StreamCase

if TYPE_CHECKING:
    from contract_kit.contract import Contract, ContractSet

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

_BUILDERS: dict[tuple[Any, ...], tuple[Any, st.SearchStrategy[Any]]] = {}
_BUILD_LOCK = threading.Lock()
Make = Callable[["Contract"], tuple[Any, st.SearchStrategy[Any]]]


def _for_contract(
    contract: Contract | ContractSet | None,
    profile: str | None,
    key: tuple[Any, ...],
    make: Make,
    model: str | None = None,
) -> st.SearchStrategy[Any]:
    """The strategy ``make`` builds for ``contract``; without one, for the run's configured contract.

    A :class:`~contract_kit.contract.ContractSet` (or a run configured with several documents)
    draws from each document's strategy; ``model`` keeps to the document that lists it.

    The configured contract (``--contract-spec``, ``--contract-profile``, their ini
    keys; ``load_contract()``'s default outside pytest) is resolved when
    Hypothesis first validates or draws, not when the module defining the test
    is imported, which is before pytest's settings are known. Either way the
    builder is made once per contract and reused.
    """

    def build(resolved: Contract) -> st.SearchStrategy[Any]:
        return _built(resolved, key, make)

    if contract is not None:
        return across(contract, model, build)
    return st.deferred(lambda: across(active_contracts(profile), model, build))


def _built(contract: Contract, key: tuple[Any, ...], make: Make) -> st.SearchStrategy[Any]:
    full_key = (*key, id(contract))
    with _BUILD_LOCK:
        if full_key not in _BUILDERS:
            # The contract is kept in the value so its id is never reused while cached.
            _BUILDERS[full_key] = (contract, warmed(make(contract)[1]))
        return _BUILDERS[full_key][1]


def chat_requests(
    contract: Contract | ContractSet | None = None,
    *,
    profile: str | None = None,
    model: str | None = None,
    stream: bool | None = None,
    tools: bool | None = None,
    images: bool | None = None,
    parts: bool | None = None,
    max_turns: int = 2,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid, coherent request bodies (JSON-ready dicts) for the contract's endpoint.

    ``contract`` (default: the run's configured contract, see :func:`_for_contract`;
    ``profile`` picks another profile of it). ``stream``, ``tools``, ``images``:
    ``True`` always, ``False`` never, ``None`` (default) either. ``images=True``
    puts at least one image part in the last user message; ``parts=True`` makes
    that message a list of parts. ``max_turns`` bounds the user turns of the conversation.
    A :class:`~contract_kit.contract.ContractSet` draws across its documents; ``model`` draws only
    requests for that model, from the document that lists it.
    """
    options = RequestOptions(stream=stream, tools=tools, images=images, parts=parts, max_turns=max_turns)

    def make(resolved: Contract) -> tuple[Any, st.SearchStrategy[Any]]:
        requests = RequestBuilder(resolved.request_schema, options).requests()
        return resolved.request_schema, guarded(requests, resolved)

    requests = _for_contract(contract, profile, ("requests", profile, options), make, model)
    return requests if model is None else requests.map(with_model(model))


def invalid_chat_requests(
    contract: Contract | ContractSet | None = None,
    *,
    profile: str | None = None,
    model: str | None = None,
    kinds: Iterable[str] | None = None,
) -> st.SearchStrategy[InvalidCase]:
    """Requests that break exactly one rule; each :class:`InvalidCase` names the violation it must cause.

    ``kinds`` restricts the breaks to some of :data:`INVALID_KINDS` (default: all); ``model``
    draws from the document that lists that model only.
    """
    chosen = None if kinds is None else tuple(kinds)

    def make(resolved: Contract) -> tuple[Any, st.SearchStrategy[Any]]:
        return resolved.request_schema, InvalidBuilder(resolved.request_schema, chosen).cases()

    return _for_contract(contract, profile, ("invalid", profile, chosen), make, model)


def chat_responses(
    contract: Contract | ContractSet | None = None,
    *,
    profile: str | None = None,
    model: str | None = None,
    max_choices: int = 2,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``chat.completion`` bodies for the profile: each passes ``Contract.validate_response``.

    ``model``: bodies of the document that lists that model only (default: any loaded document).
    """

    def make(resolved: Contract) -> tuple[Any, st.SearchStrategy[Any]]:
        schema = resolved.response_schema(200)
        if schema is None:
            raise SpecError(
                f"the {resolved.profile!r} contract documents no JSON 200 response; "
                "add one to the document or an overlay, or use chat_streams()"
            )
        return schema, ResponseBuilder(schema, max_choices=max_choices).responses()

    return _for_contract(contract, profile, ("responses", profile, max_choices), make, model)


def chat_streams(
    contract: Contract | ContractSet | None = None,
    *,
    profile: str | None = None,
    model: str | None = None,
    include_usage: bool | None = None,
    hostile: bool = False,
) -> st.SearchStrategy[StreamCase]:
    """Valid event streams: chunk objects, their SSE bytes and the reads a client receives.

    ``include_usage`` pins whether a usage chunk ends the stream (``None``: either);
    ``hostile=True`` splits the reads mid-line and mid-UTF-8 and puts several events in one read;
    ``model`` keeps to the document that lists that model.
    """

    def make(resolved: Contract) -> tuple[Any, st.SearchStrategy[Any]]:
        schema = resolved.chunk_schema
        if schema is None:
            raise SpecError(
                f"the {resolved.profile!r} contract documents no text/event-stream 200 response; "
                "add one to the document or an overlay, or use chat_responses()"
            )
        return schema, StreamBuilder(schema, include_usage=include_usage, hostile=hostile).streams()

    return _for_contract(contract, profile, ("streams", profile, include_usage, hostile), make, model)
