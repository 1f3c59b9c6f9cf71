"""HTTP semantics of the mock endpoint: the one :data:`Handler` every transport shares.

respx, httpx2, ASGI and the loopback server only translate bytes; this class
decides what the endpoint answers, so all of them answer alike. Checks run in
the order a client meets them, each with an OpenAI-style error body
(:mod:`contract_kit.mock.admission` holds them):

1. route — the document's operation path under one of its server paths
   (:mod:`contract_kit.mock.routes`), else 404 ``not_found``; another method
   is 405 with ``Allow: POST``;
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
``GET``/``DELETE /_contract/calls``, each scoped by ``x-contract-session``
(:mod:`contract_kit.mock.control`). They need no auth and are not recorded.
The calls log is bounded in count and bytes (:mod:`contract_kit.mock.calls`).

An invalid request never gets a 5xx: every failure before the engine is a 4xx,
and the engine only raises :class:`EngineRequestError` (a 400). A 500
``mock_error`` means a bug in the mock itself, says so, and is logged with its
traceback on the ``contract_kit.mock`` logger.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from contract_kit import _json
from contract_kit.contract import ContractSet, load_contract
from contract_kit.errors import ConfigError, NoRuleMatchedError
from contract_kit.mock.admission import (
    Rejected,
    check_auth,
    check_content_type,
    check_conversation,
    check_model,
    check_query,
    check_route,
    check_schema,
    check_size,
    parse_body,
    session_of,
    violation_param,
)
from contract_kit.mock.calls import Call, CallLog, PendingCall, call_size, excerpt, safe_headers
from contract_kit.mock.conform import (
    conformed,
    conformed_chunks,
    fitted_error,
)
from contract_kit.mock.control import CONTROL_PREFIX, ControlPlane, ScenarioSessions
from contract_kit.mock.engine import (
    ID_PREFIX,
    EngineOptions,
    EngineRequestError,
    GeneratedCompletion,
    as_clock,
    complete,
    completion_id,
    render_chunks,
    render_json,
)
from contract_kit.mock.errors_body import error_bytes, error_response
from contract_kit.mock.faults import apply_faults
from contract_kit.mock.limits import MAX_CALLS, MAX_CALLS_BYTES
from contract_kit.mock.memo import PLACEHOLDER_ID, AnswerMemo, AnswerTemplate, template_of
from contract_kit.mock.models import models_response
from contract_kit.mock.routes import Routes
from contract_kit.mock.rules import RuleBook
from contract_kit.mock.scenarios import ErrorReply, Plan, ScenarioQueue, parse_plan
from contract_kit.mock.types import MockRequest, MockResponse
from contract_kit.validation import DONE, Violation

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_CALLS = MAX_CALLS
SCENARIO_HEADER = "x-contract-scenario"
logger = logging.getLogger("contract_kit.mock")
__all__ = ["CONTROL_PREFIX", "SCENARIO_HEADER", "Call", "MockService", "RequestContract", "violation_param"]
_STREAM_HEADERS = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]
_JSON_HEADERS = [("content-type", "application/json")]


class RequestContract(Protocol):
    """What the service needs from a :class:`~contract_kit.contract.effective.Contract`."""

    profile: str
    path: str

    @property
    def models(self) -> list[str]: ...

    def validate_request(self, body: Any) -> list[Violation]: ...


class MockService:
    """The mock chat-completions endpoint as a ``Handler``; safe to call from several threads."""

    thread_safe = True
    """Tells the ASGI app it may answer heavy requests in worker threads."""

    def __init__(
        self,
        contract_or_profile: RequestContract | ContractSet | str = "observed",
        *,
        seed: int = 0,
        require_auth: bool = True,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        scenarios: ScenarioQueue | None = None,
        clock: Callable[[], int] | int | None = None,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_calls_bytes: int = MAX_CALLS_BYTES,
        check_answers: bool = True,
    ) -> None:
        if isinstance(contract_or_profile, str):
            contract_or_profile = load_contract(profile=contract_or_profile)
        self.documents: ContractSet | None = None  # several documents: each request by its model's
        if isinstance(contract_or_profile, ContractSet):
            several = len(contract_or_profile) > 1
            self.documents = contract_or_profile if several else None
            contract_or_profile = contract_or_profile.primary
        self.contract: RequestContract = contract_or_profile
        self._routes_by_contract = {  # compiled once per document (``routes.py``)
            id(contract): Routes.for_contract(contract)
            for contract in (self.documents or (contract_or_profile,))
        }
        self.routes = self._routes_by_contract[id(contract_or_profile)]
        self.seed = seed
        self.require_auth = require_auth
        self.max_body_bytes = max_body_bytes
        self.scenarios = scenarios if scenarios is not None else ScenarioQueue()
        self.sessions = ScenarioSessions(self.scenarios)
        self.rules = RuleBook()  # reply rules matched on the request (``rules.py``); after the queue
        self.clock = as_clock(clock)
        self.check_answers = check_answers
        """Check each answer against the loaded document before it leaves (fitting one that does not
        conform). One compiled-validator call per answer; ``False`` only for benchmarks."""
        self._counter = itertools.count()
        self.memo = AnswerMemo()  # a repeated request's answer is rendered once (``memo.py``)
        self._request_ids = itertools.count()
        self._request_id_prefix = uuid.uuid4().hex[:16]  # unique per service, then a counter per request
        self.call_log = CallLog(max_calls=max_calls, max_bytes=max_calls_bytes)
        self.control = ControlPlane(self.sessions, self.call_log, self.rules)

    @property
    def calls(self) -> list[Call]:
        """A snapshot of the recorded calls, oldest first (the newest that fit the log's bounds)."""
        return self.call_log.snapshot()

    def clear_calls(self) -> None:
        self.call_log.clear()

    def reset(self) -> None:
        """Forget every scenario (global and per session), the default, the reply rules and the calls."""
        self.sessions.clear_all()
        self.rules.clear()
        self.call_log.clear()

    def __call__(self, request: MockRequest) -> MockResponse:
        if CONTROL_PREFIX in request.path:
            return self._guarded(request, self.control)
        state: dict[str, Any] = {"body": None, "plan": [], "rejected": False, "session": None}
        response = self._guarded(request, lambda r: self._serve(r, state))
        response.headers.append(
            ("x-request-id", f"req_{self._request_id_prefix}{next(self._request_ids):016x}")
        )
        self._record(request, state, response)
        return response

    def _guarded(self, request: MockRequest, answer: Callable[[MockRequest], MockResponse]) -> MockResponse:
        """``answer(request)``; a refused request's 4xx, or a logged 500 for a bug in the mock."""
        try:
            return answer(request)
        except Rejected as reject:
            return fitted_error(self.contract, reject.response)
        except Exception as exc:  # a bug in the mock: say so rather than pretend the request was bad
            logger.exception("the mock failed on %s %s", request.method, request.path)
            return error_response(500, f"the mock failed: {type(exc).__name__}: {exc}", code="mock_error")

    # --- the pipeline ---------------------------------------------------------------------------

    def _serve(self, request: MockRequest, state: dict[str, Any]) -> MockResponse:
        state["rejected"] = True  # until the request is known to be a well-formed, authorized one
        if self.routes.is_models(request.path):  # GET <root>/models[/{id}]: auth as for chat, then the list
            self._check_auth(request)
            state["rejected"] = False
            listed = self.contract.models if self.documents is None else self.documents.models
            return models_response(request, self.routes.model_id(request.path), listed, self.clock())
        if self.documents is not None:
            view = self._view_for(request, self.documents)
            return view._guarded(request, lambda r: view._serve_chat(r, state))
        return self._serve_chat(request, state)

    def _serve_chat(self, request: MockRequest, state: dict[str, Any]) -> MockResponse:
        check_route(self.routes, request)
        check_content_type(request)
        check_size(request, self.max_body_bytes)
        admitted = self.memo.admitted(request.body, self.contract)  # these bytes passed before
        body = parse_body(request.body) if admitted is None else admitted
        self._check_auth(request)
        state["body"], state["rejected"] = body, False
        check_query(self.contract, request)
        if admitted is None:
            check_model(self.contract, body)
            check_schema(self.contract, body)
            check_conversation(body)
            self.memo.admit(request.body, self.contract, body)
        state["session"] = session_of(request)
        plan = self._plan(request, state["session"], body)
        state["plan"] = plan.to_json()
        if isinstance(plan.outcome, ErrorReply):
            return apply_faults(_scenario_error(plan.outcome), plan)
        return apply_faults(self._generate(request, body, plan), plan)

    def _view_for(self, request: MockRequest, documents: ContractSet) -> MockService:
        """Several documents: this service on the contract of the request's ``model`` (the first
        document's when none lists it, so an unknown model is still a 404), checks and answer alike.
        A shallow copy per request: it shares the scenarios, rules, call log and counters, and sees
        a setting changed after construction (``require_auth``)."""
        try:
            body = _json.loads(request.body) if len(request.body) <= self.max_body_bytes else None
        except (ValueError, RecursionError):
            body = None  # the chosen contract's own checks answer it
        view = copy.copy(self)
        view.contract = documents.for_request(body)
        view.routes = self._routes_by_contract[id(view.contract)]
        return view

    def _check_auth(self, request: MockRequest) -> None:
        if self.require_auth:
            check_auth(self.contract, request)

    def _rule_plan(self, session: str | None, body: Mapping[str, Any]) -> Plan | None:
        """A reply rule's plan when nothing is queued: the header, then the queue, win over rules."""
        if not self.rules or self.sessions.pending(session):
            return None
        try:
            return self.rules.plan_for(body)
        except NoRuleMatchedError as exc:
            raise Rejected(error_response(400, str(exc), code="no_rule_matched")) from None

    def _plan(self, request: MockRequest, session: str | None, body: Mapping[str, Any] | None = None) -> Plan:
        header = request.headers.get(SCENARIO_HEADER)
        try:  # parsed as strictly as bodies: a lone surrogate (\ud800) must not reach a reply it breaks
            override = None if header is None else parse_plan(_json.loads(header))
        except json.JSONDecodeError as exc:
            message = f"{SCENARIO_HEADER} is not JSON ({exc.msg} at column {exc.colno})"
            raise Rejected(error_response(400, message, code="invalid_scenario")) from None
        except ConfigError as exc:
            raise Rejected(
                error_response(400, f"{SCENARIO_HEADER}: {exc}", code="invalid_scenario")
            ) from None
        if override is None and body is not None:
            override = self._rule_plan(session, body)
        return self.sessions.next_plan(session, override)

    def _generate(self, request: MockRequest, body: Mapping[str, Any], plan: Plan) -> MockResponse:
        """The engine's answer; a plain one is rendered once per distinct request (``memo.py``)."""
        reply = None if isinstance(plan.outcome, ErrorReply) else plan.outcome
        call = next(self._counter)
        if reply is not None:
            options = self._options(reply, call, self.clock)
            return self._render(self._complete(body, options), body, options)
        created = self.clock()
        key = self._memo_key(request, created)
        template = None if key is None else self.memo.get(key)
        if template is None:
            options = self._options(None, 0, lambda: created)
            first = self._complete(body, options)  # call 0: its id is the base of every call's id
            template = self._template(first, body, options)
            if template is None:  # the document fitted the answer: render it for this call
                stamped = dataclasses.replace(first, id=completion_id(first.id.removeprefix(ID_PREFIX), call))
                return self._render(stamped, body, options)
            if key is not None:
                self.memo.put(key, template)
        return template.response(call)

    def _memo_key(self, request: MockRequest, created: int) -> tuple[Any, ...] | None:
        """What a plain answer depends on besides the call number; ``None`` for a large request."""
        if not self.memo.admits(request.body):
            return None
        return (request.body, id(self.contract), self.seed, self.check_answers, created)

    def _options(self, reply: Any, call: int, clock: Callable[[], int]) -> EngineOptions:
        return EngineOptions(
            profile=self.contract.profile, seed=self.seed, clock=clock, reply=reply, call=call
        )

    def _complete(self, body: Mapping[str, Any], options: EngineOptions) -> GeneratedCompletion:
        try:
            return complete(body, options)
        except EngineRequestError as exc:
            raise Rejected(error_response(400, str(exc), param=exc.param)) from None

    def _render(
        self, completion: GeneratedCompletion, body: Mapping[str, Any], options: EngineOptions
    ) -> MockResponse:
        """The completion as the client asked for it, checked against the document (fitted if need be)."""
        stream, writes, _as_rendered = self._writes(completion, body, options)
        if stream:
            return MockResponse(200, list(_STREAM_HEADERS), chunks=writes)
        return MockResponse(200, list(_JSON_HEADERS), writes[0])

    def _template(
        self, completion: GeneratedCompletion, body: Mapping[str, Any], options: EngineOptions
    ) -> AnswerTemplate | None:
        """The answer rendered with a placeholder id, when it conforms as rendered; else ``None``."""
        placeheld = dataclasses.replace(completion, id=PLACEHOLDER_ID)
        stream, writes, as_rendered = self._writes(placeheld, body, options)
        if not as_rendered:
            return None
        headers = _STREAM_HEADERS if stream else _JSON_HEADERS
        return template_of(headers, writes, completion.id, stream=stream)

    def _writes(
        self, completion: GeneratedCompletion, body: Mapping[str, Any], options: EngineOptions
    ) -> tuple[bool, list[bytes], bool]:
        """(stream or not, the bytes of each write, whether it conformed as rendered): a stream's
        events, or the JSON body as one write, checked against the document and fitted if need be."""
        if body.get("stream") is True:
            chunks = render_chunks(completion, body, options)
            checked = conformed_chunks(self.contract, chunks) if self.check_answers else chunks
            return True, sse_events(checked), checked is chunks
        answer = render_json(completion, body, options)
        sent = conformed(self.contract, answer) if self.check_answers else answer
        return False, [_json.dumps(sent)], sent is answer

    # --- recording ------------------------------------------------------------------------------

    def _record(self, request: MockRequest, state: dict[str, Any], response: MockResponse) -> None:
        """Keep the call; a rejected request keeps only an excerpt of its body (see ``calls``).

        The response body stays bytes until a test reads the log (:class:`PendingCall`).
        """
        body = state["body"]
        if state["rejected"]:
            body = None
        raw = None if body is not None else excerpt(request.body)
        chunks = response.chunks
        call = PendingCall(
            method=request.method,
            path=request.path,
            headers=safe_headers(request.headers),
            request_body=request.body if body is not None else None,  # parsed again only when read
            raw_body=raw,
            status=response.status,
            response_headers=list(response.headers),
            response_body=response.body,
            chunks=chunks,
            plan=state["plan"],
            session=state["session"],
            body_size=len(request.body),
        )
        kept = len(request.body) if body is not None else len(raw or b"")
        sent = len(response.body or b"") if chunks is None else sum(map(len, chunks))
        self.call_log.append(call, call_size(kept, sent))


_DONE_EVENT = f"data: {DONE}\n\n".encode()


def sse_events(chunks: list[dict[str, Any]]) -> list[bytes]:
    """One ``data:`` event per chunk, then ``[DONE]``: each item is one network write.

    orjson serializes the engine's chunks (plain JSON values by construction)
    several times faster than ``json``; this is the mock's hot path.
    """
    events = [b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in chunks]
    events.append(_DONE_EVENT)
    return events


def _scenario_error(scenario: ErrorReply) -> MockResponse:
    response = MockResponse(
        scenario.status,
        [("content-type", "application/json")],
        error_bytes(scenario.status, scenario.message, type=scenario.type, code=scenario.code),
    )
    if scenario.retry_after is not None:
        response.headers.append(("retry-after", str(math.ceil(scenario.retry_after))))
    return response
