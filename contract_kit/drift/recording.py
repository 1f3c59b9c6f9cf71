"""Forward mocked requests to the live API and keep what came back: the record, once and live modes.

``RecordingHandler`` is a mock ``Handler``, so the same ``routed`` transports
that replay a cassette also record one: the user's httpx or openai SDK code
runs unchanged. For each request it

1. takes the secrets out of the request it keeps (``Redactor``);
2. checks the cost guard on ``max_tokens``;
3. forwards it with :class:`~contract_kit.drift.live.LiveClient` (not patched by
   respx or httpx2), injecting the configured key, and reads the answer read
   by read;
4. builds the redacted :class:`~contract_kit.cassettes.model.Interaction`, hands it
   to the ``observer`` (the drift checker) and keeps it for the cassette;
5. answers the client with the live bytes, stream reads as separate chunks.

A live fault that survives the retries is raised as ``LiveAPIError`` and kept
in ``errors``; the pytest wiring fails the test with it even when the client
library wraps it (the openai SDK turns it into ``APIConnectionError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from contract_kit.cassettes import Interaction, RecordedRequest, RecordedResponse, detect_style, events_of
from contract_kit.drift.live import Exchange, LiveClient
from contract_kit.errors import ContractKitError, CostGuardError, LiveAPIError
from contract_kit.mock import MockRequest, MockResponse
from contract_kit.mock.transports import BaseURL
from contract_kit.redact import Redactor

# Not forwarded: the transport sets them, the kit sets its own auth, or they are SDK telemetry.
_NOT_FORWARDED = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "authorization"}
)
# Not stored: framing the replay recomputes, and values that change on every call.
_NOT_STORED_RESPONSE = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "content-encoding"}
)
_NOT_STORED_REQUEST = frozenset({"host", "content-length", "connection", "accept-encoding"})

Observer = Callable[[Interaction], Any]


def max_tokens_guard(limit: int | None) -> Callable[[MockRequest], None]:
    """Refuse requests whose ``max_tokens`` / ``max_completion_tokens`` exceed ``limit``."""

    def check(request: MockRequest) -> None:
        if limit is None:
            return
        body = _json_or_none(request.body)
        if not isinstance(body, dict):
            return
        for name in ("max_tokens", "max_completion_tokens"):
            value = body.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > limit:
                raise CostGuardError(
                    f"the request asks for {name}={value}, above the cost guard of {limit} "
                    "(--contract-max-tokens); lower it in the test, or raise the guard"
                )

    return check


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def recorded_request(request: MockRequest, path: str, redactor: Redactor) -> RecordedRequest:
    headers = {
        name: value
        for name, value in redactor.headers(request.headers).items()
        if name not in _NOT_STORED_REQUEST and not name.startswith("x-stainless-")
    }
    body = _json_or_none(request.body)
    if body is None and request.body:
        return RecordedRequest(
            request.method,
            path,
            headers,
            raw=redactor.text(request.body.decode("utf-8", "replace")).encode("utf-8"),
        )
    return RecordedRequest(request.method, path, headers, redactor.value(body))


def recorded_response(exchange: Exchange, redactor: Redactor) -> RecordedResponse:
    """The response as a cassette stores it: stream -> events + reads, JSON -> structure, else bytes."""
    headers = {
        name: redactor.header_value(name, value)
        for name, value in exchange.header_map().items()
        if name not in _NOT_STORED_RESPONSE
    }
    response = RecordedResponse(exchange.status, headers, cut=exchange.cut, elapsed=exchange.elapsed)
    raw = b"".join(read.data for read in exchange.reads)
    if "text/event-stream" in headers.get("content-type", ""):
        redacted = redactor.reads([read.data for read in exchange.reads])  # a key split across reads
        response.reads = [
            type(read)(read.at, data) for read, data in zip(exchange.reads, redacted, strict=True)
        ]
        response.events = events_of(response.body_bytes())
        return response
    raw = _redact_bytes(raw, redactor)
    body = _json_or_none(raw)
    if body is not None or raw.strip() == b"null":
        response.body = body
        response.body_style = detect_style(body, raw)
        if response.body_style is None:
            response.raw = raw
    else:
        response.raw = raw
    return response


def _redact_bytes(data: bytes, redactor: Redactor) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return redactor.reads([data])[0]  # byte by byte: the key is ASCII
    return redactor.text(text).encode("utf-8")


class RecordingHandler:
    """Forward to the live API, keep redacted interactions, observe each one for drift."""

    def __init__(
        self,
        client: LiveClient,
        bases: Sequence[BaseURL],
        *,
        redactor: Redactor | None = None,
        observer: Observer | None = None,
        guard: Callable[[MockRequest], None] | None = None,
        test: str | None = None,
    ) -> None:
        self.client = client
        self.bases = tuple(bases)
        self.redactor = redactor or Redactor()
        self.observer = observer
        self.guard = guard or max_tokens_guard(None)
        self.test = test
        self.interactions: list[Interaction] = []
        self.errors: list[ContractKitError] = []
        self.retried: list[Interaction] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        # The caller's request may carry a real key (a client built from the environment); keep only a
        # scrubbed copy in this frame, so a traceback shown with --showlocals holds no secret.
        scrubbed = MockRequest(
            request.method, request.url, request.path, self.redactor.headers(request.headers), request.body
        )
        del request
        retried = len(self.client.failed)
        try:
            self.guard(scrubbed)
            exchange = self.client.send(
                scrubbed.method, self._suffix(scrubbed), self._forwarded(scrubbed), scrubbed.body
            )
        except LiveAPIError as exc:
            self._observe_retried(scrubbed, retried)
            self.errors.append(exc)
            last = getattr(exc, "exchange", None)
            if last is not None and self.observer is not None:
                self.observer(self._interaction(scrubbed, last))
            raise
        except CostGuardError as exc:
            self.errors.append(exc)
            raise
        self._observe_retried(scrubbed, retried)
        interaction = self._interaction(scrubbed, exchange)
        self.interactions.append(interaction)
        if self.observer is not None:
            self.observer(interaction)
        return self._answer(exchange)

    def _observe_retried(self, request: MockRequest, start: int) -> None:
        """The answers that were retried (429, 5xx) are real answers too: check them, keep them apart."""
        for exchange in self.client.failed[start:]:
            interaction = self._interaction(request, exchange)
            self.retried.append(interaction)
            if self.observer is not None:
                self.observer(interaction)

    def _interaction(self, request: MockRequest, exchange: Exchange) -> Interaction:
        return Interaction(
            recorded_request(request, self.redactor.text(self._path(request)), self.redactor),
            recorded_response(exchange, self.redactor),
            self.test,
        )

    def _base(self, request: MockRequest) -> BaseURL | None:
        return next((base for base in self.bases if base.matches_url(request.url)), None)

    def _path(self, request: MockRequest) -> str:

        query = urlsplit(request.url).query
        return request.path + (f"?{query}" if query else "")

    def _suffix(self, request: MockRequest) -> str:
        """The path below the mocked base URL, appended to the live base URL."""
        base = self._base(request)
        path = self._path(request)
        if base is not None and base.path and path.startswith(base.path):
            return path[len(base.path) :]
        return path

    def _forwarded(self, request: MockRequest) -> dict[str, str]:
        return {
            name: value
            for name, value in request.headers.items()
            if name not in _NOT_FORWARDED and not self.redactor.is_sensitive(name)
        }

    def _answer(self, exchange: Exchange) -> MockResponse:
        headers = [
            (name, value)
            for name, value in exchange.headers
            if name.lower() not in _NOT_STORED_RESPONSE or name.lower() == "date"
        ]
        chunks = [read.data for read in exchange.reads]
        content_type = exchange.header_map().get("content-type", "")
        if "text/event-stream" in content_type:
            return MockResponse(exchange.status, headers, chunks=chunks)
        return MockResponse(exchange.status, headers, body=b"".join(chunks))
