"""Answer httpx2 requests -- and so the ``openai`` SDK's -- from a Handler.

The openai SDK 3.x sends through ``httpx2``, not ``httpx``, and builds its own
``httpx2.Client`` / ``AsyncClient`` whose default transport is
``httpx2.HTTPTransport`` / ``AsyncHTTPTransport``, so respx never sees it. Two
ways in, both translating only (handler exceptions propagate unchanged):

* ``patch_httpx2(handler, base_urls)``: while active, the two transport classes'
  ``handle_request`` / ``handle_async_request`` are replaced. Requests under a
  mocked base URL go to the handler; every other request goes to the original
  method, so real and loopback servers keep working. User code is untouched:
  ``openai.OpenAI(base_url="https://api.aimlapi.com/v1")`` just works. This is
  how respx patches httpx, and it is process-wide in the same way.
* ``mock_http_client(handler, base_urls)``: no patching; pass the returned client
  as ``openai.OpenAI(http_client=...)``. Requests outside the base URLs raise
  ``UnmockedRequestError`` instead of reaching the network.

Nesting is safe: activations form a stack, the innermost one whose base URL
matches answers, and the originals come back when the last one exits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, overload

import httpx2

from contract_kit.defaults import DEFAULT_BASE_URL
from contract_kit.errors import UnmockedRequestError
from contract_kit.mock.transports.routing import (
    CUT_MESSAGE,
    BaseURL,
    PacedChunks,
    find_base,
    header_map,
    needs_paced_stream,
    parse_base_urls,
    wire_headers,
)
from contract_kit.mock.types import Handler, MockRequest, MockResponse


class ChunkStream(PacedChunks, httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """The httpx2 twin of ``respx_transport.ChunkStream``: one read per chunk."""

    def cut_error(self) -> Exception:
        return httpx2.RemoteProtocolError(CUT_MESSAGE)


def to_mock_request(request: httpx2.Request, body: bytes) -> MockRequest:
    return MockRequest(
        method=request.method,
        url=str(request.url),
        path=request.url.path,
        headers=header_map(request.headers.raw, request.headers.encoding),
        body=body,
    )


def to_httpx2_response(response: MockResponse) -> httpx2.Response:
    headers = wire_headers(response)
    if needs_paced_stream(response):
        stream: httpx2.SyncByteStream = ChunkStream(response)
    else:
        stream = httpx2.ByteStream(response.body or b"")
    return httpx2.Response(response.status, headers=headers, stream=stream)


class Httpx2Mock:
    """One activation: the handler, its base URLs and the requests it answered.

    With ``unmatched``, the activation is hermetic: a request outside every
    active base URL goes to ``unmatched`` (which answers or raises) instead of
    the network, unless its host is one of ``allow_hosts``.
    """

    def __init__(
        self,
        handler: Handler,
        base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
        *,
        unmatched: Handler | None = None,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        self.handler = handler
        self.bases: tuple[BaseURL, ...] = parse_base_urls(base_urls)
        self.calls: list[MockRequest] = []
        self.unmatched = unmatched
        self.allow_hosts = frozenset(allow_hosts)

    def handles(self, url: httpx2.URL) -> bool:
        return find_base(self.bases, url.scheme, url.host, url.port, url.path) is not None

    def blocks(self, url: httpx2.URL) -> bool:
        return self.unmatched is not None and url.host not in self.allow_hosts

    def refuse(self, request: httpx2.Request, body: bytes) -> httpx2.Response:
        assert self.unmatched is not None
        return to_httpx2_response(self.unmatched(to_mock_request(request, body)))

    def respond(self, request: httpx2.Request, body: bytes) -> httpx2.Response:
        mock_request = to_mock_request(request, body)
        self.calls.append(mock_request)
        return to_httpx2_response(self.handler(mock_request))

    def unmocked(self, request: httpx2.Request) -> UnmockedRequestError:
        bases = ", ".join(repr(str(base)) for base in self.bases)
        return UnmockedRequestError(
            f"{request.method} {request.url} is not under any mocked base URL ({bases}); "
            "add its base URL to base_urls, or use patch_httpx2() to let other hosts through"
        )


class MockHTTPTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """A transport that only talks to the handler; for ``mock_http_client``."""

    def __init__(self, mock: Httpx2Mock) -> None:
        self.mock = mock

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self.mock.handles(request.url):
            raise self.mock.unmocked(request)
        return self.mock.respond(request, request.read())

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self.mock.handles(request.url):
            raise self.mock.unmocked(request)
        return self.mock.respond(request, await request.aread())


@overload
def mock_http_client(
    handler: Handler, base_urls: str | Iterable[str] = ..., async_: Literal[False] = False, **kwargs: Any
) -> httpx2.Client: ...
@overload
def mock_http_client(
    handler: Handler, base_urls: str | Iterable[str] = ..., *, async_: Literal[True], **kwargs: Any
) -> httpx2.AsyncClient: ...
@overload
def mock_http_client(
    handler: Handler, base_urls: str | Iterable[str] = ..., async_: bool = ..., **kwargs: Any
) -> httpx2.Client | httpx2.AsyncClient: ...
def mock_http_client(
    handler: Handler,
    base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
    async_: bool = False,
    **kwargs: Any,
) -> httpx2.Client | httpx2.AsyncClient:
    """An httpx2 client wired to the handler, for ``OpenAI(http_client=...)``.

    ``kwargs`` go to the client constructor (``timeout``, ``headers``...).
    """
    transport = MockHTTPTransport(Httpx2Mock(handler, base_urls))
    if async_:
        return httpx2.AsyncClient(transport=transport, **kwargs)
    return httpx2.Client(transport=transport, **kwargs)


class _Patcher:
    """The stack of active mocks and the saved transport methods.

    The replacement functions look the stack up on every request, so entering
    or leaving an inner mock never re-patches; only the first entry saves the
    originals and only the last exit restores them. A lock keeps that pair
    consistent when tests start mocks from several threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stack: list[Httpx2Mock] = []
        self._saved: tuple[Any, Any] | None = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def find(self, url: httpx2.URL) -> Httpx2Mock | None:
        return next((mock for mock in reversed(self._stack) if mock.handles(url)), None)

    def blocker(self, url: httpx2.URL) -> Httpx2Mock | None:
        """The innermost hermetic activation that keeps ``url`` from the network, if any."""
        return next((mock for mock in reversed(self._stack) if mock.blocks(url)), None)

    def push(self, mock: Httpx2Mock) -> None:
        with self._lock:
            if self._saved is None:
                self._saved = (
                    httpx2.HTTPTransport.handle_request,
                    httpx2.AsyncHTTPTransport.handle_async_request,
                )
                httpx2.HTTPTransport.handle_request = _handle_request  # type: ignore[method-assign]
                httpx2.AsyncHTTPTransport.handle_async_request = _handle_async_request  # type: ignore[method-assign]
            self._stack.append(mock)

    def pop(self, mock: Httpx2Mock) -> None:
        with self._lock:
            self._stack.remove(mock)
            if not self._stack and self._saved is not None:
                sync_method, async_method = self._saved
                httpx2.HTTPTransport.handle_request = sync_method  # type: ignore[method-assign]
                httpx2.AsyncHTTPTransport.handle_async_request = async_method  # type: ignore[method-assign]
                self._saved = None

    def original_sync(self, transport: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        saved = self._saved
        method = saved[0] if saved else httpx2.HTTPTransport.handle_request
        response: httpx2.Response = method(transport, request)
        return response

    async def original_async(
        self, transport: httpx2.AsyncHTTPTransport, request: httpx2.Request
    ) -> httpx2.Response:
        saved = self._saved
        method = saved[1] if saved else httpx2.AsyncHTTPTransport.handle_async_request
        response: httpx2.Response = await method(transport, request)
        return response


_PATCHER = _Patcher()


def _handle_request(self: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
    mock = _PATCHER.find(request.url)
    if mock is not None:
        return mock.respond(request, request.read())
    blocker = _PATCHER.blocker(request.url)
    if blocker is not None:
        return blocker.refuse(request, request.read())
    return _PATCHER.original_sync(self, request)


async def _handle_async_request(self: httpx2.AsyncHTTPTransport, request: httpx2.Request) -> httpx2.Response:
    mock = _PATCHER.find(request.url)
    if mock is not None:
        return mock.respond(request, await request.aread())
    blocker = _PATCHER.blocker(request.url)
    if blocker is not None:
        return blocker.refuse(request, await request.aread())
    return await _PATCHER.original_async(self, request)


def is_patched() -> bool:
    """True while any ``patch_httpx2`` block is active."""
    return _PATCHER.active


@contextmanager
def patch_httpx2(
    handler: Handler,
    base_urls: str | Iterable[str] = (DEFAULT_BASE_URL,),
    *,
    unmatched: Handler | None = None,
    allow_hosts: Iterable[str] = (),
) -> Iterator[Httpx2Mock]:
    """Route httpx2 requests under ``base_urls`` to ``handler`` for the block.

    Yields the activation; its ``calls`` lists the requests it answered.
    ``unmatched`` makes it hermetic (see :class:`Httpx2Mock`).
    """
    mock = Httpx2Mock(handler, base_urls, unmatched=unmatched, allow_hosts=allow_hosts)
    _PATCHER.push(mock)
    try:
        yield mock
    finally:
        _PATCHER.pop(mock)
