"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, one
request in flight on each, for a fixed duration.

Every served target in ``bench_mock`` is measured with this same client, so
the comparison is fair whatever its own overhead. It runs in a process of its
own (``python loadgen.py ...``, printing one JSON object) so that it never
shares an interpreter, and so a GIL, with the server under test.

It is an ``asyncio.Protocol`` with a hand-written response parser
(``Content-Length`` and ``chunked`` bodies, trailers, ``Connection: close``)
rather than ``asyncio`` streams, because a 60-chunk SSE body costs two awaits
per chunk with streams and the client should be the cheaper side. uvloop is
used when installed.

Latency is measured from writing a request to reading the last byte of its
response. With ``--server-pid`` it also reads the server process's CPU time
(user + system, through psutil) at the start and end of the measured window,
and its own CPU time over the same window, so a row can say how much CPU
each request cost the server and the client: req/s alone on a shared
2-core machine says as much about the machine as about the server. Responses that complete during the warm-up are not counted; after
the measured window no new request is sent and in-flight ones are drained.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import cast

_HEAD_END = b"\r\n\r\n"
_CRLF = b"\r\n"
_DRAIN_TIMEOUT_S = 5.0


@dataclass
class Sample:
    """The first complete response, so the caller can check what it measured."""

    status: int
    content_type: str
    body_bytes: int
    chunked: bool
    tail: str


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: int
    sample: Sample | None = None
    completed: int = 0  # responses finished inside the measured window, whenever sent
    server_cpu_s: float | None = None  # server CPU over the measured window
    client_cpu_s: float = 0.0  # this load generator's CPU over the measured window

    @property
    def server_cpu_us(self) -> float | None:
        """Server CPU per request served in the window, in microseconds."""
        if self.server_cpu_s is None or not self.completed:
            return None
        return self.server_cpu_s / self.completed * 1e6

    @property
    def client_cpu_us(self) -> float | None:
        return self.client_cpu_s / self.completed * 1e6 if self.completed else None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadResult:
        data = json.loads(text)
        sample = data.pop("sample")
        return cls(**data, sample=Sample(**sample) if sample else None)


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class _Stats:
    measure_from: float
    measure_until: float
    latencies: list[float] = field(default_factory=list)
    completed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    sample: Sample | None = None


class _Connection(asyncio.Protocol):
    """One keep-alive connection that sends the next request as soon as the
    previous response is complete, until the measured window ends."""

    def __init__(self, request: bytes, stats: _Stats, done: asyncio.Future[bool]) -> None:
        self.request = request
        self.stats = stats
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self._reset()

    def _reset(self) -> None:
        self.state = "head"
        self.status = 0
        self.content_type = ""
        self.chunked = False
        self.keep_alive = True
        self.remaining = 0
        self.body_bytes = 0
        self.tail = b""
        self.sent_at = 0.0

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            while self._step():
                pass
        except ValueError:
            self._fail()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state != "closed":
            self._fail()

    # --- the loop ---------------------------------------------------------------------------

    def _send(self) -> None:
        if time.perf_counter() >= self.stats.measure_until:
            self._finish()
            return
        assert self.transport is not None
        self._reset()
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)

    def _finish(self) -> None:
        self.state = "closed"
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(True)

    def _fail(self) -> None:
        """Count it and reconnect (the connection loop stops once the window is over)."""
        self.stats.errors += 1
        self.state = "closed"
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(False)

    def _complete(self) -> None:
        now = time.perf_counter()
        stats = self.stats
        if stats.sample is None:
            stats.sample = Sample(
                self.status,
                self.content_type,
                self.body_bytes,
                self.chunked,
                self.tail.decode("utf-8", "replace"),
            )
        if stats.measure_from <= now <= stats.measure_until:
            stats.completed += 1
        if self.sent_at >= stats.measure_from and now <= stats.measure_until:
            stats.latencies.append(now - self.sent_at)
            stats.statuses[self.status] += 1
        if self.keep_alive:
            self._send()
        else:  # the server closes: reconnect (counts against the target, as it should)
            self.state = "closed"
            assert self.transport is not None
            self.transport.close()
            if not self.done.done():
                self.done.set_result(False)

    def _body(self, data: bytes) -> None:
        self.body_bytes += len(data)
        self.tail = (self.tail + data)[-40:]

    def _step(self) -> bool:
        """Parse what the buffer holds; True when there may be more to parse."""
        buf = self.buffer
        state = self.state
        if state == "head":
            end = buf.find(_HEAD_END)
            if end < 0:
                return False
            self._head(bytes(buf[:end]))
            del buf[: end + 4]
            if self.chunked:
                self.state = "chunk-size"
            elif self.remaining:
                self.state = "body"
            else:
                self._complete()
            return True
        if state in ("body", "chunk-data"):
            if not buf:
                return False
            take = min(len(buf), self.remaining)
            self._body(bytes(buf[:take]))
            del buf[:take]
            self.remaining -= take
            if self.remaining:
                return False
            if state == "body":
                self._complete()
            else:
                self.state = "chunk-end"
            return True
        if state == "chunk-end":
            if len(buf) < 2:
                return False
            if buf[:2] != _CRLF:
                raise ValueError("chunk not followed by CRLF")
            del buf[:2]
            self.state = "chunk-size"
            return True
        if state in ("chunk-size", "trailer"):
            end = buf.find(_CRLF)
            if end < 0:
                return False
            line = bytes(buf[:end])
            del buf[: end + 2]
            if state == "trailer":
                if not line:
                    self._complete()
                return True
            size = int(line.split(b";", 1)[0], 16)
            if size == 0:
                self.state = "trailer"
            else:
                self.state, self.remaining = "chunk-data", size
            return True
        return False

    def _head(self, head: bytes) -> None:
        lines = head.split(_CRLF)
        self.status = int(lines[0].split(b" ", 2)[1])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            key, val = name.strip().lower(), value.strip()
            if key == b"content-length":
                self.remaining = int(val)
            elif key == b"transfer-encoding" and b"chunked" in val.lower():
                self.chunked = True
            elif key == b"content-type":
                self.content_type = val.decode("latin-1")
            elif key == b"connection" and val.lower() == b"close":
                self.keep_alive = False


async def _connection_loop(host: str, port: int, request: bytes, stats: _Stats) -> None:
    loop = asyncio.get_running_loop()
    while time.perf_counter() < stats.measure_until:
        done: asyncio.Future[bool] = loop.create_future()
        try:
            await loop.create_connection(functools.partial(_Connection, request, stats, done), host, port)
        except OSError:
            stats.errors += 1
            await asyncio.sleep(0.05)
            continue
        remaining = stats.measure_until - time.perf_counter() + _DRAIN_TIMEOUT_S
        try:
            finished = await asyncio.wait_for(done, max(remaining, 0.1))
        except asyncio.TimeoutError:
            stats.errors += 1
            return
        if finished:
            return


def _cpu_seconds(process: object | None) -> float | None:
    if process is None:
        return None
    try:
        cpu = process.cpu_times()  # type: ignore[attr-defined]
    except Exception:  # the server went away: no CPU figure rather than a crash
        return None
    return float(cpu.user + cpu.system)


def _server_process(pid: int | None) -> object | None:
    if pid is None:
        return None
    try:
        import psutil  # optional: the bench extra installs it
    except ImportError:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


async def _cpu_window(stats: _Stats, server: object | None) -> tuple[float | None, float]:
    """(server CPU, own CPU) between the start and the end of the measured window."""
    await asyncio.sleep(max(0.0, stats.measure_from - time.perf_counter()))
    server_start, own_start = _cpu_seconds(server), time.process_time()
    await asyncio.sleep(max(0.0, stats.measure_until - time.perf_counter()))
    server_end, own_end = _cpu_seconds(server), time.process_time()
    used = None if server_start is None or server_end is None else server_end - server_start
    return used, own_end - own_start


async def generate(
    host: str,
    port: int,
    request: bytes,
    *,
    connections: int = 8,
    warmup_s: float = 1.0,
    duration_s: float = 5.0,
    server_pid: int | None = None,
) -> LoadResult:
    start = time.perf_counter()
    stats = _Stats(measure_from=start + warmup_s, measure_until=start + warmup_s + duration_s)
    window = asyncio.ensure_future(_cpu_window(stats, _server_process(server_pid)))
    await asyncio.gather(*(_connection_loop(host, port, request, stats) for _ in range(connections)))
    server_cpu, client_cpu = await window
    latencies = sorted(stats.latencies)
    n = len(latencies)
    return LoadResult(
        requests=n,
        seconds=duration_s,
        rps=n / duration_s,
        p50_ms=statistics.median(latencies) * 1e3 if n else float("nan"),
        p99_ms=latencies[min(n - 1, int(n * 0.99))] * 1e3 if n else float("nan"),
        statuses={str(k): v for k, v in sorted(stats.statuses.items())},
        errors=stats.errors,
        sample=stats.sample,
        completed=stats.completed,
        server_cpu_s=server_cpu,
        client_cpu_s=client_cpu,
    )


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/chat/completions")
    parser.add_argument("--body", required=True, help="request body (JSON text)")
    parser.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds not counted (default: 1)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured (default: 5)")
    parser.add_argument("--server-pid", type=int, help="report this process's CPU time per request")
    args = parser.parse_args(argv)
    headers = {"Content-Type": "application/json"}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            parser.error(f"--header {item!r} is not NAME:VALUE")
        headers[name.strip()] = value.strip()
    request = build_request(args.host, args.port, args.path, args.body.encode(), headers)
    _install_uvloop()
    result = asyncio.run(
        generate(
            args.host,
            args.port,
            request,
            connections=args.connections,
            warmup_s=args.warmup,
            duration_s=args.duration,
            server_pid=args.server_pid,
        )
    )
    sys.stdout.write(result.to_json() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
