"""Checks a schema cannot express, reported as their own kind (``semantic``).

A response can be schema-valid and still wrong in ways that break clients:
token arithmetic that does not add up, a ``tool_calls`` finish without calls,
or an empty message. These rules apply to JSON bodies and to streams once the
deltas are reassembled. Given the request, :mod:`~contract_kit.validation.request_rules`
adds the rules that need it (``response_format``, ``tool_choice``, ``max_tokens``, ``stop``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract_kit.validation.request_rules import check_request_rules
from contract_kit.validation.violations import Violation

_EMPTY_ALLOWED_FINISH = {"length", "content_filter"}
# Exact classes (a bool is not a count); a set lookup is the cheapest test per value.
_NUMBERS: frozenset[Any] = frozenset((int, float))
_DETAIL_TOTALS = (
    ("completion_tokens_details", "completion_tokens"),
    ("prompt_tokens_details", "prompt_tokens"),
)


def _semantic(path: str, rule: str, message: str, where: str, expected: Any, observed: Any) -> Violation:
    return Violation(path, rule, message, where, expected, observed, kind="semantic", severity="error")


def check_usage(usage: Any, *, where: str, path: str = "$.usage") -> list[Violation]:
    """``total == prompt + completion`` and no detail count above its total."""
    if not isinstance(usage, dict):
        return []
    found = []
    prompt: Any = usage.get("prompt_tokens")
    completion: Any = usage.get("completion_tokens")
    total: Any = usage.get("total_tokens")
    if (
        prompt.__class__ in _NUMBERS
        and completion.__class__ in _NUMBERS
        and total.__class__ in _NUMBERS
        and total != prompt + completion
    ):
        found.append(
            _semantic(
                f"{path}.total_tokens",
                "usage-total",
                f"total_tokens {total} != prompt_tokens {prompt} + completion_tokens {completion}",
                where,
                prompt + completion,
                total,
            )
        )
    for details_key, total_key in _DETAIL_TOTALS:
        details, limit = usage.get(details_key), usage.get(total_key)
        if not isinstance(details, dict) or limit.__class__ not in _NUMBERS:
            continue
        # The cheap question inline, on every validated response; the report is built only on a yes.
        for count in details.values():
            if count.__class__ in _NUMBERS and count > limit:
                found.extend(_check_details(details, details_key, total_key, limit, where, path))
                break
    return found


def _check_details(
    details: Mapping[str, Any], details_key: str, total_key: str, total: Any, where: str, path: str
) -> list[Violation]:
    return [
        _semantic(
            f"{path}.{details_key}.{name}",
            "usage-detail",
            f"{details_key}.{name} = {count} exceeds {total_key} = {total}",
            where,
            f"<= {total}",
            count,
        )
        for name, count in details.items()
        if count.__class__ in _NUMBERS and count > total
    ]


def check_choice(message: Mapping[str, Any], finish_reason: Any, *, where: str, path: str) -> list[Violation]:
    """Tool calls agree with ``finish_reason``; a finished message carries something."""
    found = []
    tool_calls = message.get("tool_calls") or []
    has_calls = isinstance(tool_calls, list) and len(tool_calls) > 0
    if has_calls != (finish_reason == "tool_calls"):
        found.append(
            _semantic(
                f"{path}.finish_reason",
                "finish-reason-tool-calls",
                "finish_reason is 'tool_calls' exactly when the message has tool calls "
                f"(tool calls: {len(tool_calls) if has_calls else 0}, finish_reason: {finish_reason!r})",
                where,
                "tool_calls" if has_calls else "not tool_calls",
                finish_reason,
            )
        )
    if finish_reason not in _EMPTY_ALLOWED_FINISH and not _carries_something(message, has_calls):
        found.append(
            _semantic(
                f"{path}.message",
                "message-not-empty",
                "a message must carry content, tool calls or a refusal",
                where,
                "content, tool_calls or refusal",
                dict(message),
            )
        )
    return found


def _carries_something(message: Mapping[str, Any], has_calls: bool) -> bool:
    content = message.get("content")
    has_content = (isinstance(content, str) and content != "") or (
        isinstance(content, list) and len(content) > 0
    )
    return has_content or has_calls or bool(message.get("refusal"))


def check_completion(
    body: Any, request: Mapping[str, Any] | None = None, *, where: str = "response"
) -> list[Violation]:
    """All semantic rules for a ``chat.completion`` JSON body; with ``request``, the request's rules too."""
    if not isinstance(body, dict):
        return []
    usage = body.get("usage")
    found = check_usage(usage, where=where) if usage is not None else []
    choices = body.get("choices")
    if isinstance(choices, list):
        for index, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            message, finish_reason = choice.get("message"), choice.get("finish_reason")
            if not isinstance(message, dict):
                continue
            if not _plainly_fine(message, finish_reason):
                found.extend(check_choice(message, finish_reason, where=where, path=f"$.choices[{index}]"))
            if request is not None:
                found.extend(
                    check_request_rules(
                        request,
                        message,
                        finish_reason,
                        usage=body.get("usage"),
                        where=where,
                        path=f"$.choices[{index}].message",
                    )
                )
    return found


def _plainly_fine(message: Mapping[str, Any], finish_reason: Any) -> bool:
    """The common answer (text, no tool calls) passes ``check_choice`` for sure; others get the full check."""
    if message.get("tool_calls") or finish_reason == "tool_calls":
        return False
    if finish_reason in _EMPTY_ALLOWED_FINISH:
        return True
    content = message.get("content")
    return content.__class__ is str and content != ""
