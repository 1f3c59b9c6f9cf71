"""What a served endpoint does before and after its handler: CORS, API keys, one console line per request.

:class:`Front` wraps any :data:`Handler` (the mock, a cassette replay), so
``contract-kit serve`` behaves alike in every mode:

* **CORS.** A browser's preflight (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) gets 204 with the allow headers when the
  origin is allowed, else 403 naming ``--cors``. Answers to an allowed origin
  carry ``Access-Control-Allow-Origin`` (the origin itself, with ``Vary:
  Origin``) and expose ``x-request-id`` and ``retry-after``. The default
  allows loopback origins only (``http://localhost:*``, ``127.0.0.1``,
  ``[::1]``, any port): a UI under development on the same machine works, a
  web page elsewhere cannot read the mock. ``cors=["*"]`` allows any origin.
* **API keys.** With ``api_keys``, only those keys are valid: a missing or
  malformed ``Authorization: Bearer`` is 401, another key is 401
  ``invalid_api_key``. Neither message echoes the key. Control routes
  (``/_contract/``) and preflights need no key.
* **Console.** ``log`` receives one line per request: method, path, status,
  latency to the first byte and the scenario (``describe``). Never a header.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from contract_kit.mock.admission import BEARER
from contract_kit.mock.errors_body import error_response
from contract_kit.mock.service import CONTROL_PREFIX
from contract_kit.mock.types import Handler, MockRequest, MockResponse

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
ALLOW_METHODS = "GET, POST, OPTIONS"
EXPOSE_HEADERS = "x-request-id, retry-after"
PREFLIGHT_MAX_AGE = "600"


def loopback_origin(origin: str) -> bool:
    """``http(s)://localhost|127.0.0.1|[::1][:port]``: a page served from this machine."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


class Front:
    """``handler`` behind CORS, an API-key check and an access log (see the module doc)."""

    def __init__(
        self,
        handler: Handler,
        *,
        api_keys: Iterable[str] = (),
        cors: Iterable[str] | None = None,
        log: Callable[[str], None] | None = None,
        describe: Callable[[MockRequest, MockResponse], str] | None = None,
    ) -> None:
        self.handler = handler
        self.api_keys = frozenset(api_keys)
        self.cors = None if cors is None else frozenset(cors)
        self.log = log
        self.describe = describe
        # Front keeps no state of its own, so it is as safe to call from worker threads as what it wraps:
        # the ASGI app then still answers heavy requests off the event loop.
        self.thread_safe = bool(getattr(handler, "thread_safe", False))

    def __call__(self, request: MockRequest) -> MockResponse:
        started = time.perf_counter()
        response = self._answer(request)
        self._add_cors(request, response)
        if self.log is not None:
            self.log(self._line(request, response, time.perf_counter() - started))
        return response

    def origin_allowed(self, origin: str) -> bool:
        if self.cors is None:
            return loopback_origin(origin)
        return "*" in self.cors or origin.rstrip("/") in {o.rstrip("/") for o in self.cors}

    def _answer(self, request: MockRequest) -> MockResponse:
        if _is_preflight(request):
            return self._preflight(request)
        if self.api_keys and CONTROL_PREFIX not in request.path:
            rejected = self._check_key(request)
            if rejected is not None:
                return rejected
        return self.handler(request)

    def _preflight(self, request: MockRequest) -> MockResponse:
        origin = request.headers.get("origin", "")
        if not self.origin_allowed(origin):
            message = (
                f"Origin {origin!r} is not allowed; start the server with --cors {origin or 'ORIGIN'} "
                "(or --cors '*')."
            )
            return error_response(403, message, code="cors_origin_not_allowed")
        requested = request.headers.get("access-control-request-headers", "authorization, content-type")
        headers = [
            ("access-control-allow-methods", ALLOW_METHODS),
            ("access-control-allow-headers", requested),
            ("access-control-max-age", PREFLIGHT_MAX_AGE),
        ]
        return MockResponse(204, headers, b"")

    def _check_key(self, request: MockRequest) -> MockResponse | None:
        match = BEARER.fullmatch(request.headers.get("authorization", ""))
        if match is None:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        elif match.group(1) not in self.api_keys:
            message = (
                "Incorrect API key provided. Use one of the keys the server was started with (--api-key)."
            )
        else:
            return None
        return error_response(401, message, code="invalid_api_key")

    def _add_cors(self, request: MockRequest, response: MockResponse) -> None:
        origin = request.headers.get("origin")
        if origin is None or not self.origin_allowed(origin):
            return
        response.headers.append(("access-control-allow-origin", origin))
        response.headers.append(("vary", "Origin"))
        if not _is_preflight(request):
            response.headers.append(("access-control-expose-headers", EXPOSE_HEADERS))

    def _line(self, request: MockRequest, response: MockResponse, elapsed: float) -> str:
        scenario = self.describe(request, response) if self.describe is not None else ""
        kind = " stream" if response.is_stream else ""
        tail = f" [{scenario}]" if scenario else ""
        return f"{request.method} {request.path} {response.status}{kind} {elapsed * 1000:.1f} ms{tail}"


def _is_preflight(request: MockRequest) -> bool:
    return (
        request.method.upper() == "OPTIONS"
        and "origin" in request.headers
        and "access-control-request-method" in request.headers
    )
