"""Chat-aware request matching for replay.

VCR.py's default matchers ignore the body, so every chat call looks alike. A
request matches a recorded one here when the method, the path (with query)
and the **canonical JSON body** are equal: keys sorted, whitespace ignored,
and fields the user declares volatile removed (``--contract-match-ignore`` /
ini ``contract_match_ignore``; dotted paths such as ``stream_options.include_usage``
reach inside objects). The default ignores ``user``, an end-user id that
tests often randomize and that never changes the answer's shape.

Identical requests replay in the order they were recorded; one more than was
recorded is an error unless repeats are allowed (the served mock allows them).
A request that matches nothing gets a unified diff against the closest
recorded request and the command that records it again.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from contract_kit.cassettes.model import Interaction, RecordedRequest
from contract_kit.errors import CassetteMismatchError
from contract_kit.mock import MockRequest

DEFAULT_IGNORE: tuple[str, ...] = ("user",)
MAX_DIFF_LINES = 60


@dataclass(frozen=True)
class RequestKey:
    method: str
    path: str
    body: str

    def describe(self) -> str:
        return f"{self.method} {self.path}"


def parse_ignore(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"seed, user"`` or a list -> ``("seed", "user")``."""
    if value is None:
        return DEFAULT_IGNORE
    items = (
        value.replace(",", " ").split()
        if isinstance(value, str)
        else [v for item in value for v in item.replace(",", " ").split()]
    )
    return tuple(dict.fromkeys(items))


def canonical(body: Any, ignore: Sequence[str] = DEFAULT_IGNORE) -> str:
    """Sorted-key compact JSON of ``body`` without the ignored (dotted) fields.

    The ignored fields are left out of shallow copies along their path only,
    so the caller's body is never changed and never deep-copied.
    """
    if ignore and isinstance(body, dict):
        for dotted in ignore:
            body = _without(body, dotted.split("."))
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits, or a type orjson does not know: the standard library
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _without(node: Any, parts: list[str]) -> Any:
    """``node`` without the field at ``parts``: a shallow copy where it changes, ``node`` itself elsewhere."""
    if not isinstance(node, dict) or not parts or parts[0] not in node:
        return node
    head, rest = parts[0], parts[1:]
    if not rest:
        return {key: value for key, value in node.items() if key != head}
    inner = _without(node[head], rest)
    return node if inner is node[head] else {**node, head: inner}


def _parsed(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"<raw body>": raw.decode("utf-8", "replace")}


def key_of(request: MockRequest | RecordedRequest, ignore: Sequence[str] = DEFAULT_IGNORE) -> RequestKey:
    if isinstance(request, MockRequest):
        query = urlsplit(request.url).query
        body = _parsed(request.body)
        return RequestKey(
            request.method.upper(), request.path + (f"?{query}" if query else ""), canonical(body, ignore)
        )
    body = _parsed(request.raw) if request.raw is not None else request.body
    return RequestKey(request.method.upper(), request.path, canonical(body, ignore))


class Matcher:
    """A pool of recorded interactions, each replayed once, identical requests in recording order."""

    def __init__(
        self,
        interactions: Sequence[Interaction],
        ignore: Sequence[str] = DEFAULT_IGNORE,
        *,
        allow_repeats: bool = False,
        source: str = "the cassette",
        record_hint: str = "",
    ) -> None:
        self.interactions = list(interactions)
        self.ignore = tuple(ignore)
        self.allow_repeats = allow_repeats
        self.source = source
        self.record_hint = record_hint
        self._keys = [key_of(item.request, self.ignore) for item in self.interactions]
        self._queues: dict[RequestKey, deque[int]] = {}
        for index, key in enumerate(self._keys):
            self._queues.setdefault(key, deque()).append(index)
        self._last: dict[RequestKey, int] = {}
        self._lock = threading.Lock()
        self.used: list[int] = []

    def match(self, request: MockRequest) -> Interaction:
        key = key_of(request, self.ignore)
        with self._lock:
            queue = self._queues.get(key)
            if queue:
                index = queue.popleft()
                self._last[key] = index
                self.used.append(index)
                return self.interactions[index]
            if queue is not None and self.allow_repeats:
                return self.interactions[self._last[key]]
        raise CassetteMismatchError(self._explain(key, exhausted=queue is not None))

    def _explain(self, key: RequestKey, *, exhausted: bool) -> str:
        hint = f"\nRecord it again with:\n    {self.record_hint}" if self.record_hint else ""
        if exhausted:
            count = self._keys.count(key)
            return (
                f"{key.describe()} was sent more often than when {self.source} was recorded: all {count} "
                f"matching recorded interaction(s) were already replayed.{hint}"
            )
        if not self._keys:
            return f"{key.describe()} has nothing to replay: {self.source} holds no interactions.{hint}"
        index = self._closest(key)
        diff = _diff(self._keys[index], key)
        ignored = ", ".join(self.ignore) or "none"
        return (
            f"no recorded interaction in {self.source} matches {key.describe()} "
            f"({len(self._keys)} recorded; matched on method, path and canonical JSON body; "
            f"ignored fields: {ignored}).\n"
            f"Closest recorded request (interaction #{index}), - recorded / + sent:\n{diff}\n"
            "If the change is intended, record the cassette again; if the field is volatile, ignore "
            f"it with --contract-match-ignore FIELD.{hint}"
        )

    def _closest(self, key: RequestKey) -> int:
        def score(index: int) -> tuple[bool, float]:
            other = self._keys[index]
            same_route = (other.method, other.path) == (key.method, key.path)
            return same_route, difflib.SequenceMatcher(None, other.body, key.body).quick_ratio()

        return max(range(len(self._keys)), key=score)


def _lines(key: RequestKey) -> list[str]:
    try:
        body = json.dumps(json.loads(key.body), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        body = key.body
    return [key.describe(), *body.splitlines()]


def _diff(recorded: RequestKey, sent: RequestKey) -> str:
    lines = list(difflib.unified_diff(_lines(recorded), _lines(sent), "recorded", "sent", lineterm="", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join("    " + line for line in lines)
