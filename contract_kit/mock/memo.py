"""Answers rendered once per distinct request, then stamped with each call's id.

A test suite sends the same request again and again (a retry loop, a
parametrised test, a served mock under load). The engine is a pure function
of the request bytes, the seed, the document and the clock's second, except
for the completion id, which changes per call. So the service renders an
answer once with a placeholder id, splits its bytes around the placeholder,
and for each call joins the pieces with that call's id: the same bytes a fresh
render would give, without generating, checking or serializing again.

Only plain answers are kept (no scenario reply), only for small requests and
answers, and only when the answer conformed to the document as rendered (a
fitted answer is rendered per call). The memo is bounded and thread-safe;
:mod:`contract_kit.mock.limits` holds its bounds.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract_kit.mock.engine import ID_PREFIX, completion_id, id_number
from contract_kit.mock.limits import MEMO_ENTRIES, MEMO_MAX_ANSWER_BYTES, MEMO_MAX_REQUEST_BYTES
from contract_kit.mock.types import MockResponse

PLACEHOLDER_ID = f"{ID_PREFIX}{uuid.uuid4()}"
"""Shaped like a real id (a schema's pattern sees no difference), random per process (so it
cannot occur in generated text)."""
_PLACEHOLDER = PLACEHOLDER_ID.encode()

__all__ = ["PLACEHOLDER_ID", "AnswerMemo", "AnswerTemplate", "template_of"]


@dataclass(frozen=True)
class AnswerTemplate:
    """An answer's bytes cut around its id: a JSON body, or a stream's events."""

    headers: tuple[tuple[str, str], ...]
    pieces: tuple[tuple[bytes, ...], ...]
    stream: bool
    size: int
    base: int
    """The first call's id as a number, from which every call's id follows (``engine.completion_id``)."""

    def response(self, call: int) -> MockResponse:
        """The answer for the service's ``call``-th call: the pieces joined with that call's id."""
        stamp = completion_id(self.base, call).encode()
        parts = [stamp.join(piece) for piece in self.pieces]
        if self.stream:
            return MockResponse(200, list(self.headers), chunks=parts)
        return MockResponse(200, list(self.headers), parts[0])


def template_of(
    headers: Sequence[tuple[str, str]], parts: Sequence[bytes], first_id: str, *, stream: bool
) -> AnswerTemplate | None:
    """The template of an answer rendered with :data:`PLACEHOLDER_ID` (``parts``: its body, or its
    events) whose first call's id is ``first_id``; ``None`` when the placeholder is nowhere in it,
    so it must be rendered per call."""
    pieces = tuple(tuple(part.split(_PLACEHOLDER)) for part in parts)
    if not any(len(piece) > 1 for piece in pieces):
        return None
    return AnswerTemplate(
        tuple(headers), pieces, stream, sum(map(len, parts)), id_number(first_id.removeprefix(ID_PREFIX))
    )


class _Bounded:
    """A map that keeps its newest ``entries`` items; safe to share between threads."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any:
        return self._items.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        if self.entries <= 0:
            return
        with self._lock:
            while len(self._items) >= self.entries:
                del self._items[next(iter(self._items))]
            self._items[key] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class AnswerMemo:
    """What the service learnt about a request it saw before: that its body passed every body check
    (and the body parsed), and its answer's template. Both bounded; the oldest entry goes first."""

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self._templates = _Bounded(entries)
        self._admitted = _Bounded(entries)

    def __len__(self) -> int:
        """How many answers are kept."""
        return len(self._templates)

    @staticmethod
    def admits(request_body: bytes) -> bool:
        return len(request_body) <= MEMO_MAX_REQUEST_BYTES

    def get(self, key: Hashable) -> AnswerTemplate | None:
        found: AnswerTemplate | None = self._templates.get(key)
        return found

    def put(self, key: Hashable, template: AnswerTemplate) -> None:
        if template.size <= MEMO_MAX_ANSWER_BYTES:
            self._templates.put(key, template)

    def admitted(self, request_body: bytes, contract: object) -> Mapping[str, Any] | None:
        """The parsed body, when these bytes passed the body checks of ``contract`` before (``None``
        otherwise): the checks are pure functions of the two, so they need not run again. Read-only."""
        found: Mapping[str, Any] | None = self._admitted.get((request_body, id(contract)))
        return found

    def admit(self, request_body: bytes, contract: object, body: Mapping[str, Any]) -> None:
        if self.admits(request_body):
            self._admitted.put((request_body, id(contract)), body)

    def clear(self) -> None:
        self._templates.clear()
        self._admitted.clear()
