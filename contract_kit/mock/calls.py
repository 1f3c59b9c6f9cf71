"""The calls log: what the mock answered, bounded in count and in bytes, with no credential in it.

Tests read it (``chat_mock.calls``, ``GET /_contract/calls``) to see what their
client sent. A long-running ``contract-kit serve`` must not grow without bound
while it keeps it, so the log keeps the newest :data:`~contract_kit.mock.limits.MAX_CALLS`
exchanges and at most :data:`~contract_kit.mock.limits.MAX_CALLS_BYTES` of bodies
and chunks; a request the mock rejected before reading it as a chat request
(401, 413, 415, a body that is not JSON) keeps only a short excerpt of its body.
Headers whose name looks like a credential (``authorization``, ``cookie``,
``set-cookie``, ``x-auth-token``, ``api-key``, anything with key, token, secret,
auth or cookie in it) are never stored.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from contract_kit import _json
from contract_kit.mock.limits import MAX_CALLS, MAX_CALLS_BYTES, REJECTED_BODY_EXCERPT
from contract_kit.redact import SENSITIVE_HEADER

_OVERHEAD = 512
"""Bytes counted per call beyond its bodies (headers, the dataclass itself)."""


@dataclass(frozen=True)
class Call:
    """One recorded exchange. ``headers`` never hold a credential.

    ``raw_body`` is set when ``body`` is not (a body that is not JSON, or a
    rejected request's): then it holds at most a short excerpt, and
    ``body_size`` says how many bytes the request really had.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_body: bytes | None
    status: int
    response_headers: list[tuple[str, str]]
    response_body: Any
    chunks: list[bytes] | None
    plan: list[dict[str, Any]] = field(default_factory=list)
    session: str | None = None
    body_size: int = 0

    @property
    def request_id(self) -> str | None:
        return next((value for key, value in self.response_headers if key == "x-request-id"), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON view (for ``GET /_contract/calls``): bytes become text."""
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "raw_body": None if self.raw_body is None else self.raw_body.decode("utf-8", "replace"),
            "body_size": self.body_size,
            "status": self.status,
            "response_headers": [list(pair) for pair in self.response_headers],
            "response_body": self.response_body,
            "chunks": None if self.chunks is None else [c.decode("utf-8", "replace") for c in self.chunks],
            "plan": self.plan,
            "session": self.session,
        }


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers minus every one whose name looks like a credential."""
    return {name.lower(): value for name, value in headers.items() if not _sensitive(name)}


@lru_cache(maxsize=1024)
def _sensitive(name: str) -> bool:
    """Whether a header name looks like a credential; clients send the same few names every call."""
    return SENSITIVE_HEADER.search(name) is not None


class PendingCall:
    """A call as the service hands it over: request and response bodies still bytes, parsed when a test
    reads them.

    Keeping a call costs the hot path a few references, and the log holds no
    parsed JSON for the garbage collector to walk; ``Call`` is built the first
    time the log is read (``calls``, ``GET /_contract/calls``), once.
    ``headers`` are already stripped of credentials: a key is never kept, not
    even until the log is read.
    """

    __slots__ = ("_call", "_fields", "_request_body", "plan", "session")

    def __init__(
        self,
        *,
        request_body: bytes | None,
        response_body: bytes | None,
        plan: list[dict[str, Any]],
        session: str | None,
        **fields: Any,
    ) -> None:
        self._fields = fields
        self._fields["response_body"] = response_body
        self._request_body = request_body
        self.plan = plan
        self.session = session
        self._call: Call | None = None

    def call(self) -> Call:
        if self._call is None:
            fields = self._fields
            chunks = fields["chunks"]
            raw = self._request_body
            self._call = Call(
                **{
                    **fields,
                    "body": None if raw is None else _json.loads(raw),
                    "response_body": _json_or_none(fields["response_body"]),
                    "chunks": None if chunks is None else list(chunks),
                },
                plan=self.plan,
                session=self.session,
            )
        return self._call


def _json_or_none(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return _json.loads(raw)
    except ValueError:
        return None


def call_size(kept_body: int, response: int) -> int:
    """About how many bytes a call keeps alive: its request body as kept, its response, overhead."""
    return _OVERHEAD + kept_body + response


def calls_json(calls: list[Call]) -> bytes:
    """``{"calls": [...]}`` for ``GET /_contract/calls``.

    A body may nest deeper than the JSON encoder goes (the schema allows an
    undeclared field a thousand levels deep): that one body is listed as a note.
    """
    items = []
    for call in calls:
        item = call.to_json()
        try:
            items.append(_json.dumps(item))
        except TypeError:
            item["body"] = "<nested too deeply to list>"
            items.append(_json.dumps(item))
    return b'{"calls":[' + b",".join(items) + b"]}"


def excerpt(raw: bytes) -> bytes:
    """At most :data:`REJECTED_BODY_EXCERPT` bytes of a rejected request's body."""
    return bytes(raw[:REJECTED_BODY_EXCERPT])


class CallLog:
    """The newest calls, within a count and a byte bound; safe to share between threads."""

    def __init__(self, max_calls: int = MAX_CALLS, max_bytes: int = MAX_CALLS_BYTES) -> None:
        self.max_calls = max_calls
        self.max_bytes = max_bytes
        self._calls: deque[tuple[Call | PendingCall, int]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    def append(self, call: Call | PendingCall, size: int) -> None:
        """Keep ``call``, counted as ``size`` bytes (see :func:`call_size`); evict the oldest past a bound."""
        with self._lock:
            self._calls.append((call, size))
            self._bytes += size
            while self._calls and (len(self._calls) > self.max_calls or self._bytes > self.max_bytes):
                _old, old_size = self._calls.popleft()
                self._bytes -= old_size

    def snapshot(self, session: str | None = None) -> list[Call]:
        """The kept calls, oldest first; only one session's when ``session`` is given."""
        with self._lock:
            kept = [call for call, _size in self._calls if session is None or call.session == session]
        return [call.call() if isinstance(call, PendingCall) else call for call in kept]

    def last(self) -> Call | None:
        """The newest kept call, read without building the others."""
        with self._lock:
            newest = self._calls[-1][0] if self._calls else None
        return newest.call() if isinstance(newest, PendingCall) else newest

    def last_plan(self) -> list[dict[str, Any]]:
        """The newest call's scenario plan (``[]`` with no call), without building the call."""
        with self._lock:
            return self._calls[-1][0].plan if self._calls else []

    def clear(self, session: str | None = None) -> None:
        """Forget every call, or only one session's."""
        with self._lock:
            kept = [] if session is None else [(c, s) for c, s in self._calls if c.session != session]
            self._calls = deque(kept)
            self._bytes = sum(size for _call, size in kept)

    @property
    def bytes(self) -> int:
        with self._lock:
            return self._bytes
