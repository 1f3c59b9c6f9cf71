"""The served mock (``contract-kit serve`` in its own process) under load and under hostile input.

Issue 6, items 1 and 2. The server runs as a subprocess, as users run it, so
its memory can be read from ``/proc/<pid>/status`` and the client does not
share its GIL. The client is a small raw HTTP/1.1 keep-alive client on asyncio
streams: httpx would spend more CPU per request than the server does, and on a
two-core machine the client would then be what is measured. Every loop is
bounded in count and in time; everything stays on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contract_kit import load_contract
from contract_kit.contract import Contract
from contract_kit.mock import MockRequest, MockService
from contract_kit.mock.transports import BackgroundServer, make_app

MODEL = "alibaba/qwen3-vl-32b-thinking"
SMALL_LIMIT = 16 * 1024
KEY = "sk-hardening-test-key"
CHAT = "/v1/chat/completions"
JSON_CT = ("content-type", "application/json")
AUTH = ("authorization", f"Bearer {KEY}")
# Time limits: any single exchange, and whole phases. A hang fails the test instead of the run.
EXCHANGE_TIMEOUT = 30.0
STARTUP_TIMEOUT = 20.0


# --- the server process -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """``contract-kit serve`` running in a child process on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int

    def status_kb(self, field_name: str) -> int:
        """A ``VmRSS``/``VmHWM``-style field of the server's ``/proc/<pid>/status``, in kB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
        raise AssertionError(f"no {field_name} in /proc/{self.process.pid}/status")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the server exited with {self.process.returncode}"


def _wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"contract-kit serve exited with {process.returncode} during startup")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"contract-kit serve did not listen on {port} within {STARTUP_TIMEOUT}s")


@contextlib.contextmanager
def serve_process(*args: str) -> Iterator[Served]:
    """Run the CLI's ``serve`` command through ``contract_kit.cli.main``, exactly as the console script does."""
    port = _free_port()
    code = "import sys; from contract_kit.cli import main; sys.exit(main(sys.argv[1:]))"
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty server never blocks on a full pipe
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", str(port), *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_serving(process, port)
            yield Served(process, port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.seek(0)
            stderr = log.read().decode("utf-8", "replace")
        # uvicorn logs a crash (an exception out of the app) as a traceback on stderr.
        assert "Traceback" not in stderr, stderr[-3000:]


@pytest.fixture(scope="module")
def loaded_server() -> Iterator[Served]:
    """No auth and a small body limit, so oversized bodies are cheap to send by the hundred."""
    with serve_process("--no-auth", "--max-body-bytes", str(SMALL_LIMIT)) as served:
        yield served


@pytest.fixture(scope="module")
def default_server() -> Iterator[Served]:
    """The command's defaults: auth required, 10 MB body limit."""
    with serve_process() as served:
        yield served


# --- a minimal HTTP/1.1 client on asyncio streams ----------------------------------------------


class Dropped(Exception):
    """The server closed the connection before the response was complete."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    started: float  # monotonic time the status line arrived
    first_byte: float  # ... the first body byte
    finished: float  # ... the last one

    def json(self) -> Any:
        return json.loads(self.body)


def encode_request(
    method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes = b"", *, chunked: bool = False
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers)]
    if chunked:
        lines.append("transfer-encoding: chunked")
        step = 4096
        payload = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step]) for i in range(0, len(body), step)
        )
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload + b"0\r\n\r\n"
    lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection; reconnects by itself after the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        return self.reader, self.writer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def exchange(self, raw: bytes, *, trickle: float = 0.0, head: int = 0) -> Reply:
        """Send ``raw`` (its first ``head`` bytes at once, the rest a byte per ``trickle`` seconds) and read the reply."""
        reader, writer = await self.connect()
        if trickle:
            writer.write(raw[:head])
            await writer.drain()
            for index in range(head, len(raw)):
                writer.write(raw[index : index + 1])
                await writer.drain()
                await asyncio.sleep(trickle)
        else:
            writer.write(raw)
        try:
            reply = await asyncio.wait_for(self._read(reader, writer), EXCHANGE_TIMEOUT)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self.close()
            raise Dropped(f"connection dropped mid-exchange: {exc!r}") from None
        if reply.headers.get("connection", "").lower() == "close":
            await self.close()
        return reply

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Reply:
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        started = time.monotonic()
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        first_byte = started
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if not parts:
                    first_byte = time.monotonic()
                data = await reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(data[:-2])
            body = b"".join(parts)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            first_byte = time.monotonic()
        return Reply(status, headers, body, started, first_byte, time.monotonic())


async def one_exchange(port: int, raw: bytes) -> Reply:
    connection = Connection(port)
    try:
        return await connection.exchange(raw)
    finally:
        await connection.close()


def exchange(port: int, raw: bytes) -> Reply:
    return asyncio.run(one_exchange(port, raw))


def assert_openai_error(reply: Reply, status: int) -> dict[str, Any]:
    """The status, a JSON content type and ``{"error": {"message", "type", "param", "code"}}``."""
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    document = reply.json()
    assert set(document) == {"error"}, document
    error: dict[str, Any] = document["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["type"] == "invalid_request_error", error
    return error


# --- the mixed load ---------------------------------------------------------------------------


def _messages(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@dataclass(frozen=True)
class Case:
    """One kind of request: its bytes and what a correct server answers."""

    kind: str
    raw: bytes
    status: int
    request: dict[str, Any] | None = None  # the JSON body, for validating a 200
    stream: bool = False


def _post(body: bytes, *headers: tuple[str, str], chunked: bool = False) -> bytes:
    return encode_request("POST", CHAT, [*headers, AUTH], body, chunked=chunked)


def build_cases(variants: int) -> list[Case]:
    """Every kind of request the load sends, each in ``variants`` versions (different seeds and texts)."""
    cases: list[Case] = []
    for n in range(variants):
        valid = {"model": MODEL, "messages": _messages(f"Question {n}: why is the sky blue?"), "seed": n + 1}
        streamed = {**valid, "stream": True, "stream_options": {"include_usage": True}}
        oversized = json.dumps({"model": MODEL, "messages": _messages("x" * SMALL_LIMIT)}).encode()
        cases += [
            Case("valid json", _post(json.dumps(valid).encode(), JSON_CT), 200, valid),
            Case("valid json", _post(json.dumps(valid).encode(), JSON_CT), 200, valid),
            Case("valid stream", _post(json.dumps(streamed).encode(), JSON_CT), 200, streamed, stream=True),
            Case("valid stream", _post(json.dumps(streamed).encode(), JSON_CT), 200, streamed, stream=True),
            Case("bad json", _post(b'{"model": "' + str(n).encode() + b'", "messages": [', JSON_CT), 400),
            Case("json not object", _post(json.dumps([valid, n]).encode(), JSON_CT), 400),
            Case(
                "wrong content type", _post(json.dumps(valid).encode(), ("content-type", "text/plain")), 415
            ),
            Case(
                "schema violation", _post(json.dumps({**valid, "temperature": "hot"}).encode(), JSON_CT), 400
            ),
            Case(
                "schema violation", _post(json.dumps({"model": MODEL, "seed": n + 1}).encode(), JSON_CT), 400
            ),
            Case(
                "unknown model",
                _post(json.dumps({**valid, "model": f"acme/model-{n}"}).encode(), JSON_CT),
                404,
            ),
            Case("unknown route", encode_request("POST", f"/v1/completions/{n}", [JSON_CT], b"{}"), 404),
            Case("wrong method", encode_request("GET", CHAT, [JSON_CT]), 405),
            Case("wrong method", encode_request("DELETE", f"{CHAT}?n={n}", []), 405),
            Case("oversized", _post(oversized, JSON_CT), 413),
            Case("oversized chunked", _post(oversized, JSON_CT, chunked=True), 413),
        ]
    return cases


@dataclass
class Tally:
    """What the client saw; every list of problems must end up empty."""

    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    streams: int = 0
    streams_validated: int = 0
    bodies_validated: int = 0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def note(self, problem: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(problem)
        else:
            self.problems[-1] = f"... and more ({problem})"


DONE = b"data: [DONE]\n\n"
SAMPLE_EVERY = 20


@functools.cache
def observed_contract() -> Contract:
    return load_contract("observed")


def check_reply(case: Case, reply: Reply, tally: Tally) -> None:
    """Right status; errors OpenAI-shaped; every stream ends with [DONE]; every 20th 200 fully validated."""
    contract = observed_contract()
    tally.statuses[reply.status] += 1
    tally.kinds[case.kind] += 1
    if reply.status != case.status:
        tally.note(f"{case.kind}: expected {case.status}, got {reply.status}: {reply.body[:200]!r}")
        return
    if case.status >= 400:
        try:
            assert_openai_error(reply, case.status)
            if case.status == 405:
                assert reply.headers.get("allow") == "POST", reply.headers
        except (AssertionError, ValueError) as exc:
            tally.note(f"{case.kind}: bad error body: {exc}")
        return
    if case.stream:
        tally.streams += 1
        if not reply.body.endswith(DONE):
            tally.dropped.append(f"{case.kind}: stream did not end with [DONE]: ...{reply.body[-120:]!r}")
        elif tally.streams % SAMPLE_EVERY == 1:
            report = contract.validate_stream(reply.body, case.request)
            tally.streams_validated += 1
            if not (report.ok and report.done):
                tally.note(f"stream violates the contract: {report.errors[:3]}")
    elif tally.kinds[case.kind] % SAMPLE_EVERY == 1:
        errors = [v for v in contract.validate_response_bytes(reply.body, 200) if v.is_error]
        tally.bodies_validated += 1
        if errors:
            tally.note(f"JSON answer violates the contract: {errors[:3]}")


async def run_mix(port: int, cases: Sequence[Case], total: int, connections: int, tally: Tally) -> float:
    """Send ``total`` requests cycling through ``cases`` over ``connections`` keep-alive connections."""
    work = itertools.islice(itertools.cycle(cases), total)

    async def worker() -> None:
        connection = Connection(port)
        try:
            for case in work:
                try:
                    reply = await connection.exchange(case.raw)
                except Dropped as exc:
                    tally.dropped.append(f"{case.kind}: {exc}")
                    continue
                check_reply(case, reply, tally)
        finally:
            await connection.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.monotonic() - started


SLOW_STREAM = json.dumps({"scenario": "latency", "between_chunks": 0.05})


async def open_streams(port: int, count: int, tally: Tally) -> list[Reply]:
    """``count`` streams on ``count`` connections, paced so that they are all open at the same time."""
    body = {"model": MODEL, "messages": _messages("Tell me a long story."), "stream": True}
    raw = _post(json.dumps(body).encode(), JSON_CT, ("x-contract-scenario", SLOW_STREAM))
    case = Case("concurrent stream", raw, 200, body, stream=True)
    connections = [Connection(port) for _ in range(count)]
    await asyncio.gather(*(c.connect() for c in connections))  # all connected before any request is sent
    try:
        results = await asyncio.gather(*(c.exchange(raw) for c in connections), return_exceptions=True)
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    replies: list[Reply] = []
    for index, result in enumerate(results):
        if isinstance(result, BaseException):
            tally.dropped.append(f"concurrent stream {index}: {result!r}")
            continue
        check_reply(case, result, tally)
        replies.append(result)
    return replies


def assert_clean(tally: Tally, what: str) -> None:
    assert tally.server_errors == 0, f"{what}: {tally.server_errors} 5xx answers: {tally.problems}"
    assert tally.dropped == [], f"{what}: {len(tally.dropped)} dropped: {tally.dropped[:5]}"
    assert tally.problems == [], f"{what}: {tally.problems}"


STREAMS = 256
REQUESTS = 10_000
WARMUP_REQUESTS = 1_500
CONNECTIONS = 32
PHASE_TIMEOUT = 120.0


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc (Linux only)"
)
def test_256_streams_and_10000_mixed_requests_with_flat_memory(loaded_server: Served) -> None:
    """Warm up, read RSS; then 256 held-open streams while 10,000 mixed requests run; read RSS again."""
    cases = build_cases(variants=7)
    port = loaded_server.port

    async def warm_up() -> Tally:
        tally = Tally()
        await asyncio.gather(
            run_mix(port, cases, WARMUP_REQUESTS, CONNECTIONS, tally), open_streams(port, STREAMS, tally)
        )
        return tally

    async def load() -> tuple[Tally, Tally, list[Reply], float]:
        streams, mixed = Tally(), Tally()
        stream_task = asyncio.ensure_future(open_streams(port, STREAMS, streams))
        elapsed = await run_mix(port, cases, REQUESTS, CONNECTIONS, mixed)
        replies = await stream_task
        return streams, mixed, replies, elapsed

    async def bounded(coroutine: Awaitable[Any]) -> Any:
        return await asyncio.wait_for(coroutine, PHASE_TIMEOUT)

    assert_clean(asyncio.run(bounded(warm_up())), "warm-up")
    rss_warm = loaded_server.status_kb("VmRSS")

    streams, mixed, replies, elapsed = asyncio.run(bounded(load()))
    loaded_server.assert_alive()
    rss_end, rss_peak = loaded_server.status_kb("VmRSS"), loaded_server.status_kb("VmHWM")
    growth = rss_end - rss_warm
    print(  # shown with -s; the numbers the issue asks to report
        f"\nserved mock: {sum(mixed.statuses.values())} mixed requests in {elapsed:.1f}s "
        f"({sum(mixed.statuses.values()) / elapsed:.0f}/s) over {CONNECTIONS} connections, "
        f"{len(replies)} concurrent streams; statuses {dict(sorted((mixed.statuses + streams.statuses).items()))}; "
        f"5xx {mixed.server_errors + streams.server_errors}; dropped {len(mixed.dropped) + len(streams.dropped)}; "
        f"validated {mixed.streams_validated + streams.streams_validated} streams and {mixed.bodies_validated} bodies; "
        f"RSS after warm-up {rss_warm / 1024:.1f} MB, at end {rss_end / 1024:.1f} MB "
        f"(growth {growth / 1024:+.1f} MB), peak {rss_peak / 1024:.1f} MB"
    )

    assert_clean(mixed, "mixed load")
    assert_clean(streams, "256 streams")
    assert sum(mixed.statuses.values()) == REQUESTS
    assert mixed.kinds.keys() == {case.kind for case in cases}
    assert len(replies) == STREAMS and streams.streams == STREAMS
    assert all(reply.body.endswith(DONE) for reply in replies)
    # They really were concurrent: every stream had started before the first one finished.
    assert max(reply.first_byte for reply in replies) < min(reply.finished for reply in replies)
    assert growth < max(30 * 1024, rss_warm * 0.3), f"RSS grew from {rss_warm} kB to {rss_end} kB"


def test_a_slow_client_does_not_block_the_others(loaded_server: Served) -> None:
    """Three clients trickle their bodies a byte per 20 ms; meanwhile other requests keep normal latency."""
    body = json.dumps({"model": MODEL, "messages": _messages("slowly")}).encode()
    raw = _post(body, JSON_CT)
    head = len(raw) - len(body)
    fast = build_cases(variants=1)[0].raw

    async def latencies(connection: Connection, until: Callable[[], bool], limit: int) -> list[float]:
        found: list[float] = []
        while not until() and len(found) < limit:
            sent = time.monotonic()
            reply = await connection.exchange(fast)
            assert reply.status == 200
            found.append(reply.finished - sent)
        return found

    async def scenario() -> tuple[list[float], list[float], list[Reply], float]:
        connection = Connection(loaded_server.port)
        baseline = await latencies(connection, lambda: False, 50)
        slow = [Connection(loaded_server.port) for _ in range(3)]
        started = time.monotonic()
        trickles = asyncio.gather(*(c.exchange(raw, trickle=0.02, head=head) for c in slow))
        during = await latencies(connection, trickles.done, 20_000)
        replies = await trickles
        await asyncio.gather(connection.close(), *(c.close() for c in slow))
        return baseline, during, replies, time.monotonic() - started

    baseline, during, replies, trickle_time = asyncio.run(asyncio.wait_for(scenario(), 60))
    median = sorted(baseline)[len(baseline) // 2]
    median_during = sorted(during)[len(during) // 2]
    print(
        f"\nslow clients: {len(body)} body bytes at 20 ms each took {trickle_time:.2f}s; "
        f"{len(during)} other requests meanwhile, median {median_during * 1000:.1f} ms "
        f"(baseline {median * 1000:.1f} ms), max {max(during) * 1000:.1f} ms"
    )
    assert trickle_time >= len(body) * 0.02  # the body really was trickled
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert len(during) >= 50  # others were served throughout, not after
    assert median_during < median * 5 + 0.01
    assert max(during) < 0.5


def test_the_call_log_keeps_only_the_newest_calls() -> None:
    """What kept ``contract-kit serve`` from staying flat: every exchange was kept forever."""
    service = MockService("observed", require_auth=False, max_calls=3)
    for seed in range(1, 6):
        body = json.dumps({"model": MODEL, "messages": _messages("hi"), "seed": seed}).encode()
        assert service(MockRequest("POST", f"http://x{CHAT}", CHAT, dict([JSON_CT]), body)).status == 200
    assert [call.body["seed"] for call in service.calls] == [3, 4, 5]


# --- bad input --------------------------------------------------------------------------------


GOOD_BODY = json.dumps({"model": MODEL, "messages": _messages("hello")}).encode()
HEADER_FLOOD = [(f"x-flood-{i}", "v") for i in range(500)]
BIG_HEADER = [("x-big", "a" * 100_000)]
BAD_INPUT: list[tuple[str, bytes, int, str | None]] = [
    ("body not JSON", _post(b"{not json", JSON_CT), 400, None),
    ("body JSON array", _post(b"[1, 2]", JSON_CT), 400, None),
    ("body JSON string", _post(b'"hello"', JSON_CT), 400, None),
    ("body JSON null", _post(b"null", JSON_CT), 400, None),
    ("body over 10 MB", _post(b"x" * (11 * 1024 * 1024), JSON_CT), 413, "request_too_large"),
    (
        "body over 10 MB, chunked",
        _post(b"x" * (11 * 1024 * 1024), JSON_CT, chunked=True),
        413,
        "request_too_large",
    ),
    ("content type text/plain", _post(GOOD_BODY, ("content-type", "text/plain")), 415, None),
    ("no content type", _post(GOOD_BODY), 415, None),
    ("content type form", _post(GOOD_BODY, ("content-type", "application/x-www-form-urlencoded")), 415, None),
    ("unknown route", encode_request("POST", "/v1/embeddings", [JSON_CT, AUTH], GOOD_BODY), 404, "not_found"),
    ("root route", encode_request("GET", "/", []), 404, "not_found"),
    ("GET on the endpoint", encode_request("GET", CHAT, [AUTH]), 405, "method_not_allowed"),
    (
        "PUT on the endpoint",
        encode_request("PUT", CHAT, [JSON_CT, AUTH], GOOD_BODY),
        405,
        "method_not_allowed",
    ),
    ("500 headers", _post(GOOD_BODY, JSON_CT, *HEADER_FLOOD), 431, "request_header_fields_too_large"),
    ("a 100 KB header", _post(GOOD_BODY, JSON_CT, *BIG_HEADER), 431, "request_header_fields_too_large"),
]


@pytest.mark.parametrize(
    ("raw", "status", "code"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_gets_an_openai_error_and_the_server_keeps_serving(
    default_server: Served, raw: bytes, status: int, code: str | None
) -> None:
    async def scenario() -> tuple[Reply, Reply]:
        connection = Connection(default_server.port)
        try:
            bad = await connection.exchange(raw)
            after = await connection.exchange(_post(GOOD_BODY, JSON_CT))  # same connection, or a new one
        finally:
            await connection.close()
        return bad, after

    bad, after = asyncio.run(asyncio.wait_for(scenario(), 60))
    error = assert_openai_error(bad, status)
    if code is not None:
        assert error["code"] == code
    if status == 405:
        assert bad.headers.get("allow") == "POST"
    assert after.status == 200 and after.json()["object"] == "chat.completion"
    default_server.assert_alive()


def test_the_configured_body_limit_is_enforced(loaded_server: Served) -> None:
    """``--max-body-bytes``: up to the limit reaches the handler, one byte more is a 413."""
    base = json.dumps({"model": MODEL, "messages": _messages("")}).encode()
    at_limit = base.replace(b'"content": ""', b'"content": "' + b"y" * (SMALL_LIMIT - len(base)) + b'"')
    assert len(at_limit) == SMALL_LIMIT
    over = at_limit.replace(b'"y', b'"yy', 1)
    assert exchange(loaded_server.port, _post(at_limit, JSON_CT)).status == 200
    for chunked in (False, True):
        error = assert_openai_error(exchange(loaded_server.port, _post(over, JSON_CT, chunked=chunked)), 413)
        assert str(SMALL_LIMIT) in error["message"]


def test_the_auth_check_answers_401_without_echoing_the_key(default_server: Served) -> None:
    missing = exchange(default_server.port, encode_request("POST", CHAT, [JSON_CT], GOOD_BODY))
    malformed = exchange(
        default_server.port, encode_request("POST", CHAT, [JSON_CT, ("authorization", KEY)], GOOD_BODY)
    )
    for reply in (missing, malformed):
        assert assert_openai_error(reply, 401)["code"] == "invalid_api_key"
        assert KEY.encode() not in reply.body


def test_header_limits_are_configurable_and_exact() -> None:
    """``make_app(max_headers=, max_header_bytes=)``: at the limit is served, one over is a 431."""
    app = make_app(MockService("observed", require_auth=False), max_headers=10, max_header_bytes=600)

    def post(extra: list[tuple[str, str]]) -> tuple[Reply, int, int]:
        raw = encode_request("POST", CHAT, [JSON_CT, *extra], GOOD_BODY)
        lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
        size = sum(len(line) - 2 for line in lines)  # "name: value" less the ": "
        return exchange(server.port, raw), len(lines), size

    with BackgroundServer(app) as server:
        count_ok, count, _ = post([(f"x-{i}", "v") for i in range(7)])
        assert count == 10 and count_ok.status == 200
        count_over, count, _ = post([(f"x-{i}", "v") for i in range(8)])
        assert (
            count == 11 and assert_openai_error(count_over, 431)["code"] == "request_header_fields_too_large"
        )
        _, _, base = post([("x-pad", "")])
        bytes_ok, _, size = post([("x-pad", "p" * (600 - base))])
        assert size == 600 and bytes_ok.status == 200
        bytes_over, _, size = post([("x-pad", "p" * (601 - base))])
        assert size == 601 and "600" in assert_openai_error(bytes_over, 431)["message"]
