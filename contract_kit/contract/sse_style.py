"""Two ways to describe a ``text/event-stream`` answer, and the conversion between them.

* ``vendor`` (the default export): the media type's ``schema`` *is* the chunk
  schema, as the vendor's document writes it. The kit, code generators (which
  type a chunk from it) and Prism read it so, and the export reloads unchanged.
* ``3.2``: the schema describes one *event* (``data``, ``event``, ``id``,
  ``retry``), the way OpenAPI 3.2's ``itemSchema`` does and the way tools that
  validate event streams read ``schema`` on 3.0/3.1 (Schemathesis parses the
  stream into events and checks each event object). ``data`` is a string:
  either the terminal ``[DONE]`` or JSON whose schema is the chunk schema,
  given as ``contentMediaType: application/json`` + ``contentSchema``. The
  document stays ``openapi: 3.0.x`` (the kit and Schemathesis read it), though
  a strict 3.0 validator rejects these two 2019-09 keywords. A bare
  ``{"nullable": true}`` (``stop`` has one) is left as written: the kit and
  the tools both read it as "any value" (``oas30.py``, rule 3a).

Load the kit's contract from the ``vendor`` export (or the bundled files):
the 3.2 export is for the peer tools.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from contract_kit.contract.effective import EVENT_STREAM
from contract_kit.defaults import SseStyle

DONE_DATA = "[DONE]"


def event_schema(chunk_schema: Any) -> dict[str, Any]:
    """One SSE event whose ``data`` carries ``chunk_schema`` as JSON content, or ``[DONE]``."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "string",
                "anyOf": [
                    {"enum": [DONE_DATA]},
                    {"contentMediaType": "application/json", "contentSchema": chunk_schema},
                ],
            },
            "event": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "description": "One server-sent event: `data` is a JSON chunk, or `[DONE]` last.",
    }


def chunk_schema_of(schema: Any) -> Any:
    """The chunk schema inside an event schema written by :func:`event_schema`; else ``schema`` itself."""
    if not isinstance(schema, dict):
        return schema
    data = schema.get("properties", {}).get("data") if isinstance(schema.get("properties"), dict) else None
    branches = data.get("anyOf", []) if isinstance(data, dict) else []
    for branch in branches if isinstance(branches, list) else []:
        if isinstance(branch, dict) and "contentSchema" in branch:
            return branch["contentSchema"]
    return schema


def with_sse_style(document: dict[str, Any], style: SseStyle) -> dict[str, Any]:
    """``document`` with every event-stream ``schema`` written in ``style`` (a copy; the input is kept)."""
    if style is SseStyle.VENDOR:
        return document
    converted = copy.deepcopy(document)
    for media in _event_stream_media(converted):
        if "schema" in media:
            media["schema"] = event_schema(chunk_schema_of(media["schema"]))
    return converted


def _event_stream_media(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    paths = document.get("paths")
    for item in paths.values() if isinstance(paths, dict) else []:
        for operation in item.values() if isinstance(item, dict) else []:
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for response in responses.values() if isinstance(responses, dict) else []:
                content = response.get("content") if isinstance(response, dict) else None
                media = content.get(EVENT_STREAM) if isinstance(content, dict) else None
                if isinstance(media, dict):
                    yield media
