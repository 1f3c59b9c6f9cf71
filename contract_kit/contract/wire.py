"""The wire framing of a chat completion that the mock and the strategies share.

A tool call as JSON and the whole-message delta of a one-chunk stream are
written the same way whoever produced the message (the mock's engine or a
response strategy), so both import them from here, below either of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class CallParts(Protocol):
    """A tool call as any part of the kit holds it (the engine's or a strategy's)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str: ...


class MessageParts(Protocol):
    """What a choice says, whoever produced it: enough to frame it as a message or a delta."""

    @property
    def content(self) -> str: ...
    @property
    def refusal(self) -> str | None: ...
    @property
    def tool_calls(self) -> Sequence[CallParts]: ...


def tool_call_json(call: CallParts, index: int | None = None) -> dict[str, Any]:
    """A tool call as JSON; ``index`` is the position a stream delta carries."""
    head: dict[str, Any] = {} if index is None else {"index": index}
    return {
        **head,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def whole_delta(completion: MessageParts) -> dict[str, Any]:
    """The documented profile's single delta: the entire message at once."""
    delta: dict[str, Any] = {"role": "assistant", "content": completion.content}
    if completion.tool_calls:
        delta["tool_calls"] = [
            tool_call_json(call, index) for index, call in enumerate(completion.tool_calls)
        ]
    if completion.refusal is not None:
        delta["refusal"] = completion.refusal
    return delta
