"""``contract-kit serve --proxy URL``: a validating, recording proxy in front of the live API, for any client.

Teams whose clients are in Node, Go or anything else get what ``pytest
--contract-mode=record`` gives Python tests. For every request the proxy

1. (``strict`` only) validates the request and answers the mock's 400 without
   forwarding it when it breaks the contract;
2. forwards it unchanged to the upstream, with the key from ``AIMLAPI_API_KEY``
   or, with ``pass_key``, the client's own ``Authorization``;
3. passes the answer back as it arrives: the status, the headers (less the
   hop-by-hop ones) and every read of the body as its own write, so a stream
   reaches the client chunk for chunk, unbuffered, and a JSON body byte for byte;
4. afterwards validates the exchange (request, JSON body, every chunk, stream
   invariants, semantics) with the same :class:`DriftChecker` as ``drift``,
   logs each violation and finding as a console line, and adds the findings
   to the run's :class:`DriftCollector`;
5. with ``record_dir``, appends the redacted interaction to the cassette of
   its group: the client's ``x-contract-test`` header (a pytest node id makes
   a cassette that test replays), else one cassette for the whole session.

A validation failure never changes what the client receives (unless
``strict``). The key is never logged, recorded or reported: every cassette
and the report are checked for it (and, with ``pass_key``, for the client's
key) before they are written. ``report()`` builds the drift report at shutdown.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from contract_kit import _json
from contract_kit.cassettes import Cassette, Interaction, Read, cassette_path, write_cassette
from contract_kit.contract import Contract
from contract_kit.drift.collector import DriftCollector
from contract_kit.drift.findings import DriftChecker, Finding
from contract_kit.drift.live import Exchange, public_url
from contract_kit.drift.recording import recorded_request, recorded_response
from contract_kit.mock import MockRequest, error_bytes, violation_param
from contract_kit.mock.transports import DeliberateCut, header_map, hide_deliberate_cuts
from contract_kit.redact import Redactor, Secret

TEST_HEADER = "x-contract-test"
_HOP_BY_HOP = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "upgrade"}
)
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_BEARER_PREFIX = "bearer "
_JSON = [("content-type", "application/json")]

Log = Callable[[str], None]


class UpstreamCut(DeliberateCut):
    """Raised to drop the client's connection the way the upstream dropped the proxy's (logged quietly)."""


@dataclass
class ProxySettings:
    """What ``serve --proxy`` was told."""

    upstream: str
    key: Secret | None = None
    pass_key: bool = False
    record_dir: Path | None = None
    strict: bool = False
    timeout: float = 120.0
    session: str = field(
        default_factory=lambda: (
            "proxy-session-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        )
    )


class ValidatingProxy:
    """The ASGI app (see the module doc). ``collector`` holds the run's findings."""

    def __init__(self, settings: ProxySettings, checker: DriftChecker, *, log: Log | None = None) -> None:
        self.settings = settings
        self.checker = checker
        self.contract: Contract = checker.observed
        self.log = log
        self.collector = DriftCollector()
        self.redactor = Redactor(secrets=(settings.key,) if settings.key else ())
        self.cassettes: dict[str, list[Interaction]] = {}
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None
        self._upstream = httpx.URL(settings.upstream.rstrip("/"))
        hide_deliberate_cuts()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        request = await _read_request(scope, receive)
        redactor = self._redactor_for(request)
        body = _json_or_none(request.body)
        rejected = self._strict_rejection(body) if self.settings.strict else None
        if rejected is not None:
            await _send_whole(send, 400, _JSON, rejected)
            self._line(f"{request.method} {request.path} 400 {_ms(started)} [strict: not forwarded]")
            return
        exchange = await self._forward(request, send, started)
        group = request.headers.get(TEST_HEADER) or self.settings.session
        interaction = Interaction(
            recorded_request(request, _path_with_query(scope), redactor),
            recorded_response(exchange, redactor),
            group,
        )
        kind = " stream" if "text/event-stream" in exchange.header_map().get("content-type", "") else ""
        findings = self._validate(interaction, body)
        note = f"{len(findings)} finding(s)" if findings else "valid"
        self._line(f"{request.method} {request.path} {exchange.status}{kind} {_ms(started)} [proxy: {note}]")
        for finding in findings:
            self._line(
                f"  {finding.severity} {finding.kind} at {finding.where} {finding.path}: {finding.message}"
            )
        if self.settings.record_dir is not None:
            await asyncio.to_thread(self._record, group, interaction, redactor)
        if exchange.cut:
            self._line("  the upstream dropped the connection; the client's is dropped too")
            raise UpstreamCut("the upstream dropped the connection mid-answer")
        # The response ends only now, so a client that sees its end finds the exchange recorded.
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _redactor_for(self, request: MockRequest) -> Redactor:
        """With ``pass_key``, every client key seen joins the secrets that logs, cassettes and the report refuse."""
        key = _bearer(request.headers.get("authorization", "")) if self.settings.pass_key else None
        with self._lock:
            if key and all(secret.reveal() != key for secret in self.redactor.secrets):
                self.redactor = replace(self.redactor, secrets=(*self.redactor.secrets, Secret(key)))
            return self.redactor

    def _strict_rejection(self, body: Any) -> bytes | None:
        errors = [v for v in self.contract.validate_request(body) if v.severity == "error"]
        if not errors:
            return None
        param = violation_param(errors[0])
        where = f" (at {param})" if param else ""
        return error_bytes(400, f"Invalid request{where}: {errors[0].message}", param=param)

    async def _forward(self, request: MockRequest, send: Any, started: float) -> Exchange:
        """Send upstream and relay the answer read by read; the reads are kept for validation."""
        client = self._client or httpx.AsyncClient(timeout=self.settings.timeout)
        self._client = client
        upstream = httpx.Request(
            request.method, self._target(request), headers=self._headers(request), content=request.body
        )
        try:
            response = await client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            message = f"the proxy could not reach the upstream API at {public_url(self.settings.upstream)} ({type(exc).__name__})"
            body = error_bytes(502, message, code="upstream_unreachable")
            await send({"type": "http.response.start", "status": 502, "headers": _raw_headers(_JSON)})
            await send({"type": "http.response.body", "body": body, "more_body": True})
            return Exchange(502, "Bad Gateway", list(_JSON), [Read(0.0, body)])
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _NOT_RETURNED]
        exchange = Exchange(
            response.status_code, response.reason_phrase, list(response.headers.multi_items())
        )
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": _raw_headers(headers)}
        )
        try:
            async for data in response.aiter_raw():
                exchange.reads.append(Read(time.perf_counter() - started, data))
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except httpx.HTTPError:
            exchange.cut = True  # the upstream dropped the connection: recorded, then the client's is dropped
        finally:
            await response.aclose()
            exchange.elapsed = time.perf_counter() - started
        return exchange

    def _target(self, request: MockRequest) -> httpx.URL:
        """The client's path below the upstream's own path prefix (``/v1``), with its query."""
        prefix = self._upstream.path.rstrip("/")
        path = (
            request.path[len(prefix) :] if prefix and request.path.startswith(prefix + "/") else request.path
        )
        query = request.url.split("?", 1)[1] if "?" in request.url else ""
        return self._upstream.copy_with(path=prefix + path, query=query.encode() or None)

    def _headers(self, request: MockRequest) -> list[tuple[str, str]]:
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name not in _HOP_BY_HOP and name != "authorization" and name != TEST_HEADER
        ]
        headers.append(("accept-encoding", "identity"))  # the bytes the client gets are the bytes validated
        if self.settings.pass_key:
            if "authorization" in request.headers:
                headers.append(("authorization", request.headers["authorization"]))
        elif self.settings.key:
            headers.append(("authorization", "Bearer " + self.settings.key.reveal()))
        return headers

    def _validate(self, interaction: Interaction, body: Any) -> list[Finding]:
        if not self.checker.applies_to(interaction):
            return []
        request_errors = [v for v in self.contract.validate_request(body) if v.severity == "error"]
        for violation in request_errors:
            self._line(f"  request violation at {violation.path}: {violation.message}")
        findings = self.checker.check(interaction)
        self.collector.add(findings, interaction.test)
        return findings

    def _record(self, group: str, interaction: Interaction, redactor: Redactor) -> None:
        assert self.settings.record_dir is not None
        with self._lock:
            interactions = self.cassettes.setdefault(group, [])
            interactions.append(interaction)
            meta = {
                "recorded_with": "contract-kit serve --proxy",
                "base_url": public_url(self.settings.upstream),
            }
            cassette = Cassette(group, list(interactions), meta)
            write_cassette(cassette_path(self.settings.record_dir, group), cassette, redactor)

    def report(self) -> dict[str, Any]:
        return self.collector.to_report(mode="proxy", upstream=public_url(self.settings.upstream))

    def _line(self, text: str) -> None:
        if self.log is not None:
            self.log(self.redactor.text(text))


async def _read_request(scope: Any, receive: Any) -> MockRequest:
    parts: list[bytes] = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            break
    headers = header_map(scope.get("headers", []))
    return MockRequest(scope["method"], _path_with_query(scope), scope["path"], headers, b"".join(parts))


def _path_with_query(scope: Any) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return str(scope["path"]) + (f"?{query}" if query else "")


async def _send_whole(send: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _raw_headers(headers)})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _raw_headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _bearer(value: str) -> str | None:
    if not value.lower().startswith(_BEARER_PREFIX):
        return None
    return value[len(_BEARER_PREFIX) :].strip() or None


def _json_or_none(raw: bytes) -> Any:
    try:
        return _json.loads(raw) if raw else None
    except ValueError:
        return None


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.1f} ms"
