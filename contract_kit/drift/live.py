"""Talk to the live API: one request, read as it arrives, with bounded retries and a cost guard.

The client is the standard library's ``http.client`` on purpose. While a test
records, respx patches httpx and the kit patches httpx2, so a client built on
either would be answered by the very mock that is recording. ``http.client``
is not patched, and ``read1()`` hands back each network read as it arrives,
which is what a cassette stores (bytes and arrival time) so replay can
reproduce the chunk boundaries.

Faults are retried a bounded number of times: a retryable status (429, 5xx,
408), a timeout, a dropped connection, or a body cut short. The wait doubles
from ``backoff`` up to ``max_backoff``; a ``Retry-After`` (seconds or an HTTP
date) or ``retry-after-ms`` header replaces it, and one longer than
``max_retry_after`` ends the retries at once. After the last attempt the
caller gets ``LiveAPIError``, whose message says what failed, how often, and
what to do; ``fault`` holds the same facts for the drift report.

Every attempt takes one call from the run's ``LiveBudget``; under
pytest-xdist the budget is shared through slot files in the run's folder
(created with ``O_EXCL``, so the count is exact across processes).
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from contract_kit.cassettes import Read, headers_of
from contract_kit.defaults import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from contract_kit.errors import CostGuardError, LiveAPIError, LiveConfigError
from contract_kit.redact import Redactor, Secret, install_log_filter, register

logger = logging.getLogger("contract_kit.drift.live")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
READ_SIZE = 65536


def public_url(url: str) -> str:
    """A URL without user info or query, safe to write into a cassette or a report."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _valid_port(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return True


def base_url_setting(cli: str | None, ini: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Command line, then ``AIMLAPI_BASE_URL``, then the ini key, then the default."""
    env = (environ if environ is not None else os.environ).get(BASE_URL_ENV, "").strip()
    return cli or env or ini or DEFAULT_BASE_URL


def api_key_from_env(mode: str, environ: Mapping[str, str] | None = None) -> Secret:
    """The key for a live mode, or ``LiveConfigError`` saying how to provide it."""
    value = (environ if environ is not None else os.environ).get(API_KEY_ENV, "").strip()
    if not value:
        raise LiveConfigError(
            f"contract mode {mode!r} talks to the live API and needs an API key: export {API_KEY_ENV}=... "
            "(in CI, from the CI's secrets), or use --contract-mode=replay to run offline from cassettes"
        )
    secret = Secret(value)
    register([secret])  # everything the kit prints is scrubbed of it from now on
    install_log_filter()
    return secret


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``retries`` counts the attempts after the first."""

    retries: int = 2
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    timeout: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES

    def wait(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``; ``None`` means the server asked for too long."""
        if retry_after is not None:
            return None if retry_after > self.max_retry_after else max(0.0, retry_after)
        return float(min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1)))


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` (OpenAI), else ``Retry-After`` in seconds or as an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(moment.timestamp()) - time.time())


class LiveBudget:
    """At most ``max_calls`` live calls per run, counted across xdist workers via ``slots_dir``."""

    def __init__(self, max_calls: int, slots_dir: Path | None = None) -> None:
        self.max_calls = max_calls
        self.slots_dir = slots_dir
        self.used = 0

    def take(self) -> None:
        if self.slots_dir is None:
            if self.used >= self.max_calls:
                raise self._spent()
            self.used += 1
            return
        self.slots_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(self.max_calls):
            try:
                os.close(os.open(self.slots_dir / f"call-{slot:05d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                continue
            self.used += 1
            return
        raise self._spent()

    def _spent(self) -> CostGuardError:
        return CostGuardError(
            f"the cost guard allows {self.max_calls} live calls per run and they are spent; nothing more is "
            "sent. Record fewer tests at once (pytest -k ...), or raise --contract-max-live-calls"
        )


@dataclass
class Exchange:
    """One live response as it arrived: status, headers, every read with its time."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    reads: list[Read] = field(default_factory=list)
    cut: bool = False
    elapsed: float = 0.0
    attempts: int = 1

    def header_map(self) -> dict[str, str]:

        return headers_of(self.headers)


class _Fault(Exception):
    def __init__(self, kind: str, detail: str, exchange: Exchange | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.exchange = exchange


class LiveClient:
    """Send requests to ``base_url`` with the key; ``send`` retries and raises ``LiveAPIError`` at the end."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret | None,
        *,
        policy: RetryPolicy | None = None,
        budget: LiveBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not _valid_port(base_url):
            raise LiveConfigError(
                f"base URL {Redactor().text(base_url)!r} is not an absolute http(s) URL; pass one like "
                f"{DEFAULT_BASE_URL!r} with --contract-base-url or {BASE_URL_ENV} (percent-encode a '/' "
                "in a user name or password)"
            )
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        self._key = api_key
        self.policy = policy or RetryPolicy()
        self.budget = budget or LiveBudget(50)
        self.sleep = sleep
        self.failed: list[Exchange] = []  # answers that were retried (a 429 says how it rate-limits)

    def send(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Exchange:
        """``path`` is relative to the base URL (``/chat/completions``)."""
        policy = self.policy
        target = self._parts.path.rstrip("/") + path
        last: _Fault | None = None
        attempts = 0
        for attempt in range(1, policy.retries + 2):
            self.budget.take()
            attempts = attempt
            try:
                exchange = self._attempt(method, target, headers, body)
            except _Fault as fault:
                last = fault
            else:
                exchange.attempts = attempt
                if exchange.cut:
                    last = _Fault(
                        "cut",
                        f"the connection dropped after {sum(len(r.data) for r in exchange.reads)} "
                        "bytes of the body",
                        exchange,
                    )
                elif exchange.status in policy.statuses:
                    last = _Fault("status", f"status {exchange.status} {exchange.reason}".rstrip(), exchange)
                    if attempt <= policy.retries:
                        self.failed.append(exchange)
                else:
                    return exchange
            logger.info(
                "live %s %s attempt %d/%d failed: %s", method, path, attempt, policy.retries + 1, last.detail
            )
            if attempt > policy.retries:
                break
            hinted = retry_after(last.exchange.header_map()) if last.exchange else None
            wait = policy.wait(attempt, hinted)
            if wait is None:
                last.detail += (
                    f"; the API asked to retry after {hinted:.0f}s, longer than the "
                    f"{policy.max_retry_after:.0f}s the kit waits"
                )
                break
            self.sleep(wait)
        assert last is not None
        raise self._error(method, path, last, attempts)

    def _error(self, method: str, path: str, fault: _Fault, attempts: int) -> LiveAPIError:
        advice = {
            "timeout": f"the API may be slow: raise --contract-timeout (now {self.policy.timeout:g}s)",
            "status": "the API is failing or rate-limiting: run again later, or raise --contract-retries",
        }.get(fault.kind, "the network or the API dropped the connection: run again later")
        error = LiveAPIError(
            f"the live API at {public_url(self.base_url)} failed for {method} {path} after {attempts} attempt(s): "
            f"{fault.detail}. Nothing was recorded for this test; {advice}"
        )
        error.fault = {
            "kind": fault.kind,
            "detail": fault.detail,
            "attempts": attempts,  # type: ignore[attr-defined]
            "status": fault.exchange.status if fault.exchange else None,
        }
        error.exchange = fault.exchange  # type: ignore[attr-defined]
        return error

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.policy.timeout)
        return http.client.HTTPConnection(host, port, timeout=self.policy.timeout)

    def _attempt(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Exchange:
        conn = self._connection()
        start = time.perf_counter()
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if self._key is not None:  # None: the no-key probe of drift --live
                conn.putheader("Authorization", "Bearer " + self._key.reveal())
            conn.putheader("Accept-Encoding", "identity")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            start = time.perf_counter()
            response = conn.getresponse()
            exchange = Exchange(response.status, response.reason, list(response.getheaders()))
            self._read_body(response, exchange, start)
            exchange.elapsed = time.perf_counter() - start
            return exchange
        except TimeoutError:
            raise _Fault("timeout", f"no answer within {self.policy.timeout:g}s (timeout)") from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise _Fault("connection", f"{type(exc).__name__}: the connection failed or dropped") from None
        finally:
            conn.close()

    def _read_body(self, response: http.client.HTTPResponse, exchange: Exchange, start: float) -> None:
        try:
            while True:
                data = response.read1(READ_SIZE)
                if not data:
                    break
                exchange.reads.append(Read(time.perf_counter() - start, data))
        except http.client.IncompleteRead as exc:
            if exc.partial:
                exchange.reads.append(Read(time.perf_counter() - start, bytes(exc.partial)))
            exchange.cut = True
        except (ConnectionError, OSError) as exc:
            if isinstance(exc, (TimeoutError, socket.timeout)):
                raise
            exchange.cut = True
        if response.length:  # a Content-Length body that ended early
            exchange.cut = True
