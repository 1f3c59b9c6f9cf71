"""Answer httpx requests (sync and async) from a Handler, through respx.

This module only translates: ``httpx.Request`` -> ``MockRequest`` -> handler ->
``MockResponse`` -> ``httpx.Response``. Two routes are registered per router:

* ``"chat_completions"``: ``POST {base}/chat/completions`` for every base URL,
  so tests can assert ``router["chat_completions"].called``;
* ``"mock_fallback"``: every other method and path under the base URLs, so
  404 and 405 answers come from the handler too, exactly as on the server.

Requests outside the base URLs are *not* passed to the network by default:
respx raises its "not mocked" ``AssertionError``, which keeps a test from
reaching a real host by accident. ``pass_through_unmatched=True`` lets them
through (for example to a local ``BackgroundServer``).

Routes match in order, so routes you add to the same router *after* these
never match under a base URL; add them first, or set
``router["chat_completions"].side_effect`` instead.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx
from respx.models import SideEffectError
from respx.patterns import M, Pattern

from contract_kit.defaults import DEFAULT_BASE_URL
from contract_kit.mock.transports.routing import (
    CUT_MESSAGE,
    BaseURL,
    PacedChunks,
    header_map,
    needs_paced_stream,
    parse_base_urls,
    wire_headers,
)
from contract_kit.mock.types import Handler, MockRequest, MockResponse

CHAT_ROUTE = "chat_completions"
FALLBACK_ROUTE = "mock_fallback"
PASS_THROUGH_ROUTE = "pass_through"
ALLOWED_ROUTE = "allowed_hosts"
UNMATCHED_ROUTE = "unmatched"


class ChunkStream(PacedChunks, httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that httpx reads write by write, so ``iter_raw()``
    sees each chunk on its own. Sync clients sleep, async clients await."""

    def cut_error(self) -> Exception:
        return httpx.RemoteProtocolError(CUT_MESSAGE)


def to_mock_request(request: httpx.Request) -> MockRequest:
    """respx has read the body already, so ``content`` is safe in both modes."""
    return MockRequest(
        method=request.method,
        url=str(request.url),
        path=request.url.path,
        headers=header_map(request.headers.raw, request.headers.encoding),
        body=request.content,
    )


def to_httpx_response(response: MockResponse, request: httpx.Request | None = None) -> httpx.Response:
    """A plain body becomes a ``ByteStream`` that respx pre-reads (so the
    recorded ``route.calls.last.response.content`` works); anything paced or
    cut keeps its own stream. With ``request`` attached, respx does not clone
    the response for it."""
    headers = wire_headers(response)
    if needs_paced_stream(response):
        stream: httpx.SyncByteStream = ChunkStream(response)
    else:
        stream = httpx.ByteStream(response.body or b"")
    return httpx.Response(response.status, headers=headers, stream=stream, request=request)


def side_effect(handler: Handler) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect. It is synchronous on purpose: respx calls it for
    sync and async clients alike, and the handler is sync and fast. Handler
    exceptions propagate unchanged, so a broken handler fails the test with
    its own traceback instead of a 500 the client might retry."""

    def respond(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(handler(to_mock_request(request)), request)

    return respond


class HandlerRoute(respx.Route):
    """A respx route that calls the mock's own side effect directly.

    respx inspects a side effect's signature on every call (to pass ``route=``
    to those that ask); the handler never asks, so that per-call cost is
    skipped for it. Anything else set as ``side_effect`` (a test may replace
    it) goes through respx's own path, unchanged.
    """

    direct: Callable[[httpx.Request], httpx.Response] | None = None

    def _call_side_effect(self, effect: Any, request: httpx.Request, **kwargs: Any) -> Any:
        direct = self.direct
        if direct is None or effect is not direct or kwargs:
            return super()._call_side_effect(effect, request, **kwargs)
        try:
            return direct(request)
        except Exception as error:
            raise SideEffectError(self, origin=error) from error


def _handler_route(
    router: respx.Router, pattern: Pattern, name: str, effect: Callable[[httpx.Request], httpx.Response]
) -> respx.Route:
    route = HandlerRoute(pattern)
    route.direct = effect
    return router.add(route.mock(side_effect=effect), name=name)


def _origin(base: BaseURL) -> dict[str, object]:
    return {"scheme": base.scheme, "host": base.host, "port": base.port}


def _any_of(patterns: Iterable[Pattern]) -> Pattern:
    return functools.reduce(operator.or_, patterns)


def register_routes(
    router: respx.Router,
    handler: Handler,
    base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
    *,
    pass_through_unmatched: bool = False,
    unmatched: Handler | None = None,
    allow_hosts: Iterable[str] = (),
) -> respx.Route:
    """Add the mock's routes to ``router`` and return the chat-completions one.

    ``unmatched`` answers (or refuses, by raising) every request outside the
    base URLs except those to ``allow_hosts``, which go to the network. Use a
    router without its own ``base_url``: respx would merge it into these patterns.
    """
    bases = parse_base_urls(base_urls)
    effect = side_effect(handler)
    chat = _handler_route(
        router,
        M(method="POST") & _any_of(M(**_origin(base), path=base.chat_completions_path) for base in bases),
        CHAT_ROUTE,
        effect,
    )
    under_bases = _any_of(
        M(**_origin(base), path__regex=rf"^{re.escape(base.path)}(/.*)?$") for base in bases
    )
    _handler_route(router, under_bases, FALLBACK_ROUTE, effect)
    hosts = tuple(sorted(set(allow_hosts)))
    if hosts:
        router.route(host__in=hosts, name=ALLOWED_ROUTE).pass_through()
    if unmatched is not None:
        router.route(name=UNMATCHED_ROUTE).mock(side_effect=side_effect(unmatched))
    if pass_through_unmatched:
        router.route(name=PASS_THROUGH_ROUTE).pass_through()
    return chat


@contextmanager
def respx_mock(
    handler: Handler,
    base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
    *,
    pass_through_unmatched: bool = False,
    unmatched: Handler | None = None,
    allow_hosts: Iterable[str] = (),
) -> Iterator[respx.MockRouter]:
    """Patch httpx for the block and yield the router.

    ``assert_all_called=False``: a test that never calls the API is not wrong.
    Unmatched requests raise unless ``pass_through_unmatched`` (see module doc);
    ``unmatched`` and ``allow_hosts`` are as in :func:`register_routes`.
    """
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        register_routes(
            router,
            handler,
            base_urls,
            pass_through_unmatched=pass_through_unmatched,
            unmatched=unmatched,
            allow_hosts=allow_hosts,
        )
        yield router
