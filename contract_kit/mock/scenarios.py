"""Scenarios: tell the mock how to misbehave (or exactly what to say) for a call.

A test of a client's retry loop needs a 429 then a 200; a test of a streaming
UI needs a stream that dies after three chunks. Scenarios say that in data,
so the same description works from Python (``queue.enqueue(error(429), ...)``),
from a pytest marker, from the ``x-contract-scenario`` request header and from
the ``POST /_contract/scenarios`` control endpoint.

One call's :class:`Plan` has four independent slots: an *outcome* (a fixed
``reply``, ``tool_call``, ``refusal`` or an ``error``), ``latency``,
``cut_stream`` and ``malformed_chunk``. A :class:`ScenarioQueue` holds plans
consumed one per call, in order, over a sticky default plan: a queued plan's
filled slots win, the default fills the rest. So ``default=latency(ttft=0.2)``
plus a queued ``error(429)`` gives a slow 429, then slow normal answers.

JSON form (header and control endpoint): ``{"scenario": "error", "status": 429}``
(not ``name``: ``tool_call`` has a ``name`` argument);
a list of such objects is one call's combination. Unknown names and bad
arguments raise :class:`~contract_kit.errors.ConfigError` at once, naming the
valid choices, so a typo fails where it is written rather than as a
mysteriously normal response.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, cast

from contract_kit.errors import ConfigError
from contract_kit.mock.faults import apply_faults as apply_faults  # its public name stays here
from contract_kit.mock.limits import MAX_LATENCY_SECONDS, MAX_QUEUED_PLANS


@dataclass(frozen=True)
class Reply:
    """Answer with this text (and, under the observed profile, this reasoning if given)."""

    text: str
    reasoning: str | None = None
    kind: ClassVar[str] = "reply"


@dataclass(frozen=True)
class ToolCallReply:
    """Answer with one call of function ``name`` with these arguments."""

    name: str
    arguments: Mapping[str, Any]
    kind: ClassVar[str] = "tool_call"


@dataclass(frozen=True)
class Refusal:
    """Answer with a refusal: ``message.refusal`` set, no content."""

    text: str
    kind: ClassVar[str] = "refusal"


@dataclass(frozen=True)
class Thinking:
    """Spend the whole token budget on reasoning: empty content, ``finish_reason: "length"``.

    By default the mock leaves room for an answer (see the engine); this is the
    thinking model caught mid-thought, which a client must still handle.
    """

    kind: ClassVar[str] = "thinking"


@dataclass(frozen=True)
class ErrorReply:
    """Answer with an OpenAI-style error; ``retry_after`` adds a ``Retry-After`` header."""

    status: int
    message: str | None = None
    retry_after: float | None = None
    type: str | None = None
    code: str | None = None
    kind: ClassVar[str] = "error"


@dataclass(frozen=True)
class Latency:
    """Wait ``ttft`` seconds before the first byte and ``between_chunks`` between stream chunks."""

    ttft: float = 0.0
    between_chunks: float = 0.0
    kind: ClassVar[str] = "latency"


@dataclass(frozen=True)
class CutStream:
    """Send ``after`` chunks, then drop the connection (no ``[DONE]``)."""

    after: int
    kind: ClassVar[str] = "cut_stream"


@dataclass(frozen=True)
class MalformedChunk:
    """Make chunk number ``at`` (0-based) carry data that is not valid JSON."""

    at: int
    kind: ClassVar[str] = "malformed_chunk"


SCENARIO_KEY = "scenario"
"""The key naming the scenario in its JSON form."""

Outcome = Reply | ToolCallReply | Refusal | Thinking | ErrorReply
FixedReply = Reply | ToolCallReply | Refusal | Thinking
Scenario = Outcome | Latency | CutStream | MalformedChunk


# --- factories (the public, validated way to build scenarios) ---------------------------------


def reply(text: str, reasoning: str | None = None) -> Reply:
    return Reply(
        _text("reply", "text", text), None if reasoning is None else _text("reply", "reasoning", reasoning)
    )


def tool_call(name: str, arguments: Mapping[str, Any] | None = None) -> ToolCallReply:
    args = {} if arguments is None else arguments
    if not isinstance(args, Mapping):
        raise ConfigError(f"tool_call(arguments=...) must be a dict, got {args!r}")
    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"tool_call(arguments=...) must be JSON-serializable: {exc}") from None
    return ToolCallReply(_text("tool_call", "name", name, empty_ok=False), dict(args))


def thinking() -> Thinking:
    return Thinking()


def refusal(text: str) -> Refusal:
    return Refusal(_text("refusal", "text", text, empty_ok=False))


def error(
    status: int,
    message: str | None = None,
    retry_after: float | None = None,
    type: str | None = None,
    code: str | None = None,
) -> ErrorReply:
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ConfigError(f"error(status=...) must be an int from 400 to 599, got {status!r}")
    for name, value in (("message", message), ("type", type), ("code", code)):
        if value is not None:
            _text("error", name, value)
    if retry_after is not None:
        retry_after = _seconds("error", "retry_after", retry_after)
    return ErrorReply(status, message, retry_after, type, code)


def latency(ttft: float = 0.0, between_chunks: float = 0.0) -> Latency:
    """At most :data:`~contract_kit.mock.limits.MAX_LATENCY_SECONDS` each (a slow API, not a hung one)."""
    return Latency(
        _seconds("latency", "ttft", ttft, most=MAX_LATENCY_SECONDS),
        _seconds("latency", "between_chunks", between_chunks, most=MAX_LATENCY_SECONDS),
    )


def cut_stream(after: int) -> CutStream:
    return CutStream(_count("cut_stream", "after", after))


def malformed_chunk(at: int) -> MalformedChunk:
    return MalformedChunk(_count("malformed_chunk", "at", at))


FACTORIES: dict[str, Callable[..., Scenario]] = {
    "reply": reply,
    "tool_call": tool_call,
    "refusal": refusal,
    "thinking": thinking,
    "error": error,
    "latency": latency,
    "cut_stream": cut_stream,
    "malformed_chunk": malformed_chunk,
}


def _text(scenario: str, arg: str, value: Any, *, empty_ok: bool = True) -> str:
    if not isinstance(value, str) or (not empty_ok and not value):
        need = "a string" if empty_ok else "a non-empty string"
        raise ConfigError(f"{scenario}({arg}=...) must be {need}, got {value!r}")
    return value


def _seconds(scenario: str, arg: str, value: Any, *, most: float = float("inf")) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ConfigError(f"{scenario}({arg}=...) must be a number of seconds >= 0, got {value!r}")
    if value > most:
        raise ConfigError(f"{scenario}({arg}=...) is at most {most:g} seconds, got {value!r}")
    return float(value)


def _count(scenario: str, arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{scenario}({arg}=...) must be an int >= 0, got {value!r}")
    return value


def build(name: str, /, **kwargs: Any) -> Scenario:
    """Build a scenario by name: how markers, headers and the control endpoint do it."""
    factory = FACTORIES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise ConfigError(f"unknown scenario {name!r}; valid scenarios are: {', '.join(FACTORIES)}")
    signature = inspect.signature(factory)
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        valid = ", ".join(signature.parameters)
        raise ConfigError(f"bad arguments for scenario {name!r} ({exc}); it takes: {valid}") from None
    return factory(**kwargs)


def to_json(scenario: Scenario) -> dict[str, Any]:
    """The JSON form of a scenario (``{"scenario": ..., **arguments}``), defaults left out."""
    data: dict[str, Any] = {"scenario": scenario.kind}
    defaults = {f.name: f.default for f in fields(scenario)}
    data.update({key: value for key, value in asdict(scenario).items() if value != defaults[key]})
    return data


# --- one call's plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What happens on one call. Empty slots mean "behave normally"."""

    outcome: Outcome | None = None
    latency: Latency | None = None
    cut: CutStream | None = None
    malformed: MalformedChunk | None = None

    @classmethod
    def of(cls, scenarios: Iterable[Scenario]) -> Plan:
        """Combine scenarios into one plan; two of the same slot is a mistake worth an error."""
        plan = cls()
        for scenario in scenarios:
            slot = _slot(scenario)
            if getattr(plan, slot) is not None:
                raise ConfigError(
                    f"one call got two {slot} scenarios ({getattr(plan, slot).kind} and {scenario.kind}); "
                    "queue them as separate calls instead"
                )
            changes: dict[str, Any] = {slot: scenario}
            plan = replace(plan, **changes)
        return plan

    def over(self, default: Plan) -> Plan:
        """This plan with its empty slots filled from ``default``."""
        return Plan(
            outcome=self.outcome if self.outcome is not None else default.outcome,
            latency=self.latency if self.latency is not None else default.latency,
            cut=self.cut if self.cut is not None else default.cut,
            malformed=self.malformed if self.malformed is not None else default.malformed,
        )

    def parts(self) -> tuple[Scenario | None, ...]:
        return (self.outcome, self.latency, self.cut, self.malformed)

    @property
    def is_empty(self) -> bool:
        return all(part is None for part in self.parts())

    def to_json(self) -> list[dict[str, Any]]:
        return [to_json(part) for part in self.parts() if part is not None]


_SLOTS: dict[type, str] = {kind: "outcome" for kind in (Reply, ToolCallReply, Refusal, Thinking, ErrorReply)}
_SLOTS.update({Latency: "latency", CutStream: "cut", MalformedChunk: "malformed"})


def _slot(scenario: Any) -> str:
    slot = _SLOTS.get(type(scenario))
    if slot is None:
        raise ConfigError(f"not a scenario: {scenario!r}; build one with {', '.join(FACTORIES)}")
    return slot


def parse_scenario(data: Any) -> Scenario:
    """A scenario object, or its JSON form ``{"scenario": ..., **arguments}``."""
    if type(data) in _SLOTS:
        return cast(Scenario, data)
    if not isinstance(data, Mapping) or SCENARIO_KEY not in data:
        raise ConfigError(
            f'a scenario is an object like {{"{SCENARIO_KEY}": "error", "status": 429}}, got {data!r}'
        )
    kwargs = {key: value for key, value in data.items() if key != SCENARIO_KEY}
    return build(data[SCENARIO_KEY], **kwargs)


def parse_plan(data: Any) -> Plan:
    """One call's plan: a scenario, its JSON form, a list of those, or a :class:`Plan`."""
    if isinstance(data, Plan):
        return data
    if isinstance(data, (list, tuple)):
        return Plan.of(parse_scenario(item) for item in data)
    return Plan.of([parse_scenario(data)])


def parse_header(value: str) -> Plan:
    """The ``x-contract-scenario`` header: JSON for one call's plan."""
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"x-contract-scenario is not JSON ({exc.msg} at column {exc.colno})") from None
    return parse_plan(data)


# --- the queue ---------------------------------------------------------------------------------


class ScenarioQueue:
    """Plans consumed one per call, over a sticky default; safe to share between threads."""

    def __init__(self, *entries: Any, default: Any = None) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Plan] = deque()
        self._default = Plan()
        self.configure(*entries, default=default)

    def configure(self, *entries: Any, default: Any = None) -> None:
        """Enqueue ``entries`` (one plan each) and, if given, replace the default."""
        plans = self._parse_within_cap(entries)
        default_plan = None if default is None else parse_plan(default)
        with self._lock:
            self._check_room(len(plans))
            self._queue.extend(plans)
            if default_plan is not None:
                self._default = default_plan

    def enqueue(self, *entries: Any) -> int:
        """Add one plan per entry at the end of the queue; returns how many are pending."""
        plans = self._parse_within_cap(entries)
        with self._lock:
            self._check_room(len(plans))
            self._queue.extend(plans)
            return len(self._queue)

    def _parse_within_cap(self, entries: tuple[Any, ...]) -> list[Plan]:
        """Refuse an over-long batch before parsing it, so a huge POST costs little."""
        if len(entries) > MAX_QUEUED_PLANS:
            raise ConfigError(f"{len(entries)} plans sent; a scenario queue holds at most {MAX_QUEUED_PLANS}")
        return [parse_plan(entry) for entry in entries]

    def _check_room(self, adding: int) -> None:
        if len(self._queue) + adding > MAX_QUEUED_PLANS:
            raise ConfigError(
                f"a scenario queue holds at most {MAX_QUEUED_PLANS} plans ({len(self._queue)} pending, "
                f"{adding} sent); clear it with reset() or DELETE /_contract/scenarios"
            )

    def set_default(self, *scenarios: Any) -> None:
        """Make these scenarios apply to every call until :meth:`clear`."""
        plan = Plan.of(parse_scenario(item) for item in scenarios)
        with self._lock:
            self._default = plan

    def clear(self) -> None:
        """Drop every queued plan and the default."""
        with self._lock:
            self._queue.clear()
            self._default = Plan()

    def next_plan(self, override: Plan | None = None) -> Plan:
        """The plan for the call being served.

        ``override`` (from the request header) is used instead of the queue
        and does not consume it, so one odd request does not shift the order
        a test set up.
        """
        with self._lock:
            if override is not None:
                return override.over(self._default)
            if not self._queue:
                return self._default  # frozen: shared safely, and no new plan per unscripted call
            return self._queue.popleft().over(self._default)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def default(self) -> Plan:
        with self._lock:
            return self._default

    def snapshot(self) -> dict[str, Any]:
        """JSON view of the queue and default (for the control endpoint)."""
        with self._lock:
            return {"queue": [plan.to_json() for plan in self._queue], "default": self._default.to_json()}
