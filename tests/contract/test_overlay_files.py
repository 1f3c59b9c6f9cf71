"""The shipped overlays: repairs.yaml makes the vendor document valid, observed.yaml adds what the API sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

from contract_kit.contract import Overlay, apply_overlays, find, load_overlay

REPO_ROOT = Path(__file__).resolve().parents[2]
OPENAPI_DIR = REPO_ROOT / "openapi"
DOCUMENT = OPENAPI_DIR / "aimlapi-qwen3-vl-32b-thinking.json"
REPAIRS = OPENAPI_DIR / "repairs.yaml"
OBSERVED = OPENAPI_DIR / "observed.yaml"
EXAMPLE_RESPONSE = REPO_ROOT / "fixtures" / "examples" / "example_response.json"
OPERATION = ("paths", "/v1/chat/completions", "post")
ERROR_CODES = ("400", "401", "404", "413", "415", "429", "5XX")

JsonPath = tuple[str | int, ...]


@pytest.fixture(scope="module")
def original() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def repairs() -> Overlay:
    return load_overlay(REPAIRS)


@pytest.fixture(scope="module")
def observed() -> Overlay:
    return load_overlay(OBSERVED)


@pytest.fixture(scope="module")
def documented(original: dict[str, Any], repairs: Overlay) -> dict[str, Any]:
    return apply_overlays(original, [repairs])


@pytest.fixture(scope="module")
def observed_doc(original: dict[str, Any], repairs: Overlay, observed: Overlay) -> dict[str, Any]:
    return apply_overlays(original, [repairs, observed])


def operation(document: dict[str, Any]) -> dict[str, Any]:
    node: Any = document
    for key in OPERATION:
        node = node[key]
    return dict(node)


def response_schema(document: dict[str, Any], media_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = operation(document)["responses"]["200"]["content"][media_type]["schema"]
    return schema


def spec_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message[-200:]}"
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    return [
        f"$.{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in OAS30Validator(schema).iter_errors(instance)
    ]


# --- the files themselves ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPAIRS, OBSERVED], ids=lambda p: p.name)
def test_every_action_says_why_and_on_what_evidence(path: Path) -> None:
    overlay = load_overlay(path)
    assert overlay.actions
    for action in overlay.actions:
        text = " ".join(action.description.split())
        assert len(text) >= 80, f"actions[{action.index}] ({action.target}) needs a real description"
        assert "evidence" in text.lower(), f"actions[{action.index}] ({action.target}) names no evidence"


@pytest.mark.parametrize("path", [REPAIRS, OBSERVED], ids=lambda p: p.name)
def test_response_codes_are_quoted_in_yaml(path: Path) -> None:
    """PyYAML reads an unquoted 200: as an int; the files must not rely on the loader's conversion."""

    def int_keys(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, int):
                    yield f"{where}.{key}"
                yield from int_keys(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from int_keys(value, f"{where}[{index}]")

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(int_keys(raw, "$")) == []
    assert raw["overlay"] == "1.0.0"


# --- repairs ---------------------------------------------------------------------------------------


def test_documented_document_is_invalid_without_repairs(original: dict[str, Any]) -> None:
    """Guard: if the vendor fixes the document, repairs.yaml should shrink (and this test tells you)."""
    assert spec_errors(original), "the vendor document became valid OpenAPI 3.0; review repairs.yaml"


def test_repairs_make_the_document_valid_openapi_30(documented: dict[str, Any]) -> None:
    assert spec_errors(documented) == []
    OpenAPI.from_dict(documented)


def differences(left: Any, right: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """The paths where two JSON values differ (the deepest node that was added, removed or changed)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in left.keys() | right.keys():
            if key not in left or key not in right:
                yield (*path, key)
            else:
                yield from differences(left[key], right[key], (*path, key))
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from differences(a, b, (*path, index))
    elif type(left) is not type(right) or left != right:
        yield path


def test_repairs_change_nothing_outside_their_targets(
    original: dict[str, Any], documented: dict[str, Any], repairs: Overlay
) -> None:
    targets = [match.path for action in repairs.actions for match in find(action.target, documented)]
    changed = list(differences(original, documented))
    assert changed, "the repairs changed nothing"
    for path in changed:
        assert any(path[: len(target)] == target for target in targets), f"{path} is not a repair target"
        assert "schema" not in path and "properties" not in path, f"a repair changed a schema at {path}"


def test_repairs_keep_every_schema(original: dict[str, Any], documented: dict[str, Any]) -> None:
    assert operation(documented)["requestBody"] == operation(original)["requestBody"]
    for media_type in ("application/json", "text/event-stream"):
        assert response_schema(documented, media_type) == response_schema(original, media_type)


# --- observed --------------------------------------------------------------------------------------


def test_observed_document_is_valid_openapi_30(observed_doc: dict[str, Any]) -> None:
    assert spec_errors(observed_doc) == []
    OpenAPI.from_dict(observed_doc)


def undeclared_keys(instance: Any, schema: dict[str, Any], path: str = "$") -> Iterator[str]:
    """Every key of ``instance``, at any depth, that ``schema`` does not declare in ``properties``."""
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from undeclared_keys(item, schema.get("items", {}), f"{path}[{index}]")
        return
    if not isinstance(instance, dict):
        return
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            properties.update(branch.get("properties", {}))
    for key, value in instance.items():
        if key not in properties:
            yield f"{path}.{key}"
        else:
            yield from undeclared_keys(value, properties[key], f"{path}.{key}")


def test_observed_schema_declares_every_field_of_the_vendor_example(observed_doc: dict[str, Any]) -> None:
    example = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    assert list(undeclared_keys(example, response_schema(observed_doc, "application/json"))) == []


def test_documented_schema_misses_exactly_what_observed_adds(documented: dict[str, Any]) -> None:
    """Guard for the evidence of actions a.: these are the fields the page's example carries undeclared."""
    example = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    assert sorted(undeclared_keys(example, response_schema(documented, "application/json"))) == [
        "$.choices[0].message.reasoning_content",
        "$.meta",
        "$.system_fingerprint",
        "$.usage.completion_tokens_details.text_tokens",
        "$.usage.prompt_tokens_details.text_tokens",
    ]


def test_vendor_example_validates_against_the_observed_schema(observed_doc: dict[str, Any]) -> None:
    example = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    assert schema_errors(response_schema(observed_doc, "application/json"), example) == []


CHUNK = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764625236, "model": "m"}


@pytest.mark.parametrize(
    "choice",
    [
        pytest.param(
            {"index": 0, "delta": {"role": "assistant", "content": None}, "finish_reason": None}, id="first"
        ),
        pytest.param(
            {"index": 0, "delta": {"reasoning_content": "Okay"}, "finish_reason": None}, id="reasoning"
        ),
        pytest.param({"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}, id="content-only"),
        pytest.param(
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a'}}]},
                "finish_reason": None,
            },
            id="tool-call-fragment",
        ),
        pytest.param({"index": 0, "delta": {}, "finish_reason": "stop"}, id="last"),
    ],
)
def test_observed_chunk_schema_accepts_the_streaming_convention(
    observed_doc: dict[str, Any], documented: dict[str, Any], choice: dict[str, Any]
) -> None:
    chunk = {**CHUNK, "choices": [choice]}
    assert schema_errors(response_schema(observed_doc, "text/event-stream"), chunk) == []
    if choice["finish_reason"] is None:  # the documented schema rejects every such chunk
        assert schema_errors(response_schema(documented, "text/event-stream"), chunk) != []


def test_observed_chunk_schema_still_rejects_unknown_finish_reason(observed_doc: dict[str, Any]) -> None:
    chunk = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "bogus"}]}
    assert schema_errors(response_schema(observed_doc, "text/event-stream"), chunk) != []


def test_final_chunk_carries_the_example_usage_and_meta(observed_doc: dict[str, Any]) -> None:
    example = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    chunk = {
        **CHUNK,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": example["usage"],
        "meta": example["meta"],
        "system_fingerprint": None,
    }
    schema = response_schema(observed_doc, "text/event-stream")
    assert list(undeclared_keys(chunk, schema)) == []
    assert schema_errors(schema, chunk) == []


def test_tool_call_response_with_null_content(observed_doc: dict[str, Any]) -> None:
    example = json.loads(EXAMPLE_RESPONSE.read_text(encoding="utf-8"))
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    response = {**example, "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}
    assert schema_errors(response_schema(observed_doc, "application/json"), response) == []


def test_error_responses_exist(observed_doc: dict[str, Any]) -> None:
    responses = operation(observed_doc)["responses"]
    assert set(ERROR_CODES) <= set(responses)
    for code in ERROR_CODES:
        assert responses[code]["description"]
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"

    error_schema = observed_doc["components"]["schemas"]["ErrorResponse"]
    body = {
        "error": {"message": "Invalid API key", "type": "invalid_request_error", "param": None, "code": None}
    }
    assert schema_errors(error_schema, body) == []
    assert schema_errors(error_schema, {"error": {"message": "no type"}}) != []
    assert schema_errors(error_schema, {"detail": "not the OpenAI format"}) != []


def test_bearer_security_scheme_exists(observed_doc: dict[str, Any]) -> None:
    assert observed_doc["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert observed_doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert observed_doc["security"] == [{"bearerAuth": []}]
