"""The two values every transport exchanges with the mock service.

Transports (respx, httpx2, ASGI) only translate between their own request and
response objects and these two dataclasses; all behaviour lives behind a
``Handler``. That keeps every transport identical in what it answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MockRequest:
    """An HTTP request as the mock service sees it. Header names are lower-case."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str] = field(repr=False)  # may hold the API key: never in a repr or traceback
    body: bytes = b""

    def __repr__(self) -> str:
        return f"MockRequest({self.method} {self.url}, headers=<{len(self.headers)} hidden>, body={len(self.body)} bytes)"


@dataclass
class MockResponse:
    """What to send back.

    Exactly one of ``body`` (sent at once) or ``chunks`` (each one a separate
    network write, flushed, in order) is used. ``first_byte_delay`` is slept
    before the first byte, ``chunk_delay`` between chunks; ``chunk_delays``,
    when given, is the delay before each chunk instead (a replayed stream's
    recorded pacing, gap by gap). ``cut`` drops the connection after the
    chunks without finishing the response, the way a failing upstream does.
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    chunks: Sequence[bytes] | None = None
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    cut: bool = False
    chunk_delays: Sequence[float] | None = None

    @property
    def is_stream(self) -> bool:
        return self.chunks is not None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def full_body(self) -> bytes:
        """The bytes a client would read in total (for recording and assertions)."""
        if self.chunks is not None:
            return b"".join(self.chunks)
        return self.body or b""


Handler = Callable[[MockRequest], MockResponse]
