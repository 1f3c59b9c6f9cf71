"""Which requests the in-process mock takes, and how the response bytes reach the wire.

Every transport needs the same three answers: does this URL belong to the mock
(``BaseURL``), how are the response bytes paced (``PacedChunks``), and which
headers does the wire add (``wire_headers``). They live here, free of any HTTP
library, so the respx, httpx2 and ASGI adapters cannot drift apart.
``inprocess.routed`` composes the transports on top of this module.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from contract_kit.defaults import DEFAULT_BASE_URL
from contract_kit.errors import ConfigError
from contract_kit.mock.types import MockResponse

CUT_MESSAGE = "peer closed connection without sending complete message body"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class BaseURL:
    """A mocked API root. A request belongs to it when scheme, host and port
    are equal and its path is the root's path or below it on a ``/`` boundary
    (so ``/v1`` does not swallow ``/v1beta``)."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> BaseURL:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ConfigError(
                f"base URL {url!r} is not an absolute http(s) URL; write it like {DEFAULT_BASE_URL!r}"
            )
        port = parts.port or _DEFAULT_PORTS[scheme]
        return cls(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))

    def matches(self, scheme: str, host: str, port: int | None, path: str) -> bool:
        scheme = scheme.lower()
        if scheme != self.scheme or host.lower() != self.host:
            return False
        if (port or _DEFAULT_PORTS.get(scheme)) != self.port:
            return False
        return path == self.path or path.startswith(self.path + "/")

    def matches_url(self, url: str) -> bool:
        parts = urlsplit(url)
        return self.matches(parts.scheme, parts.hostname or "", parts.port, parts.path)

    @property
    def chat_completions_path(self) -> str:
        return f"{self.path}/chat/completions"

    def __str__(self) -> str:
        default = _DEFAULT_PORTS[self.scheme] == self.port
        netloc = self.host if default else f"{self.host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path}"


def parse_base_urls(base_urls: str | Iterable[str]) -> tuple[BaseURL, ...]:
    """Accept one URL or many; a bare string is one URL, not its characters."""
    urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
    if not urls:
        raise ConfigError(f"no base URL given; pass at least one, e.g. {DEFAULT_BASE_URL!r}")
    return tuple(BaseURL.parse(url) for url in urls)


def find_base(
    bases: Sequence[BaseURL], scheme: str, host: str, port: int | None, path: str
) -> BaseURL | None:
    return next((base for base in bases if base.matches(scheme, host, port, path)), None)


def body_chunks(response: MockResponse) -> list[bytes]:
    """The writes a response makes: its chunks, or its body as one write."""
    if response.chunks is not None:
        return list(response.chunks)
    return [response.body] if response.body else []


def header_map(raw: Iterable[tuple[bytes, bytes]], encoding: str = "latin-1") -> dict[str, str]:
    """Request headers as the mock reads them: by lower-case name, repeats joined with ``, ``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, value = raw_name.decode(encoding).lower(), raw_value.decode(encoding)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def wire_headers(response: MockResponse) -> list[tuple[str, str]]:
    """The handler's headers plus the ``content-length`` a real server adds to
    a fixed body. A cut response never gets one: with a length the client would
    see a complete body and the cut would go unnoticed."""
    headers = list(response.headers)
    if response.is_stream or response.cut:
        return headers
    if not any(name.lower() in _FRAMING for name, _value in headers):
        headers.append(("content-length", str(len(response.body or b""))))
    return headers


_FRAMING = frozenset({"content-length", "transfer-encoding"})


def needs_paced_stream(response: MockResponse) -> bool:
    """A stream, a cut or a delay must go through :class:`PacedChunks`; a plain body need not."""
    return response.is_stream or response.cut or response.first_byte_delay > 0


class PacedChunks:
    """Yield a response's writes one at a time with the response's delays.

    ``first_byte_delay`` is slept before the first body byte and ``chunk_delay``
    before each later chunk; the status and headers are not delayed, in every
    transport alike (respx resolves a route synchronously even for async
    clients, so it could not sleep before the headers without blocking the
    event loop). After the last chunk a cut response raises ``cut_error()``,
    which each transport defines as its library's "peer closed" error.
    Iteration is repeatable; each pass sleeps again.
    """

    def __init__(self, response: MockResponse) -> None:
        self._chunks = body_chunks(response)
        self._first_byte_delay = response.first_byte_delay
        self._chunk_delay = response.chunk_delay
        self._chunk_delays = response.chunk_delays
        self._cut = response.cut

    def cut_error(self) -> Exception:
        raise NotImplementedError("each transport names its own 'connection dropped' error")

    def _delays(self) -> Iterator[tuple[float, bytes | None]]:
        """(delay, chunk) pairs; a lone ``None`` chunk carries the first delay
        of an empty body, so even an empty answer is late when asked to be."""
        if not self._chunks:
            yield self._first_byte_delay, None
            return
        for index, chunk in enumerate(self._chunks):
            if self._chunk_delays is not None and index < len(self._chunk_delays):
                yield self._chunk_delays[index], chunk
            else:
                yield (self._first_byte_delay if index == 0 else self._chunk_delay), chunk

    @property
    def _plain(self) -> bool:
        """No delay and no cut: the writes go out as they are, with no per-chunk bookkeeping."""
        return not (self._cut or self._first_byte_delay > 0 or self._chunk_delay > 0 or self._chunk_delays)

    def __iter__(self) -> Iterator[bytes]:
        if self._plain:
            yield from filter(None, self._chunks)
            return
        for delay, chunk in self._delays():
            if delay > 0:
                time.sleep(delay)
            if chunk:
                yield chunk
        if self._cut:
            raise self.cut_error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._plain:
            for write in filter(None, self._chunks):
                yield write
            return
        for delay, chunk in self._delays():
            if delay > 0:
                await asyncio.sleep(delay)
            if chunk:
                yield chunk
        if self._cut:
            raise self.cut_error()
