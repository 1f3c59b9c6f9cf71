"""The conversation rule the real API enforces beyond the schema: a tool message answers an open call.

An agent loop sends the model's ``tool_calls`` back in an assistant message,
then one ``tool`` message per call with its ``tool_call_id``. OpenAI-compatible
APIs reject a tool message that follows no assistant ``tool_calls`` and one
whose id is not among the previous assistant message's calls, with these
400s (message and ``param`` as OpenAI words them). A mock that accepted them
would let a broken agent loop pass its tests.

Calls left unanswered are not rejected here: the kit's own generator sends
such conversations, and what the API does with them is not recorded yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NO_PRECEDING_CALLS = "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."


def tool_message_problem(messages: Any) -> tuple[str, str] | None:
    """``(message, param)`` of the first tool message that answers no open call, else ``None``."""
    open_calls: set[Any] | None = None
    for index, message in enumerate(messages if isinstance(messages, Sequence) else []):
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if open_calls is None:
                return NO_PRECEDING_CALLS, f"messages.[{index}].role"
            if call_id not in open_calls:
                text = f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in 'tool_calls' of previous message."
                return text, f"messages.[{index}].tool_call_id"
            continue
        calls = message.get("tool_calls") if role == "assistant" else None
        open_calls = _call_ids(calls) if calls else None
    return None


def _call_ids(calls: Any) -> set[Any]:
    return (
        {call.get("id") for call in calls if isinstance(call, Mapping)} if isinstance(calls, list) else set()
    )


def tool_results(messages: Any) -> dict[str, str]:
    """Function name -> the latest tool result for a call of it (text content), across the conversation."""
    names: dict[Any, str] = {}
    results: dict[str, str] = {}
    for message in messages if isinstance(messages, Sequence) else []:
        if not isinstance(message, Mapping):
            continue
        for call in message.get("tool_calls") or [] if message.get("role") == "assistant" else []:
            function = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):
                names[call.get("id")] = function["name"]
        if message.get("role") == "tool" and message.get("tool_call_id") in names:
            results[names[message["tool_call_id"]]] = message_text(message.get("content"))
    return results


def message_text(content: Any) -> str:
    """A message's text: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "".join(p.get("text", "") for p in parts if isinstance(p, Mapping) and p.get("type") == "text")


def last_user_text(messages: Any) -> str | None:
    users = (
        [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
        if isinstance(messages, list)
        else []
    )
    return message_text(users[-1].get("content")) if users else None
