"""Applying a plan's transport faults (latency, a malformed chunk, a cut) to a response.

Split from :mod:`contract_kit.mock.scenarios`, which describes plans; this
module only changes a built response the way a client would meet each fault.
``contract_kit.mock.scenarios.apply_faults`` remains its public name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contract_kit.mock.types import MockResponse

if TYPE_CHECKING:
    from contract_kit.mock.scenarios import Plan


def apply_faults(response: MockResponse, plan: Plan) -> MockResponse:
    """Add the plan's latency, malformed chunk and cut to a response the service built.

    For a stream, ``malformed_chunk(at=N)`` truncates the JSON of event N
    (0-based; out of range: no effect) and ``cut_stream(after=N)`` keeps the
    first N events, never the ``[DONE]``, then drops the connection. A JSON
    body has no chunks: either fault truncates the body to its first half
    (``cut`` also drops the connection), which is how a client meets them.
    """
    if plan.latency is not None:
        response.first_byte_delay = plan.latency.ttft
        response.chunk_delay = plan.latency.between_chunks
    if plan.malformed is None and plan.cut is None:
        return response
    if response.chunks is not None:
        events = list(response.chunks)
        if (
            plan.malformed is not None
            and plan.malformed.at < len(events)
            and not _is_done(events[plan.malformed.at])
        ):
            events[plan.malformed.at] = _truncated_event(events[plan.malformed.at])
        if plan.cut is not None:
            complete = len(events) - 1 if events and _is_done(events[-1]) else len(events)
            events = events[: min(plan.cut.after, complete)]
            response.cut = True
        response.chunks = events
    elif response.body is not None:
        response.body = response.body[: len(response.body) // 2]
        response.cut = plan.cut is not None
    return response


def _is_done(event: bytes) -> bool:
    return event.strip() == b"data: [DONE]"


def _truncated_event(event: bytes) -> bytes:
    """The event with its JSON cut in half: still framed as SSE, but not parseable."""
    data = event.removeprefix(b"data: ").rstrip(b"\n")
    return b"data: " + data[: max(1, len(data) // 2)] + b"\n\n"
