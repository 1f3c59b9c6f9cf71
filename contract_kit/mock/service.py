"""HTTP semantics of the mock endpoint: the one :data:`Handler` every transport shares.

respx, httpx2, ASGI and the loopback server only translate bytes; this class
decides what the endpoint answers, so all of them answer alike. Checks run in
the order a client meets them, each with an OpenAI-style error body:

1. route — a path ending in the contract's path or in ``/chat/completions``,
   else 404 ``not_found``; another method is 405 with ``Allow: POST``;
2. ``Content-Type`` must be ``application/json`` (parameters allowed), else 415;
3. a body over ``max_body_bytes`` is 413;
4. a body that is not JSON, or not a JSON object, is 400;
5. auth — a missing or malformed ``Authorization: Bearer <key>`` is 401
   ``invalid_api_key`` (the key is never echoed nor recorded); ``require_auth=False``
   turns this off;
6. unknown model — a string ``model`` outside the contract's model list is 404
   ``model_not_found`` with OpenAI's message "The model `X` does not exist or
   you do not have access to it.", checked before the schema because that is
   what an OpenAI-compatible gateway does (it routes by model before it parses
   the rest). The request schema's ``enum`` would otherwise make it a 400 with
   a less useful message;
7. schema — ``contract.validate_request``; the first error becomes a 400 whose
   ``param`` is the violation's path without the leading ``$.`` and, for a
   missing property, with that property appended: ``messages[0].role``, the
   way OpenAI names nested parameters. A root-level problem has ``param: null``;
8. scenarios (``x-contract-scenario`` header, else the queue), then the engine.

Control routes, for tests driving a server they cannot reach in-process:
``POST /_contract/scenarios`` (a list of per-call plans, or
``{"queue": [...], "default": [...]}``), ``GET``/``DELETE /_contract/scenarios``,
``GET``/``DELETE /_contract/calls``. They need no auth and are not recorded.
Only the newest ``max_calls`` exchanges (default 1,000) are kept, so a
long-running ``contract-kit serve`` does not grow without bound.

An invalid request never gets a 5xx: every failure before the engine is a 4xx,
and the engine only raises :class:`EngineRequestError` (a 400). A 500
``mock_error`` means a bug in the mock itself, and says so.
"""

from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from contract_kit import _json
from contract_kit.errors import ConfigError
from contract_kit.mock.engine import (
    EngineOptions,
    EngineRequestError,
    complete,
    fixed_clock,
    render_chunks,
    render_json,
)
from contract_kit.mock.errors_body import error_bytes, error_response, json_response
from contract_kit.mock.fit import fit
from contract_kit.mock.scenarios import (
    SCENARIO_KEY,
    ErrorReply,
    Plan,
    ScenarioQueue,
    apply_faults,
    parse_plan,
)
from contract_kit.mock.types import MockRequest, MockResponse
from contract_kit.validation import DONE, Violation

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_CALLS = 1000
SCENARIO_HEADER = "x-contract-scenario"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})
_BEARER = re.compile(r"Bearer[ \t]+(\S+)[ \t]*", re.IGNORECASE)
CONTROL_PREFIX = "/_contract/"
_STREAM_HEADERS = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]


class RequestContract(Protocol):
    """What the service needs from a :class:`~contract_kit.contract.effective.Contract`."""

    profile: str
    path: str

    @property
    def models(self) -> list[str]: ...

    def validate_request(self, body: Any) -> list[Violation]: ...


@dataclass(frozen=True)
class Call:
    """One recorded exchange. ``headers`` never hold a credential."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_body: bytes | None
    status: int
    response_headers: list[tuple[str, str]]
    response_body: Any
    chunks: list[bytes] | None
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def request_id(self) -> str | None:
        return next((value for key, value in self.response_headers if key == "x-request-id"), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON view (for ``GET /_contract/calls``): bytes become text."""
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "raw_body": None if self.raw_body is None else self.raw_body.decode("utf-8", "replace"),
            "status": self.status,
            "response_headers": [list(pair) for pair in self.response_headers],
            "response_body": self.response_body,
            "chunks": None if self.chunks is None else [c.decode("utf-8", "replace") for c in self.chunks],
            "plan": self.plan,
        }


class _Reject(Exception):
    """A check failed; carries the response to send."""

    def __init__(self, response: MockResponse) -> None:
        self.response = response


class MockService:
    """The mock chat-completions endpoint as a ``Handler``; safe to call from several threads."""

    def __init__(
        self,
        contract_or_profile: RequestContract | str = "observed",
        *,
        seed: int = 0,
        require_auth: bool = True,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        scenarios: ScenarioQueue | None = None,
        clock: Callable[[], int] = fixed_clock,
        max_calls: int = DEFAULT_MAX_CALLS,
    ) -> None:
        if isinstance(contract_or_profile, str):
            from contract_kit.contract import load_contract

            contract_or_profile = load_contract(profile=contract_or_profile)
        self.contract: RequestContract = contract_or_profile
        self.seed = seed
        self.require_auth = require_auth
        self.max_body_bytes = max_body_bytes
        self.scenarios = scenarios if scenarios is not None else ScenarioQueue()
        self.clock = clock
        self._calls: deque[Call] = deque(maxlen=max_calls)
        self._lock = threading.Lock()

    @property
    def calls(self) -> list[Call]:
        """A snapshot of the recorded calls, oldest first (the newest ``max_calls`` of them)."""
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def __call__(self, request: MockRequest) -> MockResponse:
        if CONTROL_PREFIX in request.path:
            return self._control(request)
        state: dict[str, Any] = {"body": None, "plan": []}
        try:
            response = self._serve(request, state)
        except _Reject as reject:
            response = _fitted_error(self.contract, reject.response)
        except Exception as exc:  # a bug in the mock: say so rather than pretend the request was bad
            response = error_response(500, f"the mock failed: {type(exc).__name__}: {exc}", code="mock_error")
        response.headers.append(("x-request-id", f"req_{uuid.uuid4().hex}"))
        self._record(request, state, response)
        return response

    # --- the pipeline ---------------------------------------------------------------------------

    def _serve(self, request: MockRequest, state: dict[str, Any]) -> MockResponse:
        self._check_route(request)
        self._check_content_type(request)
        self._check_size(request)
        body = state["body"] = _parse_body(request.body)
        self._check_auth(request)
        _check_query(self.contract, request)
        self._check_model(body)
        self._check_schema(body)
        plan = self._plan(request)
        state["plan"] = plan.to_json()
        if isinstance(plan.outcome, ErrorReply):
            return apply_faults(_scenario_error(plan.outcome), plan)
        return apply_faults(self._generate(body, plan), plan)

    def _check_route(self, request: MockRequest) -> None:
        path = request.path.rstrip("/") or "/"
        if not (path.endswith(self.contract.path) or path.endswith("/chat/completions")):
            raise _Reject(
                error_response(
                    404, f"Unknown request URL: {request.method} {request.path}.", code="not_found"
                )
            )
        if request.method.upper() != "POST":
            response = error_response(
                405,
                f"Method {request.method} is not allowed on {request.path}; use POST.",
                code="method_not_allowed",
            )
            response.headers.append(("allow", "POST"))
            raise _Reject(response)

    def _check_content_type(self, request: MockRequest) -> None:
        given = request.headers.get("content-type", "")
        if given.split(";", 1)[0].strip().lower() != "application/json":
            shown = given or "no Content-Type header"
            raise _Reject(error_response(415, f"Unsupported Content-Type ({shown}); send application/json."))

    def _check_size(self, request: MockRequest) -> None:
        if len(request.body) > self.max_body_bytes:
            raise _Reject(
                error_response(
                    413, f"The request body is {len(request.body)} bytes; the limit is {self.max_body_bytes}."
                )
            )

    def _check_auth(self, request: MockRequest) -> None:
        if not self.require_auth or _has_document_api_key(self.contract, request):
            return
        value = request.headers.get("authorization")
        if value is None:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        elif _BEARER.fullmatch(value) is None:
            message = "Malformed Authorization header; expected 'Authorization: Bearer <YOUR_AIMLAPI_KEY>'."
        else:
            return
        raise _Reject(error_response(401, message, code="invalid_api_key"))

    def _check_model(self, body: Mapping[str, Any]) -> None:
        model, known = body.get("model"), self.contract.models
        if isinstance(model, str) and known and model not in known:
            message = f"The model `{model}` does not exist or you do not have access to it."
            raise _Reject(error_response(404, message, code="model_not_found"))

    def _check_schema(self, body: Mapping[str, Any]) -> None:
        try:
            errors = [v for v in self.contract.validate_request(body) if v.severity == "error"]
        except RecursionError:
            raise _Reject(error_response(400, "The request body is nested too deeply to validate.")) from None
        if errors:
            first = errors[0]
            param = violation_param(first)
            where = f" (at {param})" if param else ""
            raise _Reject(error_response(400, f"Invalid request{where}: {first.message}", param=param))

    def _plan(self, request: MockRequest) -> Plan:
        header = request.headers.get(SCENARIO_HEADER)
        try:  # parsed as strictly as bodies: a lone surrogate (\ud800) must not reach a reply it breaks
            override = None if header is None else parse_plan(_json.loads(header))
        except json.JSONDecodeError as exc:
            message = f"{SCENARIO_HEADER} is not JSON ({exc.msg} at column {exc.colno})"
            raise _Reject(error_response(400, message, code="invalid_scenario")) from None
        except ConfigError as exc:
            raise _Reject(error_response(400, f"{SCENARIO_HEADER}: {exc}", code="invalid_scenario")) from None
        return self.scenarios.next_plan(override)

    def _generate(self, body: Mapping[str, Any], plan: Plan) -> MockResponse:
        reply = None if isinstance(plan.outcome, ErrorReply) else plan.outcome
        options = EngineOptions(profile=self.contract.profile, seed=self.seed, clock=self.clock, reply=reply)
        try:
            completion = complete(body, options)
        except EngineRequestError as exc:
            raise _Reject(error_response(400, str(exc), param=exc.param)) from None
        if body.get("stream") is True:
            rendered = render_chunks(completion, body, options)
            chunks = [_conformed(self.contract, chunk, "text/event-stream") for chunk in rendered]
            return MockResponse(200, list(_STREAM_HEADERS), chunks=sse_events(chunks))
        return json_response(200, _conformed(self.contract, render_json(completion, body, options)))

    # --- control routes ---------------------------------------------------------------------------

    def _control(self, request: MockRequest) -> MockResponse:
        """``/_contract/scenarios`` and ``/_contract/calls``: drive the mock over HTTP."""
        resource = request.path.rsplit(CONTROL_PREFIX, 1)[1].strip("/")
        method = request.method.upper()
        handlers: dict[tuple[str, str], Callable[[MockRequest], MockResponse]] = {
            ("scenarios", "POST"): self._enqueue,
            ("scenarios", "GET"): lambda _r: json_response(200, self.scenarios.snapshot()),
            ("scenarios", "DELETE"): self._clear_scenarios,
            ("calls", "GET"): lambda _r: json_response(200, {"calls": [c.to_json() for c in self.calls]}),
            ("calls", "DELETE"): self._clear_recorded,
        }
        handler = handlers.get((resource, method))
        if handler is not None:
            return handler(request)
        allowed = [m for (name, m) in handlers if name == resource]
        if not allowed:
            return error_response(
                404, f"Unknown control route {request.path}; use /_contract/scenarios or /_contract/calls."
            )
        response = error_response(
            405, f"Method {method} is not allowed on {request.path}.", code="method_not_allowed"
        )
        response.headers.append(("allow", ", ".join(allowed)))
        return response

    def _enqueue(self, request: MockRequest) -> MockResponse:
        """A list of per-call plans, one plan, or ``{"queue": [...], "default": [...]}``."""
        try:
            data = _json.loads(request.body or b"null")
            if isinstance(data, dict) and SCENARIO_KEY not in data:
                unknown = sorted(set(data) - {"queue", "default"})
                if unknown:
                    raise ConfigError(
                        f"unknown keys {unknown}; send a list of plans or {{'queue', 'default'}}"
                    )
                self.scenarios.configure(*data.get("queue", []), default=data.get("default"))
            else:
                self.scenarios.enqueue(*(data if isinstance(data, list) else [data]))
        except (ValueError, RecursionError) as exc:
            return error_response(400, f"bad scenarios: {exc}", code="invalid_scenario")
        return json_response(200, self.scenarios.snapshot())

    def _clear_scenarios(self, request: MockRequest) -> MockResponse:
        self.scenarios.clear()
        return json_response(200, self.scenarios.snapshot())

    def _clear_recorded(self, request: MockRequest) -> MockResponse:
        self.clear_calls()
        return json_response(200, {"calls": []})

    # --- recording ------------------------------------------------------------------------------

    def _record(self, request: MockRequest, state: dict[str, Any], response: MockResponse) -> None:
        body = state["body"]
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS}
        call = Call(
            method=request.method,
            path=request.path,
            headers=headers,
            body=body,
            raw_body=None if body is not None else bytes(request.body),
            status=response.status,
            response_headers=list(response.headers),
            response_body=_json_or_none(response.body),
            chunks=None if response.chunks is None else list(response.chunks),
            plan=state["plan"],
        )
        with self._lock:
            self._calls.append(call)


def violation_param(violation: Violation) -> str | None:
    """OpenAI-style ``param`` for a request violation: ``messages[0].role``, or ``None`` at the root."""
    path = violation.path[2:] if violation.path.startswith("$.") else ""
    if violation.path.startswith("$["):
        path = violation.path[1:]
    if (
        violation.rule == "required"
        and isinstance(violation.expected, list)
        and isinstance(violation.observed, Mapping)
    ):
        missing = next((name for name in violation.expected if name not in violation.observed), None)
        if isinstance(missing, str):
            path = f"{path}.{missing}" if path else missing
    return path or None


_DONE_EVENT = f"data: {DONE}\n\n".encode()


def sse_events(chunks: list[dict[str, Any]]) -> list[bytes]:
    """One ``data:`` event per chunk, then ``[DONE]``: each item is one network write.

    orjson serializes the engine's chunks (plain JSON values by construction)
    several times faster than ``json``; this is the mock's hot path.
    """
    events = [b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in chunks]
    events.append(_DONE_EVENT)
    return events


def _parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = _json.loads(raw)
    except (ValueError, RecursionError) as exc:
        hint = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        message = (
            f"We could not parse the JSON body of your request ({hint}). The API expects a JSON payload, "
            "but what was sent was not valid JSON."
        )
        raise _Reject(error_response(400, message)) from None
    if not isinstance(body, dict):
        kind = "null" if body is None else type(body).__name__
        raise _Reject(error_response(400, f"The request body must be a JSON object, got {kind}."))
    return body


def _scenario_error(scenario: ErrorReply) -> MockResponse:
    response = MockResponse(
        scenario.status,
        [("content-type", "application/json")],
        error_bytes(scenario.status, scenario.message, type=scenario.type, code=scenario.code),
    )
    if scenario.retry_after is not None:
        response.headers.append(("retry-after", str(math.ceil(scenario.retry_after))))
    return response


def _json_or_none(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _conformed(
    contract: RequestContract, answer: Any, content_type: str = "application/json", status: int = 200
) -> Any:
    """The answer checked against the loaded contract before it leaves (one compiled-validator call);
    one that does not conform is fitted to the document's schema (``mock/fit.py``)."""
    lookup = getattr(contract, "response_check", None)
    check = lookup(status, content_type) if callable(lookup) else None
    if check is None or check.is_valid(answer):
        return answer
    return fit(answer, contract.response_schema(status, content_type))  # type: ignore[attr-defined]


def _fitted_error(contract: RequestContract, response: MockResponse) -> MockResponse:
    """An error body fitted to the schema the loaded document gives its status (Azure: no null ``code``)."""
    if response.body is None or not callable(getattr(contract, "response_check", None)):
        return response
    try:
        body = _json.loads(response.body)
    except ValueError:
        return response
    response.body = _json.dumps(_conformed(contract, body, status=response.status))
    return response


def _has_document_api_key(contract: RequestContract, request: MockRequest) -> bool:
    """A non-empty key where one of the document's ``apiKey`` schemes puts it (header or query)."""
    locations = getattr(contract, "api_key_locations", [])
    query = parse_qs(urlsplit(request.url).query) if any(where == "query" for where, _ in locations) else {}
    for where, name in locations:
        value = request.headers.get(name.lower()) if where == "header" else (query.get(name) or [""])[0]
        if value and value.strip():
            return True
    return False


def _check_query(contract: RequestContract, request: MockRequest) -> None:
    """A required query parameter (Azure's ``api-version``) missing is a 400, as the live service answers."""
    required = getattr(contract, "required_query", [])
    if not required:
        return
    present = parse_qs(urlsplit(request.url).query)
    for name in required:
        if not present.get(name):
            message = f"Missing required query parameter '{name}'."
            raise _Reject(error_response(400, message, param=name, code="missing_required_parameter"))
