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

A miss stays cheap however large the cassette or the request: every recorded request gets a
**digest** once (its route plus a hash of each top-level field and of each
message), the sent request is ranked against the digests, only the
``CANDIDATES`` best are compared as text (on a bounded excerpt), and the diff
is taken of lines cut to ``MAX_DIFF_LINE`` characters, at most
``MAX_COMPARED_LINES`` of them. A 1 MB request against 1,000 recorded
interactions is answered in a few milliseconds.

A ``Matcher`` is safe to call from several threads (the served replay answers
a large request in a worker thread, ordinary ones on the event loop): the
queues are changed under one lock, held only for a dict lookup and a pop, and
the digests are built once under another, so a hit never waits for a miss.
"""

from __future__ import annotations

import difflib
import heapq
import json
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from contract_kit._json import dumps_sorted
from contract_kit.cassettes.model import Interaction, RecordedRequest
from contract_kit.errors import CassetteMismatchError
from contract_kit.mock import MockRequest

DEFAULT_IGNORE: tuple[str, ...] = ("user",)
MAX_DIFF_LINES = 60
CANDIDATES = 3  # recorded requests compared as text after the digest ranking
MAX_EXCERPT = 1024  # characters of each body the text comparison sees (head and tail)
MAX_DIFF_LINE = 160  # longer lines are cut and end in a hash, so two different lines stay different
MAX_COMPARED_LINES = 2000


@dataclass(frozen=True)
class RequestKey:
    method: str
    path: str
    body: str
    parsed: Any = field(default=None, compare=False, hash=False, repr=False)
    """The body as data (ignored fields removed), kept for the closest-match search on a miss."""

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
    """Sorted-key compact JSON of ``body`` without the ignored (dotted) fields."""
    return _dumped(_without_fields(body, ignore))


def _without_fields(body: Any, ignore: Sequence[str]) -> Any:
    """``body`` without the ignored fields, left out of shallow copies along their path only,
    so the caller's body is never changed and never deep-copied."""
    if ignore and isinstance(body, dict):
        for dotted in ignore:
            body = _without(body, dotted.split("."))
    return body


def _dumped(body: Any) -> str:
    return dumps_sorted(body)


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
        body = _without_fields(_parsed(request.body), ignore)
        target = request.path + (f"?{query}" if query else "")
        return RequestKey(request.method.upper(), target, _dumped(body), body)
    body = _without_fields(_parsed(request.raw) if request.raw is not None else request.body, ignore)
    return RequestKey(request.method.upper(), request.path, _dumped(body), body)


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
        self._digests: list[frozenset[int]] | None = None
        self._lock = threading.Lock()  # the queues, _last and used
        self._digest_lock = threading.Lock()  # building _digests, once
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
        """Rank by digest (cheap), then compare only the best few, on bounded excerpts, as text."""
        sent = _digest(key)
        ranked = [
            (len(digest & sent), -abs(len(other.body) - len(key.body)), index)
            for index, (digest, other) in enumerate(zip(self._recorded_digests(), self._keys, strict=True))
        ]
        best = heapq.nlargest(CANDIDATES, ranked)
        if len(best) == 1 or best[0][0] > best[1][0]:
            return best[0][2]
        excerpt = _excerpt(key.body)
        tied = [entry for entry in best if entry[0] == best[0][0]]

        def similarity(entry: tuple[int, int, int]) -> float:
            return difflib.SequenceMatcher(None, _excerpt(self._keys[entry[2]].body), excerpt).quick_ratio()

        return max(tied, key=similarity)[2]

    def _recorded_digests(self) -> list[frozenset[int]]:
        """Every recorded request's digest, built by the first miss (two concurrent misses build it once)."""
        with self._digest_lock:
            if self._digests is None:
                self._digests = [_digest(other) for other in self._keys]
            return self._digests


def _digest(key: RequestKey) -> frozenset[int]:
    """The route, and a fingerprint per top-level field and per message of the body."""
    features = {hash(("route", key.method, key.path))}
    body = key.parsed
    if not isinstance(body, dict):
        return frozenset({*features, hash(("body", key.body))})
    for name, value in body.items():
        features.add(hash(("field", name, _fingerprint(value))))
        if name == "messages" and isinstance(value, list):
            features.update(hash(("message", _fingerprint(message))) for message in value)
    return frozenset(features)


def _fingerprint(value: Any) -> int:
    """A structural hash of JSON data, one pass, no serialization (strings hash in C)."""
    try:
        return _structural_hash(value)
    except RecursionError:
        return hash(_dumped(value))


def _structural_hash(value: Any) -> int:
    if isinstance(value, dict):
        return hash(("{", *sorted((k, _structural_hash(v)) for k, v in value.items())))
    if isinstance(value, list):
        return hash(("[", *(_structural_hash(item) for item in value)))
    return hash((type(value).__name__, value))


def _excerpt(text: str) -> str:
    half = MAX_EXCERPT // 2
    return text if len(text) <= MAX_EXCERPT else text[:half] + text[-half:]


def _shortened(value: Any) -> Any:
    """``value`` with every long string cut to an excerpt that ends in its length and hash."""
    if isinstance(value, str):
        if len(value) <= MAX_DIFF_LINE:
            return value
        return f"{value[:MAX_DIFF_LINE]}... ({len(value)} characters, hash {hash(value) & 0xFFFFFFFF:08x})"
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    return value


def _cut(line: str) -> str:
    if len(line) <= MAX_DIFF_LINE * 2:
        return line
    return f"{line[:MAX_DIFF_LINE]}... ({len(line)} characters, hash {hash(line) & 0xFFFFFFFF:08x})"


def _lines(key: RequestKey) -> list[str]:
    try:
        body = json.dumps(_shortened(key.parsed), indent=2, sort_keys=True, ensure_ascii=False)
    except (ValueError, RecursionError):
        body = key.body
    lines = [key.describe(), *body.splitlines()]
    cut = [_cut(line) for line in lines[:MAX_COMPARED_LINES]]
    if len(lines) > MAX_COMPARED_LINES:
        cut.append(f"... ({len(lines) - MAX_COMPARED_LINES} more lines not compared)")
    return cut


def _diff(recorded: RequestKey, sent: RequestKey) -> str:
    lines = list(difflib.unified_diff(_lines(recorded), _lines(sent), "recorded", "sent", lineterm="", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join("    " + line for line in lines)
