"""Response validation: this kit vs openapi-core's validate_response, and vs the floor.

Payloads: the vendor's example response (JSON), and a 200-chunk stream. The
kit validates the stream whole (every chunk, the invariants, reassembly);
openapi-core cannot parse an event stream, so it gets the most favourable
setup we can give it: each chunk validated as a JSON body of its own.

The floor is what no validator of this body can skip: parsing it with the
kit's own parser (orjson) plus one jsonschema-rs ``is_valid`` call on the
profile's response schema. Issue #14 asks for at most 1.3x the floor under
``observed``. The standard library's ``json.loads`` is shown too, as the
parse cost most Python code pays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from harness import Row, compare, timed_row

ROOT = Path(__file__).resolve().parent.parent
FLOOR_LIMIT = 1.3  # issue #14, under observed
# Many short interleaved rounds (about 5 ms per batch): on a shared machine a batch that is
# preempted spoils one round, and the median of the per-round ratios ignores it.
FINE_ROUNDS, FINE_BUDGET_S = 41, 0.05


def example_bytes() -> bytes:
    return (ROOT / "fixtures" / "examples" / "example_response.json").read_bytes()


def stream_chunks(n: int = 200) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764625236,
        "model": "qwen3-vl-32b-thinking",
    }
    chunks = [
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    ]
    for i in range(n - 2):
        key = "reasoning_content" if i < n // 3 else "content"
        chunks.append({**base, "choices": [{"index": 0, "delta": {key: f"word{i} "}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return chunks


def openapi_core_validator(profile_document: dict[str, Any]) -> Any:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    api = OpenAPI.from_dict(profile_document)
    request = MockRequest("https://api.aimlapi.com", "post", "/v1/chat/completions")

    def validate(raw: bytes, content_type: str = "application/json") -> None:
        api.validate_response(request, MockResponse(data=raw, status_code=200, content_type=content_type))

    return validate


def chunk_as_json_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose JSON 200 schema is the chunk schema, so openapi-core can check one chunk."""
    import copy

    doc = copy.deepcopy(document)
    content = doc["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    content["application/json"] = content.pop("text/event-stream")
    return doc


def run() -> list[Row]:
    from contract_kit import load_contract
    from contract_kit.validation import encode_json_chunks

    rows = []
    raw = example_bytes()
    observed = load_contract("observed")
    for profile in ("observed", "documented"):
        contract = load_contract(profile)
        core_validate = openapi_core_validator(contract.document)
        core_validate(raw)  # it must accept the payload, or the comparison is meaningless
        assert not [v for v in contract.validate_response_bytes(raw) if v.severity == "error"]
        schema = jsonschema_rs.validator_for(contract.response_schema(200), validate_formats=False)
        assert schema.is_valid(orjson.loads(raw))
        timings = compare(
            {
                "contract-kit": lambda c=contract: c.validate_response_bytes(raw),  # type: ignore[misc]
                "openapi-core": lambda v=core_validate: v(raw),  # type: ignore[misc]
                "floor": lambda s=schema: s.is_valid(orjson.loads(raw)),  # type: ignore[misc]
                "json.loads": lambda: json.loads(raw),
            },
            rounds=FINE_ROUNDS,
            budget_s=FINE_BUDGET_S,
        )
        ours = timings["contract-kit"]
        name = f"validation/example-response[{profile}]"
        what = f"validation: the vendor's example response, `{profile}`"
        if profile == "documented":
            what += " (5 undocumented fields reported as info)"
        rows.append(timed_row(f"{name} vs openapi-core", what, ours, timings["openapi-core"]))
        rows.append(
            timed_row(
                f"{name} vs floor",
                f"validation: the same, `{profile}`, vs the floor (orjson.loads + one jsonschema-rs call)",
                ours,
                timings["floor"],
                cost=True,
                limit=FLOOR_LIMIT if profile == "observed" else None,
            )
        )
        rows.append(
            timed_row(
                f"{name} vs json.loads",
                f"validation: the same, `{profile}`, vs parsing it with the standard library",
                ours,
                timings["json.loads"],
                cost=True,
            )
        )

    chunks = stream_chunks()
    stream = b"".join(encode_json_chunks(chunks))
    chunk_bytes = [json.dumps(c).encode() for c in chunks]
    core_observed = openapi_core_validator(chunk_as_json_document(observed.document))
    report = observed.validate_stream(stream)
    assert report.ok, report.errors
    timings = compare(
        {
            "contract-kit": lambda: observed.validate_stream(stream),
            "openapi-core-per-chunk": lambda: [core_observed(b) for b in chunk_bytes],
            "json.loads-per-chunk": lambda: [json.loads(b) for b in chunk_bytes],
        },
        rounds=5,
    )
    what = "validation: a 200-chunk stream (every chunk, invariants, reassembly)"
    rows.append(
        timed_row(
            "validation/200-chunk-stream vs openapi-core",
            what,
            timings["contract-kit"],
            timings["openapi-core-per-chunk"],
            note="openapi-core validates chunk by chunk",
        )
    )
    rows.append(
        timed_row(
            "validation/200-chunk-stream vs json.loads",
            "validation: the same stream vs parsing its chunks with json.loads",
            timings["contract-kit"],
            timings["json.loads-per-chunk"],
            cost=True,
        )
    )
    return rows


if __name__ == "__main__":
    print("\n".join(row.text() for row in run()))
