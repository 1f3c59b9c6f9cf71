"""The cassette format: recorded interactions that people can review and replay reproduces exactly.

VCR.py joins a stream into one body when it records, so the chunk boundaries
a client saw are gone, and it stores bodies as escaped strings. A cassette
here is YAML, versioned from day one, with:

- JSON bodies stored as structure (``body:``), plus the ``body_style`` that
  re-serializes them to the exact bytes received; when no style reproduces
  them the bytes are kept as ``text:`` as well;
- an SSE response stored as its ``events`` (each event's data, parsed JSON,
  one line per event) **and** its ``reads``: the raw bytes of every network
  read (``text:`` when UTF-8, else ``base64:``) with its arrival time ``at``,
  in seconds after the request was sent. Replay sends the reads as they came,
  so a client sees the same chunk boundaries (and, optionally, the timing);
- other bodies as ``text:`` (UTF-8) or ``base64:``.

``reads`` are the truth for replay, ``events`` for review; a cassette whose
two disagree is rejected on load. A hand-written cassette may omit ``reads``:
replay then sends one ``data: ...`` block per event.

This module holds the model; :mod:`contract_kit.cassettes.format` turns it
into text and back, and :mod:`contract_kit.cassettes.files` writes the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_kit.errors import CassetteError
from contract_kit.validation import decode

FORMAT_VERSION = 1
HEADER_COMMENT = (
    "# contract-kit cassette (format version 1): the HTTP interactions one test had with the live API.\n"
    "# Reviewable: bodies are structure, a stream is its events plus the raw network reads that replay sends.\n"
    "# Secrets are redacted before writing; re-record with: pytest --contract-mode=record <test>\n"
)
STYLES = ("compact", "spaced", "pretty")


@dataclass
class Read:
    """One network read: its bytes and when they arrived (seconds after the request was sent)."""

    at: float
    data: bytes


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw: bytes | None = None

    def body_bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body, ensure_ascii=False).encode()


@dataclass
class RecordedResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    body_style: str | None = None
    raw: bytes | None = None
    events: list[Any] | None = None
    reads: list[Read] | None = None
    cut: bool = False
    elapsed: float = 0.0

    @property
    def is_stream(self) -> bool:
        return self.events is not None or self.reads is not None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def chunks(self) -> list[bytes]:
        """The writes replay sends: every recorded read, or the body as one write."""
        if self.reads is not None:
            return [read.data for read in self.reads]
        if self.events is not None:
            return [_event_block(event) for event in self.events]
        body = self.body_bytes()
        return [body] if body else []

    def body_bytes(self) -> bytes:
        if self.reads is not None or self.events is not None:
            return b"".join(self.chunks())
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return encode_json(self.body, self.body_style or "compact")


@dataclass
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    test: str | None = None


@dataclass
class Cassette:
    name: str
    interactions: list[Interaction] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


# --- JSON body styles ---------------------------------------------------------------------------


def check_style(style: str) -> list[str]:
    """Split a style name into its parts; ``CassetteError`` (a ``ValueError``) for an unknown one."""
    base, *flags = style.split("-")
    if base not in STYLES or any(flag not in ("ascii", "nl") for flag in flags):
        raise CassetteError(
            f"unknown body_style {style!r}; use one of {', '.join(STYLES)} (optionally -ascii, -nl)"
        )
    return [base, *flags]


def encode_json(body: Any, style: str) -> bytes:
    """Serialize ``body`` in a named style: ``compact|spaced|pretty``, ``-ascii``, ``-nl`` suffixes."""
    base, *flags = check_style(style)
    kwargs: dict[str, Any] = {"ensure_ascii": "ascii" in flags}
    if base == "compact":
        kwargs["separators"] = (",", ":")
    elif base == "pretty":
        kwargs["indent"] = 2
    text = json.dumps(body, **kwargs) + ("\n" if "nl" in flags else "")
    return text.encode("utf-8")


def detect_style(body: Any, raw: bytes) -> str | None:
    """The style that re-serializes ``body`` to exactly ``raw``, or ``None``."""
    for base in STYLES:
        for suffix in ("", "-ascii", "-nl", "-ascii-nl"):
            if encode_json(body, base + suffix) == raw:
                return base + suffix
    return None


def _event_block(event: Any) -> bytes:
    data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def events_of(data: bytes) -> list[Any]:
    """The data of each SSE event, parsed as JSON when it is JSON (``[DONE]`` stays a string)."""
    out: list[Any] = []
    for event in decode(data):
        try:
            out.append(json.loads(event.data))
        except ValueError:
            out.append(event.data)
    return out


def headers_of(pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """Lower-case header mapping; repeated headers are joined with ``, `` as HTTP allows."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
