"""The mock's budget: every limit on work or state a client can make the mock take on, in one place.

A request is small, but what it asks for need not be: a ``response_format``
JSON schema or a tool's ``parameters`` can demand ``minLength: 1e300``, a
pattern like ``^(a{10000}){5000}$`` or a schema nested ten thousand deep, and
the control plane can be asked to queue a million plans. The mock does the
work a request asks for within these limits and answers a clear 400 (naming
the keyword and its path) past them, before any work is done; the served mock
adds the time limits at the bottom. README "The mock's limits" lists them.
"""

from __future__ import annotations

# --- client-supplied schemas (response_format json_schema, tool parameters) ----------------------

MAX_SCHEMA_DEPTH = 64
"""JSON nesting of one client schema (a schema level is about two JSON levels: properties, name)."""
MAX_SCHEMA_NODES = 20_000
"""Objects and arrays in all the client schemas of one request together."""
MAX_MIN_LENGTH = 4096
"""The largest ``minLength`` the mock generates a string for."""
MAX_MIN_ITEMS = 256
"""The largest ``minItems`` the mock generates an array for."""
MAX_MIN_PROPERTIES = 256
"""The largest ``minProperties`` the mock generates an object for."""
MAX_PATTERN_LENGTH = 1000
"""The longest ``pattern`` / ``patternProperties`` key accepted, in characters."""
MAX_PATTERN_REPEAT = 1000
"""The largest count in a ``{n}`` / ``{n,m}`` repetition, and of nested counts multiplied together."""
MAX_GENERATED_NODES = 5000
"""Values (strings, numbers, objects...) built for one generated instance; past it the schema is refused."""
GENERATION_TIME_BUDGET = 0.25
"""Wall-clock seconds generating one answer's JSON content or tool arguments may take (a backstop)."""
CLOCK_AFTER_VALUES = 64
"""The clock refuses a schema only once this many values were built: before that, a pause the
schema did not cause (a garbage collection, a busy machine) must not turn a small schema into a 400."""
PAUSE_GRACE = 0.5
"""Seconds past the budget a schema with fewer than :data:`CLOCK_AFTER_VALUES` values may still take."""

# --- the control plane and the calls log ---------------------------------------------------------

MAX_LATENCY_SECONDS = 60.0
"""The longest ``latency(ttft=..., between_chunks=...)`` a scenario may ask for."""
MAX_QUEUED_PLANS = 1000
"""Plans one scenario queue (the global one or a session's) holds at most."""
MAX_SESSIONS = 1000
"""Scenario sessions (``x-contract-session``) the service keeps at once."""
MAX_SESSION_NAME = 128
"""The longest ``x-contract-session`` value."""
MAX_CALLS = 1000
"""Exchanges the calls log keeps at most (the newest)."""
MAX_CALLS_BYTES = 32 * 1024 * 1024
"""Bytes of bodies and chunks the calls log keeps at most (the newest exchanges)."""
REJECTED_BODY_EXCERPT = 1024
"""Bytes of a rejected request's body the calls log keeps; the rest is dropped."""

# --- the served mock (uvicorn) ---------------------------------------------------------------------

HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a request's headers; then it is closed."""
BODY_TIMEOUT = 30.0
"""Seconds a client may take to send a request's body; then it gets a 408."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection is kept open."""
MAX_CONCURRENCY = 4096
"""Open connections plus running requests; past it new requests get a 503 (capped by the fd limit)."""
FD_RESERVE = 64
"""File descriptors kept free for the process itself when the concurrency limit follows the fd limit."""
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024
"""The largest request head (h11 only; httptools has its own 80 KB cap)."""

# --- the answer memo (``memo.py``) ----------------------------------------------------------------

MEMO_ENTRIES = 128
"""Distinct requests whose rendered answer the service keeps (the oldest goes first)."""
MEMO_MAX_REQUEST_BYTES = 16 * 1024
"""A larger request body is answered afresh each time (its key would cost more than it saves)."""
MEMO_MAX_ANSWER_BYTES = 64 * 1024
"""A larger answer is not kept, so the memo holds at most about 10 MB."""
