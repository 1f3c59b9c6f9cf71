"""Fault variants of a recorded stream: the live API's own bytes, failing the ways networks fail.

A team's recorded streams are the best material for testing its stream
parser. Each :class:`StreamFault` turns a replayed stream (a ``MockResponse``
with chunks) into a failing or hostile one; JSON answers pass unchanged.
The recorded bytes are first split into their SSE events, so every variant
is defined on events whatever the recorded read boundaries were:

* ``truncated-after-2`` — the first two events, then the connection drops
  (the openai SDK raises ``APIConnectionError``);
* ``no-done`` — every event but ``data: [DONE]``, then a clean end (the SDK
  ends the iteration quietly: a parser that waits for ``[DONE]`` hangs or fails);
* ``one-byte-reads`` — the same bytes, one byte per network read;
* ``split-mid-utf8`` — reads split inside every multi-byte UTF-8 character
  (and every 16 bytes of an ASCII-only stream);
* ``split-mid-line`` — each event split inside its ``data:`` line and
  between its two closing newlines;
* ``malformed-at-1`` — event 1's JSON cut in half (the SDK raises
  ``json.JSONDecodeError``, a ``ValueError``);
* ``latency`` — 0.2 s before the first byte and 0.05 s between reads.

``expected`` names the exception a client sees, as ``(module, name)``, or
``None`` when a correct client reads the stream to its end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from contract_kit.errors import ConfigError
from contract_kit.mock import MockResponse
from contract_kit.mock import scenarios as sc

ALL = "all"
TRUNCATE_AFTER = 2
MALFORMED_AT = 1
ASCII_SPLIT = 16


@dataclass(frozen=True)
class StreamFault:
    name: str
    transform: Callable[[list[bytes]], MockResponse]
    expected: tuple[str, str] | None = None

    def apply(self, response: MockResponse) -> MockResponse:
        """``response`` with this fault, when it is a stream; anything else unchanged."""
        if response.chunks is None or response.status != 200:
            return response
        faulted = self.transform(split_events(b"".join(response.chunks)))
        return replace(response, chunks=faulted.chunks, cut=faulted.cut or response.cut,
                       first_byte_delay=faulted.first_byte_delay, chunk_delay=faulted.chunk_delay,
                       chunk_delays=None)  # fmt: skip


def split_events(body: bytes) -> list[bytes]:
    """The stream's events, each with its closing blank line (``\\n\\n``, ``\\r\\n\\r\\n`` kept as sent)."""
    events: list[bytes] = []
    start = 0
    normalized = body.replace(b"\r\n", b"\n") if b"\r\n" in body else body
    while True:
        end = normalized.find(b"\n\n", start)
        if end < 0:
            break
        events.append(normalized[start : end + 2])
        start = end + 2
    if start < len(normalized):
        events.append(normalized[start:])
    return events


def _stream(chunks: list[bytes], **extra: float | bool) -> MockResponse:
    return MockResponse(200, [], chunks=chunks, **extra)  # type: ignore[arg-type]


def _planned(plan: sc.Plan) -> Callable[[list[bytes]], MockResponse]:
    def transform(events: list[bytes]) -> MockResponse:
        return sc.apply_faults(_stream(list(events)), plan)

    return transform


def _no_done(events: list[bytes]) -> MockResponse:
    return _stream([event for event in events if event.strip() != b"data: [DONE]"])


def _one_byte(events: list[bytes]) -> MockResponse:
    body = b"".join(events)
    return _stream([body[i : i + 1] for i in range(len(body))])


def _mid_utf8(events: list[bytes]) -> MockResponse:
    body = b"".join(events)
    cuts = [i for i in range(1, len(body)) if 0x80 <= body[i] <= 0xBF and body[i - 1] >= 0xC0]
    if not cuts:
        cuts = list(range(ASCII_SPLIT, len(body), ASCII_SPLIT))
    return _stream(_split_at(body, cuts))


def _mid_line(events: list[bytes]) -> MockResponse:
    chunks: list[bytes] = []
    for event in events:
        head = event.rstrip(b"\n")
        middle = max(1, len(head) // 2)
        chunks += [head[:middle], head[middle:] + b"\n", event[len(head) + 1 :]]
    return _stream([chunk for chunk in chunks if chunk])


def _latency(events: list[bytes]) -> MockResponse:
    return _stream(list(events), first_byte_delay=0.2, chunk_delay=0.05)


def _split_at(body: bytes, cuts: Iterable[int]) -> list[bytes]:
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(body[start:cut])
        start = cut
    pieces.append(body[start:])
    return [piece for piece in pieces if piece]


_CONNECTION = ("openai", "APIConnectionError")
_DECODE = ("builtins", "ValueError")

FAULTS: dict[str, StreamFault] = {
    fault.name: fault
    for fault in (
        StreamFault(
            f"truncated-after-{TRUNCATE_AFTER}",
            _planned(sc.Plan(cut=sc.cut_stream(TRUNCATE_AFTER))),
            _CONNECTION,
        ),
        StreamFault("no-done", _no_done),
        StreamFault("one-byte-reads", _one_byte),
        StreamFault("split-mid-utf8", _mid_utf8),
        StreamFault("split-mid-line", _mid_line),
        StreamFault(
            f"malformed-at-{MALFORMED_AT}",
            _planned(sc.Plan(malformed=sc.malformed_chunk(MALFORMED_AT))),
            _DECODE,
        ),
        StreamFault("latency", _latency),
    )
}


def stream_faults(names: str | Iterable[str] = ALL) -> list[StreamFault]:
    """The variants named (``"all"``, one name, or several); an unknown name lists the valid ones."""
    wanted = list(FAULTS) if names == ALL else [names] if isinstance(names, str) else list(names)
    unknown = [name for name in wanted if name not in FAULTS]
    if unknown:
        raise ConfigError(f"unknown stream fault(s) {unknown}; valid: {ALL}, {', '.join(FAULTS)}")
    return [FAULTS[name] for name in wanted]


class FaultedReplay:
    """A replay handler whose stream answers carry ``fault``."""

    def __init__(self, handler: Callable[..., MockResponse], fault: StreamFault) -> None:
        self.handler = handler
        self.fault = fault

    def __call__(self, request: object) -> MockResponse:
        return self.fault.apply(self.handler(request))

    def __getattr__(self, name: str) -> object:  # ``replayed``, ``errors`` of the wrapped replay
        return getattr(self.handler, name)
