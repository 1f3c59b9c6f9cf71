"""Semantic rules that need the request: what an answer must do given what was asked.

The response schema cannot say that ``response_format: json_object`` makes
the content JSON; the request's own documentation does. Each rule is a
``semantic`` :class:`Violation` with its own ``rule`` name and the path of the
part that breaks it, so drift, ``check`` and the mock's own answer checks
report it the same way:

=====================  ==============================================================
rule                   the answer breaks it when
=====================  ==============================================================
json-object-content    ``json_object``, finish ``stop``, content not JSON (no ``stop`` string cut it)
json-schema-content    ``json_schema`` with ``strict: true``: content not valid for it
tool-choice-none       ``tool_choice: none`` but the answer calls a tool (unless cut short)
tool-choice-required   ``tool_choice: required`` but no tool call (unless cut short)
tool-choice-named      a named function but no call of it (unless cut short)
tool-call-undeclared   a call names a function the request's ``tools`` do not declare
tool-call-arguments    a call's arguments are not JSON valid for its ``parameters``
max-tokens-length      ``completion_tokens`` went past ``max_tokens`` but finish is not length
stop-in-content        a ``stop`` string appears in content finished with ``stop``
=====================  ==============================================================

(``include_usage`` without a usage chunk is a stream invariant: ``usage-chunk``.)

``exacting=True`` is the stance of the suite, which holds a server to what a
well-behaved one does rather than to what the document guarantees: a
``json_schema`` answer must match the schema without ``strict``, and a tool
call with no ``tools`` declared is undeclared. Drift and the mock's own
answer check stay lenient, since the live API promises neither.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from contract_kit.validation.violations import Violation

CUT_SHORT = ("length", "content_filter")
RULES = (
    "json-object-content",
    "json-schema-content",
    "tool-choice-none",
    "tool-choice-required",
    "tool-choice-named",
    "tool-call-undeclared",
    "tool-call-arguments",
    "max-tokens-length",
    "stop-in-content",
)
"""Every rule name of the table above."""


def _violation(path: str, rule: str, message: str, where: str, expected: Any, observed: Any) -> Violation:
    return Violation(path, rule, message, where, expected, observed, kind="semantic", severity="error")


def check_request_rules(
    request: Mapping[str, Any],
    message: Mapping[str, Any],
    finish_reason: Any,
    *,
    usage: Any = None,
    where: str,
    path: str,
    exacting: bool = False,
) -> list[Violation]:
    """Every rule of the table the answer (``message`` at ``path``) breaks."""
    calls = [c for c in message.get("tool_calls") or [] if isinstance(c, Mapping)]
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return [
        *_format_rules(request, text, bool(calls), finish_reason, where, f"{path}.content", exacting),
        *_tool_choice_rules(request, calls, finish_reason, where, f"{path}.tool_calls"),
        *_tool_call_rules(request, calls, where, f"{path}.tool_calls", exacting),
        *_max_tokens_rules(request, usage, finish_reason, calls, where),
        *_stop_rules(request, text, finish_reason, where, f"{path}.content"),
    ]


def _format_rules(
    request: Mapping[str, Any], text: str, has_calls: bool, finish: Any, where: str, path: str, exacting: bool
) -> list[Violation]:
    response_format = request.get("response_format")
    if not isinstance(response_format, Mapping) or finish != "stop" or has_calls:
        return []
    kind = response_format.get("type")
    spec = response_format.get("json_schema")
    binding = isinstance(spec, Mapping) and (exacting or spec.get("strict") is True)
    strict_schema = spec.get("schema") if binding and isinstance(spec, Mapping) else None
    if kind == "json_object" or (kind == "json_schema" and isinstance(strict_schema, Mapping)):
        rule = "json-object-content" if kind == "json_object" else "json-schema-content"
        try:
            value = json.loads(text)
        except ValueError:
            if stop_sequences(request):
                return []  # the API stops at a stop string even inside JSON; stop-in-content checks the cut
            return [
                _violation(
                    path,
                    rule,
                    f"response_format {kind!r} but the content is not JSON: {text[:80]!r}",
                    where,
                    "JSON",
                    text,
                )
            ]
        if isinstance(strict_schema, Mapping):
            problem = _schema_problem(strict_schema, value)
            if problem:
                return [_violation(path, rule, problem, where, "JSON valid for the schema", value)]
    return []


def _schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    try:
        error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    except SchemaError:
        return None  # the request's own schema is broken: the request check reports that
    return None if error is None else f"the content does not match the request's schema: {error.message}"


def _tool_choice_rules(
    request: Mapping[str, Any], calls: Sequence[Mapping[str, Any]], finish: Any, where: str, path: str
) -> list[Violation]:
    choice = request.get("tool_choice")
    if finish in CUT_SHORT:
        return []
    names = [_name(call) for call in calls]
    if choice == "none" and calls:
        return [
            _violation(
                path,
                "tool-choice-none",
                f"tool_choice is 'none' but the answer calls {names}",
                where,
                "no tool call",
                names,
            )
        ]
    if choice == "required" and not calls:
        return [
            _violation(
                path,
                "tool-choice-required",
                "tool_choice is 'required' but the answer calls no tool",
                where,
                "at least one tool call",
                finish,
            )
        ]
    if isinstance(choice, Mapping):
        function = choice.get("function")
        wanted = function.get("name") if isinstance(function, Mapping) else None
        if wanted is not None and wanted not in names:
            return [
                _violation(
                    path,
                    "tool-choice-named",
                    f"tool_choice names {wanted!r} but the answer calls {names or 'no tool'}",
                    where,
                    wanted,
                    names,
                )
            ]
    return []


def _tool_call_rules(
    request: Mapping[str, Any], calls: Sequence[Mapping[str, Any]], where: str, path: str, exacting: bool
) -> list[Violation]:
    declared = _declared(request)
    if not declared and not exacting:  # no tools declared: a scenario's fixed call is the test's choice
        return []
    found = []
    for index, call in enumerate(calls):
        name = _name(call)
        if name not in declared:
            found.append(
                _violation(
                    f"{path}[{index}].function.name",
                    "tool-call-undeclared",
                    f"the answer calls {name!r}, which the request did not declare",
                    where,
                    sorted(declared),
                    name,
                )
            )
            continue
        problem = _arguments_problem(call, declared[name])
        if problem:
            found.append(
                _violation(
                    f"{path}[{index}].function.arguments",
                    "tool-call-arguments",
                    f"the arguments of {name!r} {problem}",
                    where,
                    "JSON valid for the function's parameters",
                    _function(call).get("arguments"),
                )
            )
    return found


def _arguments_problem(call: Mapping[str, Any], parameters: Any) -> str | None:
    raw = _function(call).get("arguments")
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return "are not JSON"
    if not isinstance(parameters, Mapping):
        return None
    problem = _schema_problem(parameters, value)
    return (
        problem.replace("the content does not match the request's schema", "break the parameters")
        if problem
        else None
    )


def _max_tokens_rules(
    request: Mapping[str, Any], usage: Any, finish: Any, calls: Sequence[Any], where: str
) -> list[Violation]:
    limit = _limit(request)
    used = usage.get("completion_tokens") if isinstance(usage, Mapping) else None
    if limit is None or not isinstance(used, int) or isinstance(used, bool) or calls:
        return []
    # Only going past the limit is a contradiction: an answer may end on its last allowed token.
    reached = used > limit
    if reached and finish not in CUT_SHORT:
        return [
            _violation(
                "$.usage.completion_tokens",
                "max-tokens-length",
                f"completion_tokens {used} reached max_tokens {limit} but finish_reason is {finish!r}, not 'length'",
                where,
                f"< {limit}, or finish_reason 'length'",
                used,
            )
        ]
    return []


def _stop_rules(request: Mapping[str, Any], text: str, finish: Any, where: str, path: str) -> list[Violation]:
    if finish != "stop":
        return []
    return [
        _violation(
            path, "stop-in-content", f"the content contains the stop sequence {s!r}", where, f"no {s!r}", text
        )
        for s in stop_sequences(request)
        if s and s in text
    ]


def stop_sequences(request: Mapping[str, Any]) -> list[str]:
    """The request's ``stop`` as a list of strings (one string, a list, or nothing)."""
    stop = request.get("stop")
    if isinstance(stop, str):
        return [stop]
    return [s for s in stop if isinstance(s, str)] if isinstance(stop, list) else []


def _limit(request: Mapping[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1:
            return int(value)
    return None


def _declared(request: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tool in request.get("tools") or []:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            out[function["name"]] = function.get("parameters")
    return out


def _function(call: Mapping[str, Any]) -> Mapping[str, Any]:
    function = call.get("function")
    return function if isinstance(function, Mapping) else {}


def _name(call: Mapping[str, Any]) -> str:
    return str(_function(call).get("name"))
