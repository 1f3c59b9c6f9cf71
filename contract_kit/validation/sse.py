"""Server-sent events: a spec-exact decoder and the encoders the mock server uses.

The decoder follows the WHATWG HTML "event stream interpretation" rules, so a
stream that a browser's ``EventSource`` reads one way reads the same way here,
however the network split it into chunks. Deviations from a browser are only
additions made for diagnostics: ``comments`` counts comment lines, and
``incomplete`` reports an event that the stream never terminated (the spec
silently drops it, but a contract test should say so).

Identity of a round trip: ``encode_event`` writes every line break inside
``data`` as its own ``data:`` line, and the decoder joins them with ``"\\n"``.
So data whose line breaks are ``"\\n"`` comes back unchanged, while ``"\\r\\n"``
and a lone ``"\\r"`` come back as ``"\\n"``, exactly as in a browser.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from contract_kit.errors import SSEError

__all__ = [
    "DONE",
    "Event",
    "SSEDecoder",
    "aiter_events",
    "decode",
    "encode_event",
    "encode_json_chunks",
    "iter_events",
    "rechunk",
]

DONE = "[DONE]"
"""The data value OpenAI-compatible servers send as their last event."""

# Only CR, LF and CRLF end a line in an event stream. ``str.splitlines`` must
# not be used: it also splits on \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029,
# all of which are ordinary characters inside SSE data.
_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"
_LINE_ENDINGS = ("\n", "\r\n", "\r")
_PREVIEW_CHARS = 80


@dataclass(frozen=True)
class Event:
    """One dispatched event, as a browser's ``MessageEvent`` would carry it.

    ``id`` is the last event id in force when the event was dispatched (it
    persists across events, per the spec); ``None`` means no ``id`` field has
    been seen yet. ``retry`` is set only on the event whose block carried a
    valid ``retry`` field.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    @property
    def is_done(self) -> bool:
        """True for the OpenAI end-of-stream sentinel, which is not JSON."""
        return self.data == DONE

    def json(self) -> Any:
        """Parse ``data`` as JSON, naming the event when it is not JSON."""
        try:
            return json.loads(self.data)
        except json.JSONDecodeError as exc:
            hint = " (it is the [DONE] sentinel; check is_done first)" if self.is_done else ""
            raise SSEError(f"event data is not JSON{hint}: {exc}; data={_preview(self.data)!r}") from None


def _preview(text: str) -> str:
    """Keep error messages one readable line, even for a 40 KB payload."""
    if len(text) <= _PREVIEW_CHARS:
        return text
    return text[:_PREVIEW_CHARS] + "..."


class SSEDecoder:
    """Incremental event-stream parser: feed it bytes as they arrive.

    Chunks may split the stream anywhere, including inside a CRLF pair or a
    multi-byte UTF-8 character; the events produced never depend on where.
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_start = True  # a BOM is only skipped before the first character
        self._pending_cr = False  # last text ended in CR: a leading LF is its pair
        self._partial: list[str] = []  # pieces of the line not yet terminated
        self._data: list[str] = []  # data values of the event being built
        self._type = ""
        self._retry: int | None = None
        self._last_id: str | None = None
        self._has_fields = False  # any field line since the last blank line
        self._closed = False
        self.comments = 0
        self.incomplete = False

    @property
    def last_event_id(self) -> str | None:
        """The id a reconnecting client would send as ``Last-Event-ID``."""
        return self._last_id

    def feed(self, chunk: bytes) -> list[Event]:
        """Consume one network read and return the events it completed."""
        if self._closed:
            raise SSEError("feed() after close(); use a new SSEDecoder for a new stream")
        if isinstance(chunk, str):
            raise SSEError("feed() takes bytes, got str; pass the raw response bytes")
        return self._take_text(self._utf8.decode(chunk))

    def close(self) -> list[Event]:
        """End the stream; set ``incomplete`` if an event was left unterminated.

        The spec discards an unterminated event, so the list returned is
        always empty in practice; it is a list so callers can treat ``feed``
        and ``close`` alike.
        """
        if self._closed:
            return []
        events = self._take_text(self._utf8.decode(b"", True))
        partial = "".join(self._partial)
        unterminated_field = bool(partial) and not partial.startswith(":")
        self.incomplete = self._has_fields or unterminated_field
        self._partial = []
        self._closed = True
        return events

    def _take_text(self, text: str) -> list[Event]:
        """Split decoded text into lines, keeping the unterminated tail."""
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text.startswith(_BOM):
                text = text[1:]
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = text.endswith("\r")
        lines = _LINE_END.split(text)
        if len(lines) == 1:
            if text:
                self._partial.append(text)
            return []
        if self._partial:
            lines[0] = "".join(self._partial) + lines[0]
        tail = lines.pop()
        self._partial = [tail] if tail else []
        events: list[Event] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> Event | None:
        """Apply one complete line; a blank line may dispatch an event."""
        if not line:
            return self._dispatch()
        if line[0] == ":":
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        self._has_fields = True
        self._field(name, value)
        return None

    def _field(self, name: str, value: str) -> None:
        """Record a field; unknown names and invalid values are ignored."""
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> Event | None:
        """Build the event for a blank line, then reset the per-event buffers."""
        event: Event | None = None
        if self._data:
            event = Event(
                data="\n".join(self._data),
                event=self._type or "message",
                id=self._last_id,
                retry=self._retry,
            )
        self._data = []
        self._type = ""
        self._retry = None
        self._has_fields = False
        return event


def decode(data: bytes | Iterable[bytes], *, strict: bool = False) -> list[Event]:
    """Decode a whole stream; ``strict`` raises when the last event is unterminated."""
    chunks: Iterable[bytes] = (bytes(data),) if isinstance(data, (bytes, bytearray, memoryview)) else data
    decoder = SSEDecoder()
    events: list[Event] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    if strict and decoder.incomplete:
        raise SSEError(
            "stream ended inside an event (no blank line after its last field); "
            "the server must end every event with an empty line"
        )
    return events


def iter_events(chunks: Iterable[bytes]) -> Iterator[Event]:
    """Yield events as soon as the chunk that completes them arrives."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def aiter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[Event]:
    """Async twin of :func:`iter_events`, for ``httpx.Response.aiter_bytes()``."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event


def encode_event(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    line_ending: str = "\n",
) -> bytes:
    """Serialize one event so that :class:`SSEDecoder` reads back ``data``.

    Each line of ``data`` becomes its own ``data:`` line, so line breaks in
    the payload never end the event early.
    """
    _check_encodable(event=event, id=id, retry=retry, line_ending=line_ending)
    lines: list[str] = []
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" if line else "data:" for line in _LINE_END.split(data))
    text = line_ending.join(lines) + line_ending * 2
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SSEError(f"event text cannot be encoded as UTF-8 ({exc.reason} at {exc.start})") from None


def _check_encodable(*, event: str | None, id: str | None, retry: int | None, line_ending: str) -> None:
    """Reject values that would silently change meaning on the wire."""
    if line_ending not in _LINE_ENDINGS:
        raise SSEError(f"line_ending must be one of {_LINE_ENDINGS!r}, got {line_ending!r}")
    for name, value in (("event", event), ("id", id)):
        if value is not None and ("\r" in value or "\n" in value):
            raise SSEError(
                f"{name} must be a single line, got {value!r}; a CR or LF would end the field early"
            )
    if id is not None and "\x00" in id:
        raise SSEError(f"id must not contain NUL, got {id!r}; clients ignore such an id field")
    if retry is not None and (isinstance(retry, bool) or retry < 0):
        raise SSEError(f"retry must be a non-negative int of milliseconds, got {retry!r}")


def encode_json_chunks(chunks: Iterable[Mapping[str, Any]], *, done: bool = True) -> list[bytes]:
    """Serialize chat-completion chunks the way OpenAI streams them.

    One bytes item per event, because callers send each as one network write.
    """
    events: list[bytes] = []
    for index, chunk in enumerate(chunks):
        try:
            payload = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise SSEError(f"chunk {index} is not JSON-serializable: {exc}") from None
        events.append(b"data: " + payload.encode("utf-8") + b"\n\n")
    if done:
        events.append(f"data: {DONE}\n\n".encode())
    return events


def rechunk(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """Split ``data`` at the byte offsets in ``cuts`` (any order, duplicates ok).

    Used to replay a stream as a hostile network would deliver it. No piece is
    empty, and ``b"".join(result) == data``.
    """
    bad = [cut for cut in cuts if not 0 <= cut <= len(data)]
    if bad:
        raise SSEError(f"cut offsets {bad!r} are outside 0..{len(data)} (the length of data)")
    bounds = sorted({0, len(data), *cuts})
    return [data[start:end] for start, end in pairwise(bounds)]
