"""Checking payloads against schemas: violations, the JSON Schema check, the SSE codec, stream and semantic rules.

The lowest layer above the foundation: it knows JSON Schema and the wire
format of a chat completion, but not OpenAPI documents or overlays.
"""

from contract_kit.validation.exchange import ObservedAnswer, answer_problems, excused
from contract_kit.validation.request_rules import RULES as REQUEST_RULES
from contract_kit.validation.request_rules import check_request_rules, stop_sequences
from contract_kit.validation.schema import SchemaCheck, SubschemaValidators, schema_errors_first
from contract_kit.validation.semantics import check_choice, check_completion, check_usage
from contract_kit.validation.sse import (
    DONE,
    Event,
    SSEDecoder,
    aiter_events,
    decode,
    encode_event,
    encode_json_chunks,
    iter_events,
    rechunk,
)
from contract_kit.validation.stream import StreamReport, check_stream
from contract_kit.validation.violations import (
    Violation,
    errors_only,
    format_violations,
    json_path,
    normalize,
    truncate,
)

__all__ = [
    "DONE",
    "REQUEST_RULES",
    "Event",
    "ObservedAnswer",
    "SSEDecoder",
    "SchemaCheck",
    "StreamReport",
    "SubschemaValidators",
    "Violation",
    "aiter_events",
    "answer_problems",
    "check_choice",
    "check_completion",
    "check_request_rules",
    "check_stream",
    "check_usage",
    "decode",
    "encode_event",
    "encode_json_chunks",
    "errors_only",
    "excused",
    "format_violations",
    "iter_events",
    "json_path",
    "normalize",
    "rechunk",
    "schema_errors_first",
    "stop_sequences",
    "truncate",
]
