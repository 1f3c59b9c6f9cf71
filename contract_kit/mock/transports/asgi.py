"""Serve a Handler as a raw ASGI 3 application (no web framework needed).

The app translates only, with three exceptions that a handler cannot do itself:

* more than ``max_headers`` headers, or more than ``max_header_bytes`` of
  header names and values, get a 431 before the body is read. uvicorn's
  httptools parser sets no limit of its own, so without this a header flood
  or a 100 KB header would reach the handler as a normal request;
* a body over ``max_body_bytes`` gets a 413 before the handler is called,
  because the point of the limit is not to buffer the body at all;
* a handler exception becomes a 500 with an OpenAI-style JSON error, so the
  server keeps serving and the client sees the same error shape as for any
  other failure. The traceback goes to the ``contract_kit.mock`` logger.

Hardening (limits in :mod:`contract_kit.mock.limits`, README "The mock's limits"):

* a control request (``/_contract/...``) whose ``Host`` is not a loopback name
  (or one of ``control_hosts``) gets a 403, so a web page that rebinds its DNS
  name to 127.0.0.1 cannot script the mock or read its calls log;
* a body not received within ``body_timeout`` seconds gets a 408;
* a request that may be heavy (a client schema to satisfy: ``tools``,
  ``json_schema``; or a large body) is answered in a worker thread, so it
  never holds up the event loop the other clients share; only for a handler
  that says it is safe to call from several threads (``thread_safe = True``,
  as :class:`~contract_kit.mock.service.MockService` does);
* a delayed answer (``latency``) stops sleeping as soon as its client
  disconnects, and a server shutting down drops it without a traceback;
* an HTTP/1.0 client gets a stream as one ``Content-Length`` body (HTTP/1.0
  has no chunked encoding).

Streaming: each chunk is its own ``http.response.body`` message with
``more_body=True``; uvicorn writes each one to the socket at once, which is
what makes the client see the chunks one by one. ``first_byte_delay`` is slept
after the headers and before the first body byte, ``chunk_delay`` between
chunks, as in the in-process transports.

Cutting: ASGI has no "abort" message, so after the chunks of a ``cut=True``
response the app raises; the server then drops the connection without the
final chunk and the client reports an incomplete body (httpx:
``RemoteProtocolError``). The server would log that raise as a crash with a
traceback, so ``make_app`` adds a filter to the ``uvicorn.error`` logger that
drops exactly those records (matched on the exception type, not the text).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from contract_kit.mock.control import CONTROL_PREFIX
from contract_kit.mock.errors_body import error_bytes
from contract_kit.mock.limits import BODY_TIMEOUT
from contract_kit.mock.transports.asgi_body import (
    BodyDeadlines,
    BodyTimeout,
    ClientGone,
    DeliberateCut,
    as_one_body,
    declared_length,
    send_until_gone,
    send_whole,
    start_message,
)
from contract_kit.mock.transports.routing import header_map
from contract_kit.mock.types import Handler, MockRequest, MockResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_HEADERS = 100  # Apache's LimitRequestFields; clients and SDKs send about a dozen
DEFAULT_MAX_HEADER_BYTES = 64 * 1024  # names plus values; four times h11's and Node's 16 KB head limit
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""The ``Host`` names a control request may carry unless the app is told more."""
_TOOLS, _JSON_SCHEMA = b'"tools"', b'"json_schema"'  # a client schema to satisfy
_HEAVY_BODY_BYTES = 64 * 1024
logger = logging.getLogger("contract_kit.mock")


class _HideDeliberateCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DeliberateCut))


def hide_deliberate_cuts(logger_name: str = "uvicorn.error") -> None:
    server_logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, _HideDeliberateCuts) for existing in server_logger.filters):
        server_logger.addFilter(_HideDeliberateCuts())


def _error(status: int, message: str, *, code: str) -> MockResponse:
    """Same OpenAI-style shape as every other error the mock sends."""
    return MockResponse(
        status, [("content-type", "application/json")], error_bytes(status, message, code=code)
    )


class MockASGIApp:
    """The ASGI callable; ``handler`` and the limits stay inspectable."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_headers: int = DEFAULT_MAX_HEADERS,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        control_hosts: frozenset[str] | None = LOOPBACK_HOSTS,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.handler = handler
        self.offload = bool(getattr(handler, "thread_safe", False))
        self.max_body_bytes = max_body_bytes
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.control_hosts = control_hosts
        self.body_timeout = body_timeout
        self.deadlines = BodyDeadlines(body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = scope.get("headers", [])
        headers = header_map(raw_headers)
        size = sum(map(len, itertools.chain.from_iterable(raw_headers)))  # names and values
        early = self._too_many_headers(len(raw_headers), size) or self._foreign_host(scope, headers)
        if early is not None:
            await send_whole(send, early)
            return
        try:
            body = await self.deadlines.read(receive, self.max_body_bytes, declared_length(headers))
        except ClientGone:
            return
        except BodyTimeout:
            await send_whole(send, self._too_slow())
            return
        if body is None:
            await send_whole(send, self._too_large())
            return
        request = MockRequest(scope["method"], _full_url(scope, headers), scope["path"], headers, body)
        response, start = (
            await self._answer_in_thread(request)
            if self.offload and _may_be_heavy(body)
            else self._answer_now(request)
        )
        if scope.get("http_version") == "1.0":
            response = as_one_body(response)
            start = start_message(response)
        await send(start)
        await send_until_gone(send, receive, response)

    def _foreign_host(self, scope: Scope, headers: Mapping[str, str]) -> MockResponse | None:
        """A 403 for a control request whose ``Host`` is not one the app may be driven from."""
        if self.control_hosts is None or CONTROL_PREFIX not in scope.get("path", ""):
            return None
        host = headers.get("host")
        if host is None:
            return None
        name = _host_name(host)
        if name in self.control_hosts:
            return None
        message = (
            f"The control plane answers only requests addressed to {', '.join(sorted(self.control_hosts))} "
            f"(this one was addressed to {name!r}); start the server with --allow-host to add a name."
        )
        return _error(403, message, code="host_not_allowed")

    def _too_slow(self) -> MockResponse:
        response = _error(
            408, f"The request body was not received within {self.body_timeout} s.", code="request_timeout"
        )
        response.headers.append(("connection", "close"))
        return response

    def _too_many_headers(self, count: int, size: int) -> MockResponse | None:
        if count > self.max_headers:
            message = f"The request has {count} headers; the mock server's limit is {self.max_headers}."
        elif size > self.max_header_bytes:
            message = (
                f"The request headers are {size} bytes; the mock server's limit is {self.max_header_bytes}."
            )
        else:
            return None
        return _error(431, message, code="request_header_fields_too_large")

    def _too_large(self) -> MockResponse:
        message = f"Request body is larger than the mock server's limit of {self.max_body_bytes} bytes."
        return _error(413, message, code="request_too_large")

    async def _answer_in_thread(self, request: MockRequest) -> tuple[MockResponse, Message]:
        return await asyncio.to_thread(self._answer_now, request)

    def _answer_now(self, request: MockRequest) -> tuple[MockResponse, Message]:
        """The handler's response and its start message, or a 500 for the handler failing
        or for a header that is not latin-1 (which fails only when encoded).

        Called directly for an ordinary request: it is sync, CPU-bound and fast,
        and a thread hop would cost more than the call.
        """
        try:
            response = self.handler(request)
            return response, start_message(response)
        except Exception as exc:
            logger.exception("mock handler failed for %s %s", request.method, request.path)
            failed = _error(
                500, f"The mock handler raised {type(exc).__name__}: {exc}", code="mock_handler_error"
            )
            return failed, start_message(failed)


def make_app(
    handler: Handler,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_headers: int = DEFAULT_MAX_HEADERS,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    allow_hosts: tuple[str, ...] = (),
    body_timeout: float = BODY_TIMEOUT,
) -> MockASGIApp:
    """Build the ASGI app for ``handler`` (see the module doc for what it adds).

    ``allow_hosts`` adds ``Host`` names the control plane answers besides the
    loopback names; ``"*"`` among them turns the check off.
    """
    hide_deliberate_cuts()
    hosts = None if "*" in allow_hosts else LOOPBACK_HOSTS | {_host_name(h) for h in allow_hosts}
    return MockASGIApp(
        handler,
        max_body_bytes=max_body_bytes,
        max_headers=max_headers,
        max_header_bytes=max_header_bytes,
        control_hosts=hosts,
        body_timeout=body_timeout,
    )


def _host_name(host: str) -> str:
    """``Host`` without its port and IPv6 brackets, lower-case: ``[::1]:4010`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _may_be_heavy(body: bytes) -> bool:
    """Whether answering may take real work (a client schema, a large body): then a thread does it."""
    return len(body) > _HEAVY_BODY_BYTES or _TOOLS in body or _JSON_SCHEMA in body


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to set up, but servers run with ``lifespan="on"`` wait for it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _full_url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    url = f"{scheme}://{host}{raw_path.decode('latin-1')}"
    query = scope.get("query_string", b"")
    return f"{url}?{query.decode('latin-1')}" if query else url
