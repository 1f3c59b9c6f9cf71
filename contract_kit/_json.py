"""JSON in the hot paths (validation, the mock), through orjson.

orjson parses about twice as fast as the standard library, and serializes
compactly to bytes, which is what the mock sends. Errors are re-raised as
``ValueError`` so callers never depend on orjson's exception type.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise json.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes (no spaces, non-ASCII kept as is)."""
    return orjson.dumps(value)
