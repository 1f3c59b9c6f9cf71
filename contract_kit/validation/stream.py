"""Validate a whole chat-completion event stream and reassemble what it said.

Each chunk is checked against the chunk schema; the invariants that only exist
across chunks are checked here:

- ``id``, ``model``, ``created`` and ``object`` are the same in every chunk;
- each choice index gets exactly one terminal ``finish_reason``, and once all
  choices have finished only the usage chunk may follow;
- the usage chunk (empty ``choices``) is present exactly when the request set
  ``stream_options.include_usage``, and it comes last;
- ``data: [DONE]`` ends the stream, and nothing follows it.

The caller gets the reassembled content, reasoning and tool calls, so the
stream can be compared with the JSON response for the same request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract_kit import _json
from contract_kit.validation.request_rules import check_request_rules
from contract_kit.validation.semantics import check_choice, check_usage
from contract_kit.validation.sse import Event, SSEDecoder
from contract_kit.validation.violations import Violation, normalize

if TYPE_CHECKING:
    from contract_kit.validation.schema import SchemaCheck

_CONSTANT_FIELDS = ("id", "model", "created", "object")


@dataclass
class ToolCallParts:
    index: int
    id: str | None = None
    type: str | None = None
    name: str = ""
    arguments: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "type": self.type or "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass
class ChoiceState:
    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    role: str | None = None
    finish_reason: str | None = None
    tool_calls: dict[int, ToolCallParts] = field(default_factory=dict)


@dataclass
class StreamReport:
    """Everything a stream said, and every way it broke the contract."""

    violations: list[Violation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    choices: dict[int, ChoiceState] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    done: bool = False

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def _first(self) -> ChoiceState:
        return self.choices.get(0) or ChoiceState()

    @property
    def content(self) -> str:
        return self._first().content

    @property
    def reasoning(self) -> str:
        return self._first().reasoning

    @property
    def finish_reason(self) -> str | None:
        return self._first().finish_reason

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        calls = self._first().tool_calls
        return [calls[i].as_dict() for i in sorted(calls)]


def _stream_violation(
    rule: str,
    message: str,
    where: str = "stream",
    path: str = "$",
    *,
    kind: str = "stream",
    expected: Any = None,
    observed: Any = None,
) -> Violation:
    return Violation(path, rule, message, where, expected, observed, kind=kind, severity="error")  # type: ignore[arg-type]


class StreamChecker:
    """Feed events one by one; ``finish()`` returns the report."""

    def __init__(self, chunk_check: SchemaCheck | None, request: Mapping[str, Any] | None = None) -> None:
        self._check = chunk_check
        self._request = request
        self.report = StreamReport()
        self._first_chunk: dict[str, Any] | None = None
        self._usage_index: int | None = None
        self._seen_undocumented: set[tuple[str, str]] = set()

    def add_event(self, event: Event) -> None:
        report = self.report
        report.events.append(event)
        position = len(report.events) - 1
        if report.done:
            report.violations.append(
                _stream_violation(
                    "after-done",
                    "an event follows data: [DONE]",
                    f"chunk {position}",
                    kind="framing",
                    observed=event.data,
                )
            )
            return
        if event.is_done:
            report.done = True
            return
        chunk = self._parse(event, position)
        if chunk is not None:
            # ``chunk N`` always names the N-th event of the stream, so a broken
            # event (bad JSON, an error object) does not shift the numbers after it.
            self._add_chunk(chunk, position)

    def _parse(self, event: Event, position: int) -> dict[str, Any] | None:
        try:
            chunk = _json.loads(event.data)
        except ValueError:
            self.report.violations.append(
                _stream_violation(
                    "json",
                    "chunk data is not valid JSON",
                    f"chunk {position}",
                    kind="framing",
                    observed=event.data,
                )
            )
            return None
        if not isinstance(chunk, dict):
            self.report.violations.append(
                _stream_violation(
                    "json",
                    "chunk data is not a JSON object",
                    f"chunk {position}",
                    kind="framing",
                    observed=chunk,
                )
            )
            return None
        if "error" in chunk and "choices" not in chunk:
            self.report.violations.append(
                _stream_violation(
                    "error-event",
                    "the stream carried an error object instead of a chunk",
                    f"chunk {position}",
                    observed=chunk.get("error"),
                )
            )
            return None
        return chunk

    def _add_chunk(self, chunk: dict[str, Any], index: int) -> None:
        report = self.report
        report.chunks.append(chunk)
        where = f"chunk {index}"
        if self._check is not None:
            errors, undocumented = self._check.check(chunk, where)
            report.violations.extend(errors)
            self._add_undocumented(undocumented)
        self._check_constants(chunk, where)
        choices = chunk.get("choices")
        if self._usage_index is not None:
            report.violations.append(
                _stream_violation(
                    "usage-last", "a chunk follows the usage chunk; the usage chunk must come last", where
                )
            )
        if choices == [] or (choices is None and chunk.get("usage")):
            self._usage_index = index
            report.usage = chunk.get("usage") if isinstance(chunk.get("usage"), dict) else None
            return
        if isinstance(choices, list):
            for position, choice in enumerate(choices):
                if isinstance(choice, dict):
                    self._add_choice(choice, where, position)

    def _add_undocumented(self, findings: list[Violation]) -> None:
        for finding in findings:
            key = (normalize(finding.path), finding.rule)
            if key not in self._seen_undocumented:
                self._seen_undocumented.add(key)
                self.report.violations.append(finding)

    def _check_constants(self, chunk: dict[str, Any], where: str) -> None:
        if self._first_chunk is None:
            self._first_chunk = chunk
            return
        for name in _CONSTANT_FIELDS:
            if chunk.get(name) != self._first_chunk.get(name):
                self.report.violations.append(
                    _stream_violation(
                        "constant-field",
                        f"{name!r} changed within the stream",
                        where,
                        f"$.{name}",
                        expected=self._first_chunk.get(name),
                        observed=chunk.get(name),
                    )
                )

    def _add_choice(self, choice: dict[str, Any], where: str, position: int) -> None:
        raw_index = choice.get("index", 0)
        index = (
            int(raw_index) if isinstance(raw_index, (int, float)) and not isinstance(raw_index, bool) else 0
        )
        state = self.report.choices.setdefault(index, ChoiceState())
        finish = choice.get("finish_reason")
        if state.finish_reason is not None and finish is not None:
            self.report.violations.append(
                _stream_violation(
                    "finish-reason-twice",
                    f"choice {index} got a second finish_reason {finish!r} "
                    f"after {state.finish_reason!r}; each choice finishes exactly once",
                    where,
                    f"$.choices[{position}].finish_reason",
                    expected=state.finish_reason,
                    observed=finish,
                )
            )
        elif state.finish_reason is not None:
            self.report.violations.append(
                _stream_violation(
                    "after-finish",
                    f"choice {index} continues after its finish_reason {state.finish_reason!r}",
                    where,
                    f"$.choices[{position}]",
                    observed=choice,
                )
            )
        _merge_delta(state, choice.get("delta"))
        if finish is not None and state.finish_reason is None:
            state.finish_reason = finish

    def finish(self, *, incomplete: bool = False) -> StreamReport:
        report = self.report
        if incomplete:
            report.violations.append(
                _stream_violation(
                    "unterminated-event",
                    "the stream ended inside an event (no blank line after it)",
                    kind="framing",
                )
            )
        if not report.done:
            report.violations.append(
                _stream_violation(
                    "done",
                    "the stream did not end with data: [DONE]",
                    kind="framing",
                    expected="data: [DONE]",
                )
            )
        for index, state in sorted(report.choices.items()):
            if state.finish_reason is None:
                report.violations.append(
                    _stream_violation(
                        "finish-reason",
                        f"choice {index} never received a finish_reason",
                        path=f"$.choices[{index}]",
                    )
                )
        self._check_usage_presence()
        self._check_semantics()
        return report

    def _check_usage_presence(self) -> None:
        if self._request is None:
            return
        options = self._request.get("stream_options")
        wanted = isinstance(options, Mapping) and options.get("include_usage") is True
        present = self._usage_index is not None
        if wanted != present:
            message = (
                "stream_options.include_usage was requested but no usage chunk came"
                if wanted
                else "a usage chunk came although stream_options.include_usage was not requested"
            )
            self.report.violations.append(
                _stream_violation("usage-chunk", message, expected=wanted, observed=present)
            )

    def _check_semantics(self) -> None:
        report = self.report
        for index, state in sorted(report.choices.items()):
            if state.finish_reason is None:
                continue
            message = {
                "content": state.content,
                "refusal": state.refusal or None,
                "tool_calls": [c.as_dict() for c in state.tool_calls.values()],
            }
            report.violations.extend(
                check_choice(message, state.finish_reason, where="stream", path=f"$.choices[{index}]")
            )
            if self._request is not None:
                report.violations.extend(
                    check_request_rules(
                        self._request,
                        message,
                        state.finish_reason,
                        usage=report.usage,
                        where="stream",
                        path=f"$.choices[{index}].delta",
                    )
                )
        report.violations.extend(check_usage(report.usage, where="stream"))


def _merge_delta(state: ChoiceState, delta: Any) -> None:
    if not isinstance(delta, dict):
        return
    if isinstance(delta.get("role"), str) and state.role is None:
        state.role = delta["role"]
    for key, attr in (("content", "content"), ("reasoning_content", "reasoning"), ("refusal", "refusal")):
        piece = delta.get(key)
        if isinstance(piece, str):
            setattr(state, attr, getattr(state, attr) + piece)
    calls = delta.get("tool_calls")
    if isinstance(calls, list):
        for position, call in enumerate(calls):
            if isinstance(call, dict):
                _merge_tool_call(state, call, position)


def _merge_tool_call(state: ChoiceState, call: dict[str, Any], position: int) -> None:
    raw_index = call.get("index", position)
    index = (
        int(raw_index)
        if isinstance(raw_index, (int, float)) and not isinstance(raw_index, bool)
        else position
    )
    parts = state.tool_calls.setdefault(index, ToolCallParts(index))
    parts.id = parts.id or call.get("id")
    parts.type = parts.type or call.get("type")
    function = call.get("function")
    if isinstance(function, dict):
        if isinstance(function.get("name"), str) and not parts.name:
            parts.name = function["name"]
        if isinstance(function.get("arguments"), str):
            parts.arguments += function["arguments"]


def check_stream(
    source: bytes | Iterable[bytes] | Iterable[Event],
    chunk_check: SchemaCheck | None,
    request: Mapping[str, Any] | None = None,
) -> StreamReport:
    """Validate raw SSE bytes (whole, or as network reads) or already-decoded events."""
    checker = StreamChecker(chunk_check, request)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = [bytes(source)]
    decoder = SSEDecoder()
    for item in source:
        events = [item] if isinstance(item, Event) else decoder.feed(bytes(item))
        for event in events:
            checker.add_event(event)
    for event in decoder.close():
        checker.add_event(event)
    return checker.finish(incomplete=decoder.incomplete)
