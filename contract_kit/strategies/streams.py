"""``chat_streams``: valid event streams, as chunk objects and as the bytes a client reads.

How a completion becomes chunks depends on what the contract's chunk schema
allows, not on the profile's name:

- when ``finish_reason`` may be ``null`` (the observed profile), the OpenAI
  convention: a first delta with the role, then ``reasoning_content``,
  ``content`` or ``refusal`` pieces, tool calls opened with their id and name
  and continued by argument fragments, and a last delta carrying the finish
  reason;
- otherwise (the documented profile, whose schema requires a finish reason
  and both ``role`` and ``content`` in every delta) the only valid stream:
  one chunk with the whole message.

With ``include_usage`` a final chunk with ``choices: []`` carries the usage.
``hostile=True`` re-chunks the bytes the way a bad network would: the first
read holds several events, and later reads are cut mid-line and, when the
stream has a multi-byte character, mid-character.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st

from contract_kit.contract import tool_call_json, whole_delta
from contract_kit.strategies import knowledge as kb
from contract_kit.strategies.compile import Compiler
from contract_kit.strategies.responses import Completion, completions, finish_reasons, usages
from contract_kit.strategies.schema import SchemaView, enum_values, types_of
from contract_kit.validation import encode_json_chunks, rechunk

_MULTIBYTE = ("é", "東", "🙂")
_CONSTANT_KEYS = ("id", "object", "created", "model")


@dataclass(frozen=True)
class StreamCase:
    """One valid stream: its chunks, its SSE bytes, and the reads a client gets.

    ``b"".join(reads) == raw``. ``request`` is the request context the stream
    answers (``stream_options``), for ``Contract.validate_stream(raw, request=...)``.
    ``content``, ``reasoning`` and ``tool_calls`` are what a correct parser reassembles.
    """

    chunks: list[dict[str, Any]]
    raw: bytes
    reads: list[bytes]
    request: dict[str, Any]
    completion: Completion

    @property
    def content(self) -> str:
        return self.completion.content

    @property
    def reasoning(self) -> str:
        return self.completion.reasoning

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [tool_call_json(call, index) for index, call in enumerate(self.completion.tool_calls)]


class StreamBuilder:
    """Strategies for one contract's event streams."""

    def __init__(
        self, chunk_schema: Mapping[str, Any] | bool, *, include_usage: bool | None, hostile: bool
    ) -> None:
        self.view = SchemaView(chunk_schema)
        root = self.view.root
        choice = self.view.items(self.view.prop(root, "choices") or {}) or {}
        self.delta_keys = set(self.view.properties(self.view.prop(choice, "delta") or {}))
        finish = self.view.prop(choice, "finish_reason") or {}
        self.incremental = "null" in types_of(finish) or None in (enum_values(finish) or [])
        text = kb.texts()
        if hostile:
            text = st.tuples(text, st.sampled_from(_MULTIBYTE)).map("".join)
        self.completions = completions(
            finish_reasons(self.view, finish),
            text=text,
            reasoning=self.incremental and "reasoning_content" in self.delta_keys,
            refusal="refusal" in self.delta_keys,
        )
        self.usage = usages(self.view, self.view.prop(root, "usage"))
        compiler = Compiler(
            self.view, text=kb.texts(), overrides={"created": lambda schema: st.integers(1, 2**31)}
        )
        self.head = compiler.object(root, "", omit={"choices", "usage"})
        self.include_usage = st.booleans() if include_usage is None else st.just(include_usage)
        self.hostile = hostile

    def streams(self) -> st.SearchStrategy[StreamCase]:
        return st.composite(self._draw_stream)()

    def _draw_stream(self, draw: st.DrawFn) -> StreamCase:
        completion = draw(self.completions)
        head = draw(self.head)
        deltas = self._deltas(draw, completion) if self.incremental else [whole_delta(completion)]
        last = len(deltas) - 1
        chunks = [
            {
                **head,
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "finish_reason": completion.finish_reason if i == last else None,
                    }
                ],
            }
            for i, delta in enumerate(deltas)
        ]
        include_usage = draw(self.include_usage)
        if include_usage:
            chunks.append({**head, "choices": [], "usage": draw(self.usage)})
        events = encode_json_chunks(chunks)
        raw = b"".join(events)
        reads = self._draw_hostile_reads(draw, raw, events) if self.hostile else events
        request = {"stream": True, "stream_options": {"include_usage": include_usage}}
        return StreamCase(chunks, raw, reads, request, completion)

    def _deltas(self, draw: st.DrawFn, completion: Completion) -> list[dict[str, Any]]:
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"reasoning_content": piece} for piece in _pieces(draw, completion.reasoning)]
        deltas += [{"content": piece} for piece in _pieces(draw, completion.content)]
        deltas += [{"refusal": piece} for piece in _pieces(draw, completion.refusal or "")]
        for index, call in enumerate(completion.tool_calls):
            opening = {**tool_call_json(call, index), "function": {"name": call.name, "arguments": ""}}
            deltas.append({"tool_calls": [opening]})
            deltas += [
                {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                for piece in _pieces(draw, call.arguments)
            ]
        deltas.append({})
        return deltas

    def _draw_hostile_reads(self, draw: st.DrawFn, raw: bytes, events: list[bytes]) -> list[bytes]:
        together = len(events[0]) + len(events[1]) if len(events) > 1 else len(events[0])
        rest = range(together + 1, len(raw))
        cuts = set(draw(st.lists(st.sampled_from(rest), max_size=8))) if rest else set()
        mid_line = raw.find(b"data:", together)
        if mid_line >= 0:
            cuts.add(mid_line + 3)
        inside_char = [i for i in rest if 0x80 <= raw[i] < 0xC0]
        if inside_char:
            cuts.add(draw(st.sampled_from(inside_char)))
        return rechunk(raw, sorted(cuts))


def _pieces(draw: st.DrawFn, text: str) -> list[str]:
    """``text`` in consecutive non-empty pieces (none for empty text)."""
    if not text:
        return []
    cuts = (
        sorted(set(draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=4))))
        if len(text) > 1
        else []
    )
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in pairwise(bounds) if a < b]
