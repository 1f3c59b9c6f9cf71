"""Run an ASGI app (normally ``asgi.make_app(handler)``) under uvicorn.

``serve`` blocks, for ``contract-kit serve``. ``BackgroundServer`` runs the
server in a daemon thread on a free loopback port for tests and for clients
that cannot be patched (other processes, curl, non-Python SDKs).

The port is chosen by binding port 0 on a socket *we* create and handing
that socket to uvicorn: the port is known before the server starts and no
other process can take it in between, unlike "find a free port, then bind".

Slow clients (limits in :mod:`contract_kit.mock.limits`): a connection must
send its request head within ``HEADER_TIMEOUT`` seconds or it is closed (a
small subclass of uvicorn's httptools protocol, which has no such timer; the
body timeout is the app's), idle keep-alive connections close after
``KEEP_ALIVE_TIMEOUT``, and past ``limit_concurrency`` open connections new
requests get uvicorn's 503. The process's soft file-descriptor limit is raised
to its hard limit, and the concurrency limit kept below it, so a flood of
slow clients meets the 503 and the timers rather than ``EMFILE``.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from importlib.util import find_spec
from types import TracebackType
from urllib.parse import urlsplit

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from contract_kit.defaults import DEFAULT_BASE_URL
from contract_kit.errors import ServerStartError
from contract_kit.mock.limits import (
    FD_RESERVE,
    HEADER_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONCURRENCY,
    MAX_INCOMPLETE_EVENT_BYTES,
)
from contract_kit.mock.transports.asgi import ASGIApp

try:  # POSIX only: Windows has no resource module and no soft/hard descriptor limits to raise
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

DEFAULT_PORT = 4010
_LOOPBACK = "127.0.0.1"
_DEFAULT_ROOT_PATH = urlsplit(DEFAULT_BASE_URL).path  # /v1


class HeadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus a timer on the request head.

    uvicorn times out idle keep-alive connections but not a client that
    sends its headers a byte at a time; this closes such a connection after
    :data:`HEADER_TIMEOUT` seconds (from the connection, or from the first
    byte of a later request on it, to the end of its headers).
    """

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._start_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        self.transport.close()


def raise_fd_limit() -> int:
    """Raise the soft file-descriptor limit to the hard one where the OS allows; the soft limit after."""
    if resource is None:  # pragma: no cover - Windows
        return MAX_CONCURRENCY + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass  # a container may forbid it; the concurrency limit then follows the lower soft limit
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def concurrency_limit() -> int:
    """Connections plus requests served at once: :data:`MAX_CONCURRENCY`, kept below the fd limit."""
    return max(16, min(MAX_CONCURRENCY, raise_fd_limit() - FD_RESERVE))


def uvicorn_config(
    app: ASGIApp, host: str = _LOOPBACK, port: int = DEFAULT_PORT, *, log_level: str = "warning"
) -> uvicorn.Config:
    """The one place the uvicorn settings live: httptools (with a head timeout)
    and uvloop when installed (they are the fast paths), lifespan on, no access
    log (one line per mocked request drowns test output), and the slow-client
    limits of the module docstring."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=HeadTimeoutProtocol if find_spec("httptools") else "h11",
        loop="uvloop" if find_spec("uvloop") else "asyncio",
        lifespan="on",
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        limit_concurrency=concurrency_limit(),
        h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES,
    )


def serve(
    app: ASGIApp, host: str = _LOOPBACK, port: int = DEFAULT_PORT, *, log_level: str = "warning"
) -> None:
    """Serve until interrupted (Ctrl+C / SIGTERM). Loopback unless told otherwise.

    What was loaded before serving (documents, compiled validators) lives as long as the
    process: ``gc.freeze`` keeps the collector from walking it again on every full collection.
    """
    gc.collect()
    gc.freeze()
    uvicorn.Server(uvicorn_config(app, host, port, log_level=log_level)).run()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerStartError(f"cannot bind {host}:{port} ({exc}); pass port=0 to get a free port") from None
    return sock


class BackgroundServer:
    """A uvicorn server in a daemon thread, as a context manager.

    >>> with BackgroundServer(make_app(handler)) as server:  # doctest: +SKIP
    ...     openai.OpenAI(api_key="sk-test", base_url=server.base_url)

    ``start()`` / ``stop()`` are there for session-scoped fixtures. ``base_path``
    defaults to the API root path of the document the app's mock serves
    (``/v1``; Azure's ``/openai``), else ``/v1``.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = _LOOPBACK,
        port: int = 0,
        *,
        base_path: str | None = None,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.base_path = _api_root_path(app) if base_path is None else base_path
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        """``http://host:port``; a wildcard bind address is reached via loopback."""
        host = {"0.0.0.0": _LOOPBACK, "::": "::1", "": _LOOPBACK}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give a client as its API root, e.g. ``http://127.0.0.1:53211/v1`` (Azure's: ``.../openai``)."""
        return f"{self.url}{self.base_path}"

    def start(self) -> BackgroundServer:
        if self._thread is not None:
            raise ServerStartError("this BackgroundServer is already running; stop() it first")
        self._sock = _bind(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn_config(self.app, self.host, self.port, log_level=self.log_level)
        )
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"contract-kit-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_started()
        return self

    def _wait_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self.stop()
                raise ServerStartError(
                    f"the server on {self.url} stopped during startup; "
                    "run with log_level='info' to see uvicorn's reason"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"the server on {self.url} did not start within {self.startup_timeout}s"
                )
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask uvicorn to exit, force it if open streams keep it busy, and
        release the socket. Safe to call twice."""
        server, thread, sock = self._server, self._thread, self._sock
        self._server = self._thread = self._sock = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout)
        if sock is not None:
            sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._thread is not None else "stopped"
        return f"<BackgroundServer {self.base_url} {state}>"


def _api_root_path(app: object) -> str:
    """The API root path of the contract behind ``make_app(MockService(contract))``, else ``/v1``."""
    contract = getattr(getattr(app, "handler", None), "contract", None)
    path = getattr(contract, "api_root_path", None)
    return path if isinstance(path, str) else _DEFAULT_ROOT_PATH
