"""Reading and sending ASGI bodies for :mod:`contract_kit.mock.transports.asgi`, within time limits.

Split from the app because this is where a slow or vanishing client meets the
mock: a body that does not arrive in time, a paced answer whose client has
left, a server shutting down under sleeping answers, an HTTP/1.0 client that
cannot take chunked encoding. The app decides *what* to answer; this module
moves the bytes and gives up at the right moment.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from contract_kit.mock.transports.routing import PacedChunks, wire_headers
from contract_kit.mock.types import MockResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class DeliberateCut(Exception):
    """Raised by the app to drop a connection on purpose (``cut=True``)."""


class _ASGIChunks(PacedChunks):
    def cut_error(self) -> Exception:
        return DeliberateCut("mock response cut on purpose (cut=True)")


class ClientGone(Exception):
    """The client disconnected before its body was read; nothing to answer."""


class BodyTimeout(Exception):
    """The client did not send its whole body in time."""


def declared_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


class BodyDeadlines:
    """Reads request bodies within ``timeout`` seconds, checked by one timer per event loop.

    A deadline per request (``asyncio.timeout``) schedules and cancels a timer
    for every request, about a tenth of the served mock's CPU per request; the
    reads in flight are few, so one periodic check over them costs less. A
    read past its deadline is cancelled at the next check (at most a quarter
    of ``timeout``, and a second, late) and raises :class:`BodyTimeout`.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.interval = max(0.005, min(1.0, timeout / 4))
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopReads] = (
            weakref.WeakKeyDictionary()
        )
        self._last: _LoopReads | None = None

    async def read(self, receive: Receive, limit: int, declared: int | None) -> bytes | None:
        """The request body, or ``None`` once it is known to exceed ``limit``.

        Reading stops there: the rest is never buffered (the server then closes
        the connection rather than reuse it with unread bytes on it).
        """
        if declared is not None and declared > limit:
            return None
        task = asyncio.current_task()
        if task is None:  # not in a task (a test driving the coroutine by hand): no deadline to enforce
            return await _receive_body(receive, limit)
        loop = asyncio.get_running_loop()
        reads = self._last if self._last is not None and self._last.loop is loop else self._reads_of(loop)
        reads.start(task, self.timeout)
        try:
            return await _receive_body(receive, limit)
        except asyncio.CancelledError:
            if not reads.expired(task):
                raise
            uncancel = getattr(task, "uncancel", None)  # Python 3.11+: this cancellation is handled
            if uncancel is not None:
                uncancel()
            raise BodyTimeout from None
        finally:
            reads.finish(task)

    def _reads_of(self, loop: asyncio.AbstractEventLoop) -> _LoopReads:
        reads = self._loops.get(loop)
        if reads is None:
            reads = self._loops[loop] = _LoopReads(loop, self.interval)
        self._last = reads  # one loop serves nearly every request: skip the weak lookup next time
        return reads


class _LoopReads:
    """The body reads in flight on one event loop, and the one timer that checks them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self.deadlines: dict[asyncio.Task[Any], float] = {}
        self.cancelled: set[asyncio.Task[Any]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[Any], timeout: float) -> None:
        self.deadlines[task] = self.loop.time() + timeout
        if self.timer is None:
            self.timer = self.loop.call_later(self.interval, self._check)

    def finish(self, task: asyncio.Task[Any]) -> None:
        self.deadlines.pop(task, None)
        self.cancelled.discard(task)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        return task in self.cancelled

    def _check(self) -> None:
        now = self.loop.time()
        for task, deadline in list(self.deadlines.items()):
            if deadline <= now and task not in self.cancelled:
                self.cancelled.add(task)
                task.cancel()
        self.timer = self.loop.call_later(self.interval, self._check) if self.deadlines else None


async def _receive_body(receive: Receive, limit: int) -> bytes | None:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def start_message(response: MockResponse) -> Message:
    headers = [(_wire_name(name), value.encode("latin-1")) for name, value in wire_headers(response)]
    return {"type": "http.response.start", "status": response.status, "headers": headers}


@functools.lru_cache(maxsize=256)
def _wire_name(name: str) -> bytes:
    """A header name as ASGI sends it (lower-case bytes); the mock sends the same few names each time."""
    return name.lower().encode("latin-1")


async def send_whole(send: Send, response: MockResponse) -> None:
    await send(start_message(response))
    await _send_body(send, response)


async def _send_body(send: Send, response: MockResponse) -> None:
    """One message for a plain body; one per chunk (then an empty final one)
    for a stream; for a cut response the paced chunks raise before the end."""
    if not response.is_stream and not response.cut:
        if response.first_byte_delay > 0:
            await asyncio.sleep(response.first_byte_delay)
        await send({"type": "http.response.body", "body": response.body or b"", "more_body": False})
        return
    if response.chunks is not None and not response.cut and not _is_paced(response):
        await _send_chunks(send, response.chunks)
        return
    async for chunk in _ASGIChunks(response):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _send_chunks(send: Send, chunks: Sequence[bytes]) -> None:
    """A stream with no latency scheduled: a plain loop, one write per chunk, then the end.

    No async generator and no sleep check per chunk: on a served stream those
    cost more than the write itself.
    """
    for chunk in chunks:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _is_paced(response: MockResponse) -> bool:
    return response.first_byte_delay > 0 or response.chunk_delay > 0 or bool(response.chunk_delays)


async def send_until_gone(send: Send, receive: Receive, response: MockResponse) -> None:
    """Send the body; a paced one stops as soon as the client disconnects.

    A server shutting down cancels what is still sleeping: that is dropped as
    a deliberate cut (no traceback per abandoned request), not logged as a crash.
    """
    if not _is_paced(response):
        await _send_body(send, response)
        return
    sending = asyncio.ensure_future(_send_body(send, response))
    watching = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({sending, watching}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        raise DeliberateCut("the server is shutting down; the delayed answer was dropped") from None
    finally:
        for task in (sending, watching):
            if not task.done():
                task.cancel()
    if sending.done() and not sending.cancelled():
        sending.result()  # re-raise a deliberate cut


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def as_one_body(response: MockResponse) -> MockResponse:
    """A stream as one ``Content-Length`` body, for an HTTP/1.0 client (no chunked encoding there).

    A cut keeps its meaning: the length then counts one byte more than is
    sent before the connection drops, so the client sees a short body.
    """
    if not response.is_stream and not response.cut:
        return response
    body = response.full_body()
    headers = [
        (k, v) for k, v in response.headers if k.lower() not in ("content-length", "transfer-encoding")
    ]
    headers.append(("content-length", str(len(body) + (1 if response.cut else 0))))
    return MockResponse(
        response.status,
        headers,
        chunks=[body] if response.cut else None,
        body=None if response.cut else body,
        first_byte_delay=response.first_byte_delay,
        cut=response.cut,
    )
