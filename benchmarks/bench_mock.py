"""The mock: in-process against a bare respx route, served against Prism and a static ASGI app.

In-process rows time one ``httpx.Client`` round trip (JSON, and a stream read
to the end) through respx to the kit's ``ChatMock`` (auth checked, request
validated, content generated, call recorded), against a bare respx route that
returns the same bytes statically. Each candidate's mock is active only during
its own timed batch, so the two never share a router; batches are interleaved.
The JSON and stream rows repeat one request, as a test suite does (a retry, a
parametrised test): the kit renders its answer once and stamps each call's id
(``mock/memo.py``). The ``-distinct`` rows send a new question every call, so
every answer is generated, checked and rendered from scratch; they carry no
limit and show what the memo saves.

Served rows run every server in a process of its own and the load generator
(``loadgen.py``) in another, so nothing shares a GIL with the server under
test. All three servers are up at once; they are measured one after another,
interleaved over rounds (JSON and stream), and each row reports the median
over rounds with the min and max. Beside req/s, each row reports the
server's CPU time per request (the server process's CPU time over the
measured window divided by the responses it finished in that window) and the
load generator's, since on a shared machine req/s is capped by the machine.

``python bench_mock.py static-server --port P --payload FILE`` is the static
ASGI app, started by ``run()`` as a subprocess under the kit's own uvicorn
settings (``contract_kit.mock.transports.server.serve``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import MIN_ROUNDS, Row, Timing, spread, timed_row
from loadgen import LoadResult

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PRISM_DIR = ROOT / ".bench" / "prism"
PRISM_VERSION = "5.16.0"

URL = "https://api.aimlapi.com/v1/chat/completions"
PATH = "/v1/chat/completions"
AUTH = {"Authorization": "Bearer sk-bench"}
QUESTION = "In two sentences, why do contract tests catch API drift early?"
REQUEST: dict[str, Any] = {
    "model": "alibaba/qwen3-vl-32b-thinking",
    "messages": [{"role": "user", "content": QUESTION}],
    "max_tokens": 64,
}
STREAM_REQUEST: dict[str, Any] = {**REQUEST, "stream": True}

CONNECTIONS = 8
WARMUP_S = 1.0
DURATION_S = float(os.environ.get("BENCH_MOCK_SECONDS", "3"))
# a shared machine: 5 rounds for steadier medians
ROUNDS = max(MIN_ROUNDS, int(os.environ.get("BENCH_MOCK_ROUNDS", "5")))
STARTUP_TIMEOUT_S = 60.0
NPM_TIMEOUT_S = 600.0
INPROCESS_LIMITS = {
    "json": 1.5,
    "stream": 1.8,
    "stream-chunked": 1.8,
}  # issue #14: cost against the bare route
SERVED_CPU_LIMITS = {"json": 2.5, "stream": 1.5}  # issue #14: server CPU per request against the static app
ISSUE_SERVED_MIN_RATIO = 5.0

Candidate = tuple[Callable[[], AbstractContextManager[Any]], Callable[[], object]]


# --- in-process ---------------------------------------------------------------------------------


def interleaved(
    candidates: Mapping[str, Candidate], *, rounds: int = 7, budget_s: float = 0.3
) -> dict[str, Timing]:
    """``harness.compare`` for candidates that need a context (a mock) active
    while they run: the context is entered outside the timed region, and one
    untimed call after entering absorbs first-call costs."""
    sizes: dict[str, int] = {}
    for name, (context, func) in candidates.items():
        with context():
            func()
            start, calls = time.perf_counter(), 0
            while time.perf_counter() - start < budget_s / 10:
                func()
                calls += 1
        sizes[name] = max(1, calls)
    timings = {name: Timing(name) for name in candidates}
    for _ in range(max(rounds, MIN_ROUNDS)):
        for name, (context, func) in candidates.items():
            n = sizes[name]
            with context():
                func()
                start = time.perf_counter()
                for _ in range(n):
                    func()
                timings[name].samples.append((time.perf_counter() - start) / n)
    return timings


@contextmanager
def bare_route(content: bytes, content_type: str) -> Iterator[Any]:
    """The anchor: a respx route that answers with static bytes."""
    import httpx
    import respx

    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(
            return_value=httpx.Response(200, content=content, headers={"content-type": content_type})
        )
        yield router


@contextmanager
def bare_chunked_route(reads: list[bytes], content_type: str) -> Iterator[Any]:
    """The streaming anchor: a respx route that streams the same static chunks, one read each.

    A stream is many reads by nature; comparing it with one static body would
    charge the mock for httpx's per-chunk cost, which any streamed answer pays.
    """
    import httpx
    import respx

    class StaticChunks(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield from reads

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=StaticChunks(), headers={"content-type": content_type})

    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=answer)
        yield router


def in_process_lines() -> list[Row]:
    import httpx

    from contract_kit import load_contract
    from contract_kit.mock import ChatMock

    contract = load_contract("observed")
    ours_client, bare_client = httpx.Client(), httpx.Client()

    def ours_context() -> ChatMock:
        return ChatMock(contract, require_auth=True)

    def post(client: httpx.Client) -> httpx.Response:
        return client.post(URL, json=REQUEST, headers=AUTH)

    def stream(client: httpx.Client, request: dict[str, Any] = STREAM_REQUEST) -> bytes:
        with client.stream("POST", URL, json=request, headers=AUTH) as response:
            return b"".join(response.iter_bytes())

    asked = itertools.count()

    def distinct(request: dict[str, Any]) -> dict[str, Any]:
        """The request with a question never sent before: the kit answers it from scratch."""
        return {**request, "messages": [{"role": "user", "content": f"{QUESTION} (#{next(asked)})"}]}

    with ours_context():  # what the kit answers: the bare route replays the same bytes
        json_response = post(ours_client)
        with ours_client.stream("POST", URL, json=STREAM_REQUEST, headers=AUTH) as streamed:
            stream_reads = list(streamed.iter_raw())
            stream_body = b"".join(stream_reads)
    _expect(
        json_response.status_code == 200,
        f"the mock answered {json_response.status_code}: {json_response.text}",
    )
    _expect(stream_body.endswith(b"data: [DONE]\n\n"), "the mock's stream did not end with data: [DONE]")
    stream_content_type = streamed.headers.get("content-type", "text/event-stream")

    lines: list[Row] = []
    rows: list[tuple[str, Candidate, Candidate]] = [
        (
            "json",
            (ours_context, lambda: post(ours_client)),
            (lambda: bare_route(json_response.content, "application/json"), lambda: post(bare_client)),
        ),
        (
            "stream",
            (ours_context, lambda: stream(ours_client)),
            (lambda: bare_route(stream_body, stream_content_type), lambda: stream(bare_client)),
        ),
        (
            "stream-chunked",
            (ours_context, lambda: stream(ours_client)),
            (lambda: bare_chunked_route(stream_reads, stream_content_type), lambda: stream(bare_client)),
        ),
        (
            "json-distinct",
            (ours_context, lambda: ours_client.post(URL, json=distinct(REQUEST), headers=AUTH)),
            (
                lambda: bare_route(json_response.content, "application/json"),
                lambda: bare_client.post(URL, json=distinct(REQUEST), headers=AUTH),
            ),
        ),
        (
            "stream-distinct",
            (ours_context, lambda: stream(ours_client, distinct(STREAM_REQUEST))),
            (
                lambda: bare_chunked_route(stream_reads, stream_content_type),
                lambda: stream(bare_client, distinct(STREAM_REQUEST)),
            ),
        ),
    ]
    labels = {
        "json": "in-process mock, JSON round trip through httpx + respx",
        "stream": "in-process mock, stream read to the end (anchor: the same bytes as one static body)",
        "stream-chunked": "in-process mock, stream vs the same chunks streamed statically",
        "json-distinct": "in-process mock, JSON, every request a new one (answered from scratch, no memo)",
        "stream-distinct": "in-process mock, stream, every request a new one (answered from scratch, no memo)",
    }
    notes = {
        "json-distinct": "no limit: shows what the answer memo saves (mock/memo.py)",
        "stream-distinct": "no limit: shows what the answer memo saves (mock/memo.py)",
    }
    for mode, ours, bare in rows:
        timings = interleaved({"contract-kit": ours, "bare-respx": bare})
        lines.append(
            timed_row(
                f"mock/in-process-{mode} vs bare-respx",
                labels[mode],
                timings["contract-kit"],
                timings["bare-respx"],
                cost=True,
                limit=INPROCESS_LIMITS.get(mode),
                note=notes.get(mode, "anchor: a bare respx route returning the same bytes"),
            )
        )
    ours_client.close()
    bare_client.close()
    return lines


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"bench_mock: {message}")


# --- served: the servers ------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    note: str = ""

    def log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    stack: ExitStack, name: str, argv: list[str], port: int, workdir: Path, note: str = ""
) -> Server:
    """Start ``argv`` as a subprocess; the stack kills it however ``run`` ends."""
    log = workdir / f"{name}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, cwd=workdir
        )
    stack.callback(stop_process, process)
    return Server(name, port, process, log, note)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_accepting(server: Server, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Bounded wait until the port accepts connections; fail early if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} during startup: {server.log_tail()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} did not accept connections on port {server.port} within {timeout_s:g}s"
    )


def kit_argv(port: int) -> list[str]:
    """``contract-kit serve --no-auth``: make_app(MockService(observed, require_auth=False)) under uvicorn."""
    code = "import sys; from contract_kit.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, "serve", "--port", str(port), "--no-auth"]


def static_payload(workdir: Path) -> Path:
    """The kit's own answers to the two benchmark requests, for the static app to replay."""
    from contract_kit import load_contract
    from contract_kit.mock import MockRequest, MockService

    service = MockService(load_contract("observed"), require_auth=False)

    def answer(body: dict[str, Any]) -> Any:
        return service(
            MockRequest(
                "POST",
                f"http://127.0.0.1{PATH}",
                PATH,
                {"content-type": "application/json"},
                json.dumps(body).encode(),
            )
        )

    plain, streamed = answer(REQUEST), answer(STREAM_REQUEST)
    _expect(
        plain.body is not None and streamed.chunks is not None, "the mock did not answer JSON and a stream"
    )
    path = workdir / "static-payload.json"
    path.write_text(
        json.dumps(
            {
                "json": plain.body.decode(),
                "chunks": [chunk.decode() for chunk in streamed.chunks],
                "stream_content_type": streamed.header("content-type") or "text/event-stream",
            }
        )
    )
    return path


def prism_entry() -> tuple[Path | None, str]:
    """Prism's CLI script, installing it once into ``.bench/prism``; or ``None`` and why not."""
    package = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if shutil.which("node") is None:
        return None, "node not found; install Node.js to measure Prism"

    def installed() -> Path | None:
        try:
            meta = json.loads(package.read_text())
        except (OSError, ValueError):
            return None
        if meta.get("version") != PRISM_VERSION:
            return None
        bin_field = meta.get("bin")
        script = bin_field.get("prism") if isinstance(bin_field, dict) else bin_field
        return (package.parent / script).resolve() if isinstance(script, str) else None

    entry = installed()
    if entry is not None:
        return entry, ""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm not found; install Node.js and npm to measure Prism"
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(PRISM_DIR),
        f"@stoplight/prism-cli@{PRISM_VERSION}",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return None, f"'npm install @stoplight/prism-cli@{PRISM_VERSION}' timed out after {NPM_TIMEOUT_S:g}s"
    entry = installed()
    if done.returncode != 0 or entry is None:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return (
            None,
            f"'npm install @stoplight/prism-cli@{PRISM_VERSION}' failed (exit {done.returncode}): {tail}",
        )
    return entry, ""


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "?"
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()


# --- served: measuring --------------------------------------------------------------------------


@dataclass
class Series:
    """Every round of one (server, mode)."""

    results: list[LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.results)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.results)

    def rps_text(self) -> str:
        return spread([r.rps for r in self.results], lambda v: f"{v:,.0f}") + " req/s"

    def server_cpu(self) -> list[float]:
        return [r.server_cpu_us for r in self.results if r.server_cpu_us is not None]

    def client_cpu(self) -> list[float]:
        return [r.client_cpu_us for r in self.results if r.client_cpu_us is not None]

    def cpu_text(self) -> str:
        server, client = self.server_cpu(), self.client_cpu()
        micro = lambda v: f"{v:,.0f} µs"  # noqa: E731
        text = f"server CPU {spread(server, micro)}/req" if server else "server CPU n/a"
        return text + (f", loadgen CPU {spread(client, micro)}/req" if client else "")

    def problems(self) -> str:
        errors = sum(r.errors for r in self.results)
        statuses: dict[str, int] = {}
        for result in self.results:
            for status, count in result.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        bad = {s: c for s, c in statuses.items() if s != "200"}
        parts = [f"{errors} connection errors"] if errors else []
        parts += [f"{c} x HTTP {s}" for s, c in sorted(bad.items())]
        return ", ".join(parts)


def load(server: Server, body: dict[str, Any]) -> LoadResult:
    port = server.port
    argv = [
        sys.executable,
        str(HERE / "loadgen.py"),
        "--port",
        str(port),
        "--path",
        PATH,
        "--body",
        json.dumps(body),
        "--header",
        f"Authorization: {AUTH['Authorization']}",
        "--connections",
        str(CONNECTIONS),
        "--warmup",
        str(WARMUP_S),
        "--duration",
        str(DURATION_S),
        "--server-pid",
        str(server.process.pid),
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=WARMUP_S + DURATION_S + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return LoadResult.from_json(done.stdout.strip().splitlines()[-1])


def served_row(mode: str, ours: Series, anchor_name: str, anchor: Series, label: str, note: str) -> Row:
    """req/s ratio (ours/anchor, median of per-round ratios) plus each side's CPU per request."""
    ratios = [
        o.rps / a.rps if a.rps else float("inf") for o, a in zip(ours.results, anchor.results, strict=True)
    ]
    ratio = spread(ratios, lambda v: f"{v:,.2f}x") + " req/s"
    ours_cpu, anchor_cpu = ours.server_cpu(), anchor.server_cpu()
    if ours_cpu and len(ours_cpu) == len(anchor_cpu):
        cpu = [o / a for o, a in zip(ours_cpu, anchor_cpu, strict=True)]
        ratio += "; server CPU per request, ours/anchor (cost): " + spread(cpu, lambda v: f"{v:,.2f}x")
        limit = SERVED_CPU_LIMITS.get(mode) if anchor_name == "static-asgi-ceiling" else None
        if limit is not None:
            verdict = "met" if statistics.median(cpu) <= limit else "NOT met"
            ratio += f" (limit {limit:g}x: {verdict})"
    problems = [
        f"{name}: {text}"
        for name, text in (("ours", ours.problems()), (anchor_name, anchor.problems()))
        if text
    ]
    note = (
        f"{CONNECTIONS} keep-alive conns, {len(ours.results)} rounds x {DURATION_S:g}s, p99 ours "
        f"{ours.p99_ms:.1f} ms / {anchor_name} {anchor.p99_ms:.1f} ms; {note}"
    )
    if problems:
        note += f"; WARNING {'; '.join(problems)}"
    return Row(
        f"mock/served-{mode} vs {anchor_name}",
        label,
        f"{ours.rps_text()}, {ours.cpu_text()}",
        f"{anchor_name} {anchor.rps_text()}, {anchor.cpu_text()}",
        ratio,
        note,
    )


def describe(result: LoadResult) -> str:
    sample = result.sample
    if sample is None:
        return "no response"
    kind = sample.content_type.split(";")[0] or "?"
    return f"{kind} {sample.body_bytes:,} B{' chunked' if sample.chunked else ''}"


def served_lines() -> list[Row]:
    lines: list[Row] = []
    modes = {"json": REQUEST, "stream": STREAM_REQUEST}
    # The stack is left first: the servers are stopped before their directory goes.
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        payload = static_payload(workdir)
        kit_port, static_port = free_port(), free_port()
        static_argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "static-server",
            "--port",
            str(static_port),
            "--payload",
            str(payload),
        ]
        servers = [
            start_server(stack, "contract-kit", kit_argv(kit_port), kit_port, workdir),
            start_server(stack, "static-asgi-ceiling", static_argv, static_port, workdir),
        ]
        entry, skip_reason = prism_entry()
        if entry is not None:
            from contract_kit import load_contract

            spec = workdir / "documented.json"
            spec.write_text(json.dumps(load_contract("documented").document))
            port = free_port()
            argv = [
                shutil.which("node") or "node",
                str(entry),
                "mock",
                str(spec),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "--verboseLevel",
                "silent",
            ]
            servers.append(
                start_server(
                    stack,
                    "prism",
                    argv,
                    port,
                    workdir,
                    note=f"prism {PRISM_VERSION} on node {node_version()}, -v silent",
                )
            )
        for server in servers:
            wait_accepting(server)

        series = {(s.name, mode): Series() for s in servers for mode in modes}
        for _ in range(ROUNDS):
            for mode, body in modes.items():
                for server in servers:
                    series[(server.name, mode)].results.append(load(server, body))

        names = [s.name for s in servers]
        what = {"json": "served mock, JSON", "stream": "served mock, SSE stream"}
        for mode in modes:
            ours = series[("contract-kit", mode)]
            shape = f"ours {describe(ours.results[0])}"
            if "prism" in names:
                prism = series[("prism", mode)]
                note = next(s.note for s in servers if s.name == "prism")
                if mode == "json":
                    verdict = "met" if ours.rps >= ISSUE_SERVED_MIN_RATIO * prism.rps else "NOT met"
                    note += f"; issue #3 target >= {ISSUE_SERVED_MIN_RATIO:g}x: {verdict}"
                else:
                    sample = prism.results[0].sample
                    if sample is None or "event-stream" not in sample.content_type:
                        note += "; prism answers stream:true with plain JSON, not SSE, so it does less work"
                note += f"; {shape}, prism {describe(prism.results[0])}"
                lines.append(served_row(mode, ours, "prism", prism, f"{what[mode]} vs Prism", note))
            else:
                lines.append(
                    Row(
                        f"mock/served-{mode} vs prism",
                        f"{what[mode]} vs Prism",
                        "skipped",
                        "",
                        "",
                        skip_reason,
                    )
                )
            ceiling = series[("static-asgi-ceiling", mode)]
            note = f"same uvicorn config, same bytes; {shape}"
            label = f"{what[mode]} vs a static ASGI app (ceiling)"
            lines.append(served_row(mode, ours, "static-asgi-ceiling", ceiling, label, note))
    return lines


# --- the static ASGI app (run as a subprocess) --------------------------------------------------


def static_app(json_body: bytes, chunks: list[bytes], stream_content_type: str) -> Callable[..., Any]:
    """Answers every request with fixed bytes: the stream when the body asks
    for one, else the JSON. Reads the body, parses nothing, validates nothing."""
    json_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(json_body)).encode())]
    stream_headers = [(b"content-type", stream_content_type.encode()), (b"cache-control", b"no-cache")]

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if b'"stream": true' in body or b'"stream":true' in body:
            await send({"type": "http.response.start", "status": 200, "headers": stream_headers})
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": json_headers})
            await send({"type": "http.response.body", "body": json_body, "more_body": False})

    return app


def serve_static(argv: list[str]) -> int:
    from contract_kit.mock.transports import serve

    parser = argparse.ArgumentParser(prog="bench_mock.py static-server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payload", type=Path, required=True)
    args = parser.parse_args(argv)
    payload = json.loads(args.payload.read_text())
    app = static_app(
        payload["json"].encode(), [c.encode() for c in payload["chunks"]], payload["stream_content_type"]
    )
    serve(app, port=args.port)
    return 0


def run() -> list[Row]:
    return in_process_lines() + served_lines()


if __name__ == "__main__":
    if sys.argv[1:2] == ["static-server"]:
        raise SystemExit(serve_static(sys.argv[2:]))
    print("\n".join(row.text() for row in run()))
