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
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from contract_kit.mock.errors_body import error_bytes
from contract_kit.mock.transports.routing import PacedChunks, wire_headers
from contract_kit.mock.types import Handler, MockRequest, MockResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_HEADERS = 100  # Apache's LimitRequestFields; clients and SDKs send about a dozen
DEFAULT_MAX_HEADER_BYTES = 64 * 1024  # names plus values; four times h11's and Node's 16 KB head limit
logger = logging.getLogger("contract_kit.mock")


class DeliberateCut(Exception):
    """Raised by the app to drop a connection on purpose (``cut=True``)."""


class _HideDeliberateCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DeliberateCut))


def hide_deliberate_cuts(logger_name: str = "uvicorn.error") -> None:
    server_logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, _HideDeliberateCuts) for existing in server_logger.filters):
        server_logger.addFilter(_HideDeliberateCuts())


class _ASGIChunks(PacedChunks):
    def cut_error(self) -> Exception:
        return DeliberateCut("mock response cut on purpose (cut=True)")


class _ClientGone(Exception):
    """The client disconnected before its body was read; nothing to answer."""


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
    ) -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_many = self._too_many_headers(scope.get("headers", []))
        if too_many is not None:
            await send(_start_message(too_many))
            await _send_body(send, too_many)
            return
        try:
            body = await _read_body(scope, receive, self.max_body_bytes)
        except _ClientGone:
            return
        if body is None:
            too_large = self._too_large()
            await send(_start_message(too_large))
            await _send_body(send, too_large)
            return
        response, start = self._answer(_to_mock_request(scope, body))
        await send(start)
        await _send_body(send, response)

    def _too_many_headers(self, headers: list[tuple[bytes, bytes]]) -> MockResponse | None:
        size = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > self.max_headers:
            message = (
                f"The request has {len(headers)} headers; the mock server's limit is {self.max_headers}."
            )
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

    def _answer(self, request: MockRequest) -> tuple[MockResponse, Message]:
        """The handler's response and its start message, or a 500 for either
        failing (a header that is not latin-1 fails only when encoded).

        The handler is called directly: it is sync, CPU-bound and fast, and a
        thread hop would cost more than the call.
        """
        try:
            response = self.handler(request)
            return response, _start_message(response)
        except Exception as exc:
            logger.exception("mock handler failed for %s %s", request.method, request.path)
            failure = _error(
                500, f"The mock handler raised {type(exc).__name__}: {exc}", code="mock_handler_error"
            )
            return failure, _start_message(failure)


def make_app(
    handler: Handler,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_headers: int = DEFAULT_MAX_HEADERS,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> MockASGIApp:
    """Build the ASGI app for ``handler`` (see the module doc for what it adds)."""
    hide_deliberate_cuts()
    return MockASGIApp(
        handler, max_body_bytes=max_body_bytes, max_headers=max_headers, max_header_bytes=max_header_bytes
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to set up, but servers run with ``lifespan="on"`` wait for it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or ``None`` once it is known to exceed ``limit``.

    Reading stops there: the rest is never buffered (the server then closes
    the connection rather than reuse it with unread bytes on it).
    """
    declared = _declared_length(scope)
    if declared is not None and declared > limit:
        return None
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def _to_mock_request(scope: Scope, body: bytes) -> MockRequest:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return MockRequest(
        method=scope["method"],
        url=_full_url(scope, headers),
        path=scope["path"],
        headers=headers,
        body=body,
    )


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


def _start_message(response: MockResponse) -> Message:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in wire_headers(response)
    ]
    return {"type": "http.response.start", "status": response.status, "headers": headers}


async def _send_body(send: Send, response: MockResponse) -> None:
    """One message for a plain body; one per chunk (then an empty final one)
    for a stream; for a cut response the paced chunks raise before the end."""
    if not response.is_stream and not response.cut:
        if response.first_byte_delay > 0:
            await asyncio.sleep(response.first_byte_delay)
        await send({"type": "http.response.body", "body": response.body or b"", "more_body": False})
        return
    async for chunk in _ASGIChunks(response):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
