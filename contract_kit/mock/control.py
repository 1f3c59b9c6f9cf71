"""The control plane: ``/_contract/scenarios`` and ``/_contract/calls``, scoped per client session.

Tests that drive a server they cannot reach in-process script it over HTTP.
Several such clients may share one server (``contract-kit serve`` in CI, the
session-wide ``chat_server``), so each may name a session with the
``x-contract-session`` header: its scenarios are served only to requests that
carry the same header, and ``GET``/``DELETE /_contract/calls`` then see only its
calls. A request naming no session uses the global queue; a request naming a
session that queued nothing gets normal answers, never another client's plans.

The control plane takes JSON only (``415`` for any other body, so a web page
cannot script it with a form or ``text/plain``), answers ``400`` for every
malformed body, and caps what it keeps (:mod:`contract_kit.mock.limits`). The
served mock also checks ``Host`` before a control request reaches it
(``transports/asgi``), against DNS rebinding.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from contract_kit import _json
from contract_kit.errors import ConfigError, ControlRequestError
from contract_kit.mock.calls import CallLog, calls_json
from contract_kit.mock.errors_body import error_response, json_response
from contract_kit.mock.limits import MAX_SESSION_NAME, MAX_SESSIONS
from contract_kit.mock.rules import RuleBook, rules_control
from contract_kit.mock.scenarios import SCENARIO_KEY, Plan, ScenarioQueue
from contract_kit.mock.types import MockRequest, MockResponse

CONTROL_PREFIX = "/_contract/"
SESSION_HEADER = "x-contract-session"
_SESSION_NAME = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_SESSION_NAME}}}")


def session_name(headers: dict[str, str] | Any) -> str | None:
    """The request's ``x-contract-session``, or ``None``; a malformed one is a :class:`ControlRequestError`."""
    name = headers.get(SESSION_HEADER)
    if name is None:
        return None
    if _SESSION_NAME.fullmatch(name) is None:
        raise ControlRequestError(
            f"{SESSION_HEADER} must be 1 to {MAX_SESSION_NAME} characters of letters, digits and ._:-"
        )
    return str(name)


class ScenarioSessions:
    """The global scenario queue plus one queue per named session; thread-safe."""

    def __init__(self, global_queue: ScenarioQueue) -> None:
        self.global_queue = global_queue
        self._sessions: dict[str, ScenarioQueue] = {}
        self._lock = threading.Lock()

    def queue(self, name: str | None) -> ScenarioQueue:
        """The queue to script: the global one, or the session's (created on first use)."""
        if name is None:
            return self.global_queue
        with self._lock:
            found = self._sessions.get(name)
            if found is None:
                if len(self._sessions) >= MAX_SESSIONS:
                    raise ControlRequestError(
                        f"{MAX_SESSIONS} scenario sessions are open; DELETE /_contract/scenarios with "
                        f"{SESSION_HEADER} to close yours"
                    )
                found = self._sessions[name] = ScenarioQueue()
            return found

    def next_plan(self, name: str | None, override: Plan | None) -> Plan:
        """The plan for a call: from its session's queue, or the global one when it names none."""
        if name is None:
            return self.global_queue.next_plan(override)
        with self._lock:
            found = self._sessions.get(name)
        if found is None:
            return override if override is not None else Plan()
        return found.next_plan(override)

    def pending(self, name: str | None) -> int:
        """How many plans wait for this session (or the global queue), without opening a session."""
        if name is None:
            return self.global_queue.pending
        with self._lock:
            found = self._sessions.get(name)
        return found.pending if found is not None else 0

    def snapshot(self, name: str | None) -> dict[str, Any]:
        with self._lock:
            found = self.global_queue if name is None else self._sessions.get(name)
        return (found or ScenarioQueue()).snapshot()

    def clear(self, name: str | None = None) -> None:
        """Clear the global queue (``None``) or close one session."""
        if name is None:
            self.global_queue.clear()
            return
        with self._lock:
            self._sessions.pop(name, None)

    def clear_all(self) -> None:
        """The global queue and every session: what a fixture does between tests."""
        self.global_queue.clear()
        with self._lock:
            self._sessions.clear()


class ControlPlane:
    """Answers the control routes for one service's sessions and calls log."""

    def __init__(self, sessions: ScenarioSessions, calls: CallLog, rules: RuleBook | None = None) -> None:
        self.sessions = sessions
        self.calls = calls
        self.rules = rules if rules is not None else RuleBook()

    def __call__(self, request: MockRequest) -> MockResponse:
        try:
            return self._route(request)
        except ControlRequestError as exc:
            return error_response(exc.status, str(exc), code="invalid_control_request")

    def _route(self, request: MockRequest) -> MockResponse:
        resource = request.path.rsplit(CONTROL_PREFIX, 1)[1].strip("/")
        method = request.method.upper()
        handlers: dict[tuple[str, str], Callable[[MockRequest, str | None], MockResponse]] = {
            ("scenarios", "POST"): self._enqueue,
            ("scenarios", "GET"): lambda _r, name: json_response(200, self.sessions.snapshot(name)),
            ("scenarios", "DELETE"): self._clear_scenarios,
            ("calls", "GET"): lambda _r, name: _json_bytes(calls_json(self.calls.snapshot(name))),
            ("calls", "DELETE"): self._clear_calls,
            ("rules", "POST"): lambda r, _name: rules_control(self.rules, r),
            ("rules", "GET"): lambda r, _name: rules_control(self.rules, r),
            ("rules", "DELETE"): lambda r, _name: rules_control(self.rules, r),
        }
        handler = handlers.get((resource, method))
        if handler is None:
            return _not_routed(request, resource, method, [m for (name, m) in handlers if name == resource])
        _check_json_body(request)
        return handler(request, session_name(request.headers))

    def _enqueue(self, request: MockRequest, name: str | None) -> MockResponse:
        """A list of per-call plans, one plan, or ``{"queue": [...], "default": [...]}``."""
        try:
            data = _json.loads(request.body or b"null")
            queue = self.sessions.queue(name)
            if isinstance(data, dict) and SCENARIO_KEY not in data:
                entries, default = _queue_and_default(data)
                queue.configure(*entries, default=default)
            elif isinstance(data, (list, dict)):
                queue.enqueue(*(data if isinstance(data, list) else [data]))
            else:
                raise ConfigError("send a list of plans, one plan, or {'queue': [...], 'default': [...]}")
        except ControlRequestError:
            raise
        except (ValueError, TypeError, RecursionError) as exc:
            return error_response(400, f"bad scenarios: {exc}", code="invalid_scenario")
        return json_response(200, self.sessions.snapshot(name))

    def _clear_scenarios(self, request: MockRequest, name: str | None) -> MockResponse:
        self.sessions.clear(name)
        return json_response(200, self.sessions.snapshot(name))

    def _clear_calls(self, request: MockRequest, name: str | None) -> MockResponse:
        self.calls.clear(name)
        return json_response(200, {"calls": []})


def _queue_and_default(data: dict[str, Any]) -> tuple[list[Any], Any]:
    unknown = sorted(set(data) - {"queue", "default"})
    if unknown:
        raise ConfigError(f"unknown keys {unknown}; send a list of plans or {{'queue', 'default'}}")
    entries, default = data.get("queue", []), data.get("default")
    if not isinstance(entries, list):
        raise ConfigError(f"'queue' must be a list of plans, got {type(entries).__name__}")
    if default is not None and not isinstance(default, (list, dict)):
        raise ConfigError(f"'default' must be a plan (an object or a list), got {type(default).__name__}")
    return entries, default


def _check_json_body(request: MockRequest) -> None:
    """A control request with a body (every POST) must say it is JSON: a form or ``text/plain``
    is what a web page can send without asking first, so it is refused with 415."""
    if request.method.upper() != "POST" and not request.body:
        return
    given = request.headers.get("content-type", "")
    if given.split(";", 1)[0].strip().lower() != "application/json":
        shown = given or "no Content-Type header"
        raise ControlRequestError(f"The control plane takes JSON only ({shown}); send application/json.", 415)


def _json_bytes(body: bytes) -> MockResponse:
    return MockResponse(200, [("content-type", "application/json")], body)


def _not_routed(request: MockRequest, resource: str, method: str, allowed: list[str]) -> MockResponse:
    if not allowed:
        return error_response(
            404, f"Unknown control route {request.path}; use /_contract/scenarios or /_contract/calls."
        )
    response = error_response(
        405, f"Method {method} is not allowed on {request.path}.", code="method_not_allowed"
    )
    response.headers.append(("allow", ", ".join(allowed)))
    return response
