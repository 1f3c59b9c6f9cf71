"""The contract suite: three properties every implementation of the endpoint must hold.

1. ``valid``: a valid request gets a 200 whose JSON body or event stream
   conforms to the contract (schema, stream invariants, semantics, and the
   request-dependent rules of :mod:`contract_kit.validation.exchange`);
2. ``invalid``: a request that breaks one rule gets a 4xx with an error body,
   never a 5xx and never a 200;
3. ``agreement``: the same request sent with and without ``stream`` says the
   same thing (content, reasoning, tool calls, finish reason, token counts).
   It needs a deterministic target; others skip it and say why.

Each property is a Hypothesis test over the kit's strategies, so a failure is
shrunk to a minimal example before it is reported. Settings start from the
active Hypothesis profile (its database included) and change only what the
suite needs: the example count when asked, no deadline for network targets,
no ``too_slow`` health check (requests are rich on purpose). A seed (``--seed``
or pytest's ``--hypothesis-seed``) reproduces a run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed

from contract_kit import _json
from contract_kit.defaults import JSON_TYPE
from contract_kit.defaults import SSE_TYPE as STREAM_TYPE
from contract_kit.errors import ConfigError, TargetAuthError
from contract_kit.strategies import InvalidCase, chat_requests, invalid_chat_requests
from contract_kit.suite.coverage import SchemaCoverage
from contract_kit.suite.report import format_failure
from contract_kit.suite.results import (
    AGREEMENT,
    INVALID,
    PROPERTIES,
    VALID,
    Failure,
    PropertyResult,
    SuiteReport,
)
from contract_kit.validation import ObservedAnswer, answer_problems, excused

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from contract_kit.contract import Contract
    from contract_kit.suite.targets import Target, TargetResponse

MAX_PROBLEMS = 8

ProgressCallback = Callable[[str, int, int], None]


class PropertyFailed(AssertionError):
    """One example broke a property; the message lists what went wrong."""


class ContractSuite:
    """The three properties, run against one target with one contract."""

    def __init__(
        self,
        contract: Contract,
        target: Target,
        *,
        examples: int | None = None,
        seed: int | None = None,
        database: bool = True,
        deadline: bool = True,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.contract = contract
        self.target = target
        self.seed = seed
        self.progress = progress
        """Called after each example with (property, examples done, examples asked for)."""
        self.settings = suite_settings(target, examples=examples, database=database, deadline=deadline)
        self.coverage = SchemaCoverage(contract.request_schema)
        self.refused: int | None = None
        """The 401/403 status the target answered with; from then on nothing is sent."""
        schema = contract.request_schema
        self._declared = set(schema.get("properties") or {}) if isinstance(schema, dict) else set()

    # -- the checks, one example each ----------------------------------------------------------
    def check_valid(self, request: dict[str, Any]) -> list[str]:
        """What is wrong with the target's answer to a valid request (empty: nothing)."""
        self.coverage.record(request)
        response = self._send(request)
        if response.status != 200:
            return [f"status {response.status}, expected 200; body: {_preview(response.body)}"]
        if request.get("stream") is True:
            return self._stream_problems(request, response)
        return self._json_problems(request, response)

    def check_invalid(self, case: InvalidCase) -> list[str]:
        """What is wrong with the target's answer to a request that breaks one rule."""
        response = self._answer(case.body, case.content_type)
        if response.status >= 500:
            return [f"server error {response.status} for an invalid request; body: {_preview(response.body)}"]
        if not 400 <= response.status < 500:
            return [
                f"status {response.status}: the target accepted a request that breaks "
                f"{case.expected_rule} at {case.expected_path}"
            ]
        return self._error_body_problems(response)

    def check_agreement(self, request: dict[str, Any]) -> list[str]:
        """Differences between the JSON answer and the streamed answer to the same request."""
        self.coverage.record(request)
        plain = {key: value for key, value in request.items() if key not in ("stream", "stream_options")}
        streamed = {**plain, "stream": True}
        if "stream_options" in self._declared:
            streamed["stream_options"] = {"include_usage": True}
        json_answer, stream_answer = self._send(plain), self._send(streamed)
        for label, response in (("JSON", json_answer), ("stream", stream_answer)):
            if response.status != 200:
                return [f"the {label} request got status {response.status}; body: {_preview(response.body)}"]
        return _differences(
            json_answer, self.contract.validate_stream(stream_answer.reads, request=streamed), streamed
        )

    # -- running -------------------------------------------------------------------------------
    def run(self, properties: Sequence[str] = PROPERTIES) -> SuiteReport:
        results = [self.run_property(name) for name in properties]
        summary = {
            "max_examples": self.settings.max_examples,
            "seed": self.seed,
            "deadline": self.settings.deadline,
        }
        return SuiteReport(self.target.name, results, self.coverage.report(), summary)

    def run_property(self, name: str) -> PropertyResult:
        """Run one property as a Hypothesis test; a failure is shrunk and kept, not raised."""
        result = PropertyResult(name)
        if name == AGREEMENT and not self.target.deterministic:
            result.skipped = "the target is not deterministic (only the mock and loopback servers are)"
            return result
        strategy, check = self._property(name)
        test = self._hypothesis_test(strategy, check, result)
        try:
            test()
        except PropertyFailed:
            pass
        except TargetAuthError as exc:  # no answer was evidence: never a pass, never shrunk over the network
            result.error = str(exc)
        except Exception as exc:  # Hypothesis itself gave up (health check, flaky): report, do not crash
            result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return result

    def assert_property(self, name: str) -> None:
        """Run one property; raise ``AssertionError`` with the minimal failing example (for pytest)."""
        __tracebackhide__ = True
        result = self.run_property(name)
        if not result.ok:
            raise PropertyFailed(format_failure(result))

    def _property(self, name: str) -> tuple[SearchStrategy[Any], Callable[[Any], list[str]]]:
        if name == VALID:
            return chat_requests(self.contract), self.check_valid
        if name == INVALID:
            return invalid_chat_requests(self.contract), self.check_invalid
        if name == AGREEMENT:
            return chat_requests(self.contract, stream=False), self.check_agreement
        raise ConfigError(f"unknown property {name!r}; choose from {', '.join(PROPERTIES)}")

    def _hypothesis_test(
        self, strategy: SearchStrategy[Any], check: Callable[[Any], list[str]], result: PropertyResult
    ) -> Callable[[], None]:
        def example_holds(example: Any) -> None:
            failing = result.failure is not None
            problems = check(example)
            if not failing:
                result.examples += 1
                result.passed += not problems
                if self.progress is not None:
                    self.progress(result.name, result.examples, self.settings.max_examples)
            if problems:
                result.failure = Failure(example, problems[:MAX_PROBLEMS])
                raise PropertyFailed("; ".join(problems[:MAX_PROBLEMS]))

        example_holds.__name__ = f"contract_suite_{result.name}"  # its own example-database key
        test = given(strategy)(settings(self.settings)(example_holds))
        return hypothesis_seed(self.seed)(test) if self.seed is not None else test

    # -- answers -------------------------------------------------------------------------------
    def _send(self, request: dict[str, Any]) -> TargetResponse:
        return self._answer(_json.dumps(request), JSON_TYPE)

    def _answer(self, body: bytes, content_type: str) -> TargetResponse:
        """The target's answer; a 401/403 stops every property, since no later answer could count.

        Without the right key every request gets 401, and "invalid requests get
        a 4xx" would then hold for no reason. The first refusal is remembered and
        raised again without sending, so Hypothesis's shrinking costs no calls.
        """
        if self.refused is None:
            response = self.target.send(body, content_type)
            if response.status not in (401, 403):
                return response
            self.refused = response.status
        raise TargetAuthError(
            f"the target answered {self.refused} (it refused the credentials), so this property was not "
            "tested; set AIMLAPI_API_KEY to a valid key, or use a target that needs none "
            "(contract-kit serve --no-auth, then contract-kit check --target URL --no-auth)"
        )

    def _json_problems(self, request: dict[str, Any], response: TargetResponse) -> list[str]:
        if _media(response) != JSON_TYPE:
            return [f"a JSON request got content type {response.content_type!r}, expected {JSON_TYPE}"]
        problems = [
            v.format()
            for v in self.contract.validate_response_bytes(response.body, request=request)
            if v.is_error and not excused(v.rule, request)
        ]
        if problems:
            return problems
        choices = _json.loads(response.body).get("choices") or []
        return [
            problem
            for choice in choices
            for problem in answer_problems(
                request, ObservedAnswer.from_message(choice["message"], choice.get("finish_reason"))
            )
        ]

    def _stream_problems(self, request: dict[str, Any], response: TargetResponse) -> list[str]:
        if _media(response) != STREAM_TYPE:
            return [f"a stream request got content type {response.content_type!r}, expected {STREAM_TYPE}"]
        report = self.contract.validate_stream(response.reads, request=request)
        errors = [violation for violation in report.errors if not excused(violation.rule, request)]
        if errors:
            return [violation.format() for violation in errors]
        answer = ObservedAnswer.from_stream(report.content, report.tool_calls, report.finish_reason)
        return answer_problems(request, answer)

    def _error_body_problems(self, response: TargetResponse) -> list[str]:
        try:
            body = _json.loads(response.body)
        except ValueError:
            return [f"the {response.status} error body is not JSON: {_preview(response.body)}"]
        if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
            return [f"the {response.status} body has no 'error' object: {_preview(response.body)}"]
        if self.contract.status_key(response.status) is None:
            return []  # the contract documents no such status: the shape above is all we can ask
        return [v.format() for v in self.contract.validate_response(body, response.status) if v.is_error]


def suite_settings(
    target: Target, *, examples: int | None = None, database: bool = True, deadline: bool = True
) -> settings:
    """The active Hypothesis profile, adjusted only where the suite must be.

    ``deadline=False`` (the CLI) drops the deadline for every target: the suite
    checks the contract, not timing, and on a loaded machine a slow example
    would otherwise come back as a flaky failure.
    """
    base = settings()
    changes: dict[str, Any] = {
        "suppress_health_check": [
            *base.suppress_health_check,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        "report_multiple_bugs": False,
    }
    if examples is not None:
        changes["max_examples"] = examples
    if target.network or not deadline:
        changes["deadline"] = None
    if not database:
        changes["database"] = None
    return settings(base, **changes)


def _differences(json_answer: TargetResponse, report: Any, request: dict[str, Any]) -> list[str]:
    errors = [violation for violation in report.errors if not excused(violation.rule, request)]
    if errors:
        return [f"stream: {violation.format()}" for violation in errors]
    body = _json.loads(json_answer.body)
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    pairs = {
        "content": (message.get("content") or "", report.content),
        "finish_reason": (choice.get("finish_reason"), report.finish_reason),
        "tool calls": (
            ObservedAnswer.from_message(message, None).tool_calls,
            ObservedAnswer.from_stream("", report.tool_calls, None).tool_calls,
        ),
    }
    if "reasoning_content" in message:
        pairs["reasoning"] = (message.get("reasoning_content") or "", report.reasoning)
    if isinstance(report.usage, dict) and isinstance(body.get("usage"), dict):
        keys = ("prompt_tokens", "completion_tokens", "total_tokens")
        pairs["usage"] = (tuple(body["usage"].get(k) for k in keys), tuple(report.usage.get(k) for k in keys))
    return [
        f"{name} differs: JSON {_short(a)} vs stream {_short(b)}" for name, (a, b) in pairs.items() if a != b
    ]


def _media(response: TargetResponse) -> str:
    return response.content_type.split(";", 1)[0].strip().lower()


def _preview(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
