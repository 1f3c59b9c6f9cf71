"""Request, response and chunk validation through the real contract: paths, rules, nullability."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from contract_kit import _resources, load_contract
from contract_kit.contract import Contract, assert_valid_request, assert_valid_response, assert_valid_stream
from contract_kit.errors import ContractViolationError
from contract_kit.validation import (
    SchemaCheck,
    Violation,
    encode_json_chunks,
    errors_only,
    format_violations,
    json_path,
    schema_errors_first,
    truncate,
)

EXAMPLES = _resources.examples_dir()
MODEL = "alibaba/qwen3-vl-32b-thinking"
UNDOCUMENTED_IN_EXAMPLE = {
    "$.choices[0].message.reasoning_content",
    "$.usage.prompt_tokens_details.text_tokens",
    "$.usage.completion_tokens_details.text_tokens",
    "$.system_fingerprint",
    "$.meta",
}
ALL_ROLES = ["user", "system", "tool", "assistant"]


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def documented() -> Contract:
    return load_contract("documented")


@pytest.fixture(scope="module")
def observed() -> Contract:
    return load_contract("observed")


@pytest.fixture
def response() -> dict[str, Any]:
    body: dict[str, Any] = _example("example_response.json")
    return body


def _request(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], **extra}


def _summary(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.path, v.rule) for v in violations]


# -- the page's own examples --------------------------------------------------------
def test_example_response_under_documented_has_exactly_the_undocumented_fields_as_info(
    documented: Contract, response: dict[str, Any]
) -> None:
    found = documented.validate_response(response)
    assert errors_only(found) == []
    assert {v.path for v in found} == UNDOCUMENTED_IN_EXAMPLE
    assert len(found) == len(UNDOCUMENTED_IN_EXAMPLE)
    for violation in found:
        assert (violation.rule, violation.kind, violation.severity, violation.where) == (
            "undocumented",
            "undocumented",
            "info",
            "response",
        )
        assert violation.message.startswith("field ")
    meta = next(v for v in found if v.path == "$.meta")
    assert meta.observed == {"usage": {"tokens_used": 10383}}


def test_example_response_is_clean_under_observed(observed: Contract, response: dict[str, Any]) -> None:
    assert observed.validate_response(response) == []


def test_example_response_bytes_give_the_same_findings(
    documented: Contract, response: dict[str, Any]
) -> None:
    raw = (EXAMPLES / "example_response.json").read_bytes()
    assert documented.validate_response_bytes(raw) == documented.validate_response(response)


def test_python_sample_misses_role(observed: Contract, documented: Contract) -> None:
    body = _example("python_request.json")
    for contract in (observed, documented):
        found = contract.validate_request(body)
        assert len(found) == 1
        violation = found[0]
        assert (violation.path, violation.rule, violation.where, violation.kind) == (
            "$.messages[0]",
            "required",
            "request",
            "schema",
        )
        assert "'role'" in violation.message
        assert "role" in violation.expected
        assert violation.observed == body["messages"][0]


def test_javascript_sample_passes(observed: Contract, documented: Contract) -> None:
    body = _example("javascript_request.json")
    assert observed.validate_request(body) == []
    assert documented.validate_request(body) == []


# -- detailed response violations -----------------------------------------------------
def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        node: Any = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(key)


RESPONSE_CASES = [
    (
        "role-type",
        _set(["choices", 0, "message", "role"], 5),
        "$.choices[0].message.role",
        "type",
        "string",
        5,
    ),
    (
        "finish-enum",
        _set(["choices", 0, "finish_reason"], "bogus"),
        "$.choices[0].finish_reason",
        "enum",
        ["stop", "length", "content_filter", "tool_calls"],
        "bogus",
    ),
    (
        "object-enum",
        _set(["object"], "chat.completion.chunk"),
        "$.object",
        "enum",
        ["chat.completion"],
        "chat.completion.chunk",
    ),
    ("total-type", _set(["usage", "total_tokens"], "1260"), "$.usage.total_tokens", "type", "number", "1260"),
    ("choices-type", _set(["choices"], {}), "$.choices", "type", "array", {}),
    (
        "id-required",
        _delete("id"),
        "$",
        "required",
        ["id", "object", "created", "choices", "model", "usage"],
        None,
    ),
    (
        "usage-required",
        _set(["usage"], {"prompt_tokens": 1, "completion_tokens": 1}),
        "$.usage",
        "required",
        ["prompt_tokens", "completion_tokens", "total_tokens"],
        {"prompt_tokens": 1, "completion_tokens": 1},
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "rule", "expected", "observed_value"),
    [case[1:] for case in RESPONSE_CASES],
    ids=[case[0] for case in RESPONSE_CASES],
)
@pytest.mark.parametrize("profile", ["documented", "observed"])
def test_invalid_response_gets_a_detailed_violation(
    profile: str,
    response: dict[str, Any],
    mutate: Callable[[dict[str, Any]], None],
    path: str,
    rule: str,
    expected: Any,
    observed_value: Any,
) -> None:
    contract = load_contract(profile)
    mutate(response)
    errors = errors_only(contract.validate_response(response))
    assert len(errors) == 1, errors
    violation = errors[0]
    assert (violation.path, violation.rule, violation.kind, violation.where) == (
        path,
        rule,
        "schema",
        "response",
    )
    assert violation.expected == expected
    if observed_value is not None:
        assert violation.observed == observed_value
    else:
        assert isinstance(violation.observed, dict)
    assert violation.message


def test_null_content_is_a_type_error_only_under_documented(
    documented: Contract, observed: Contract, response: dict[str, Any]
) -> None:
    message = response["choices"][0]["message"]
    message["content"] = None
    message["tool_calls"] = [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    response["choices"][0]["finish_reason"] = "tool_calls"
    documented_errors = errors_only(documented.validate_response(response))
    assert [(v.path, v.rule, v.expected, v.observed) for v in documented_errors] == [
        ("$.choices[0].message.content", "type", "string", None)
    ]
    assert observed.validate_response(response) == []


def test_nullable_fields_accept_null(observed: Contract, response: dict[str, Any]) -> None:
    message = response["choices"][0]["message"]
    message["refusal"] = None
    message["audio"] = None
    message["annotations"] = None
    message["tool_calls"] = None
    response["usage"]["prompt_tokens_details"] = None
    response["choices"][0]["logprobs"] = None
    assert observed.validate_response(response) == []


def test_observed_declares_types_for_the_new_fields(observed: Contract, response: dict[str, Any]) -> None:
    response["system_fingerprint"] = 3
    response["meta"]["usage"]["tokens_used"] = "many"
    found = observed.validate_response(response)
    assert [(v.path, v.rule, v.expected) for v in found] == [
        ("$.meta.usage.tokens_used", "type", "integer"),
        ("$.system_fingerprint", "type", ["string", "null"]),
    ] or [(v.path, v.rule, v.expected) for v in found] == [
        ("$.system_fingerprint", "type", ["string", "null"]),
        ("$.meta.usage.tokens_used", "type", "integer"),
    ]


def test_tool_call_branch_is_named(observed: Contract, response: dict[str, Any]) -> None:
    message = response["choices"][0]["message"]
    response["choices"][0]["finish_reason"] = "tool_calls"
    message["tool_calls"] = [{"id": "c1", "type": "function", "function": {"name": "f"}}]
    found = observed.validate_response(response)
    assert [(v.path, v.rule, v.expected) for v in found] == [
        ("$.choices[0].message.tool_calls[0].function", "required", ["arguments", "name"])
    ]
    message["tool_calls"] = [{"id": "c1", "type": "custom", "custom": {"name": "f"}}]
    found = observed.validate_response(response)
    assert [(v.path, v.rule, v.expected) for v in found] == [
        ("$.choices[0].message.tool_calls[0].custom", "required", ["input", "name"])
    ]


def test_tool_call_of_unknown_type_lists_every_allowed_type(
    observed: Contract, response: dict[str, Any]
) -> None:
    response["choices"][0]["finish_reason"] = "tool_calls"
    response["choices"][0]["message"]["tool_calls"] = [
        {"id": "c1", "type": "webhook", "function": {"name": "f", "arguments": "{}"}}
    ]
    found = observed.validate_response(response)
    assert [(v.path, v.rule, v.observed) for v in found] == [
        ("$.choices[0].message.tool_calls[0].type", "enum", "webhook")
    ]
    assert sorted(found[0].expected) == ["custom", "function"]


def test_undocumented_field_inside_an_array_and_a_branch(
    documented: Contract, response: dict[str, Any]
) -> None:
    response["choices"][0]["finish_reason"] = "tool_calls"
    response["choices"][0]["message"]["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}", "x_extra": 1}}
    ]
    response["choices"][0]["provider"] = "p"
    paths = {v.path for v in documented.validate_response(response) if v.kind == "undocumented"}
    assert paths == UNDOCUMENTED_IN_EXAMPLE | {
        "$.choices[0].message.tool_calls[0].function.x_extra",
        "$.choices[0].provider",
    }


# -- detailed request violations ----------------------------------------------------
REQUEST_CASES = [
    ("temperature-max", {"temperature": 3}, "$.temperature", "maximum", 2, 3),
    ("temperature-type", {"temperature": "hot"}, "$.temperature", "type", "number", "hot"),
    ("max-tokens-min", {"max_tokens": 0}, "$.max_tokens", "minimum", 1, 0),
    ("model-enum", {"model": "gpt-4o"}, "$.model", "enum", [MODEL], "gpt-4o"),
    ("stream-type", {"stream": "yes"}, "$.stream", "type", "boolean", "yes"),
    (
        "stream-options-required",
        {"stream_options": {}},
        "$.stream_options",
        "required",
        ["include_usage"],
        {},
    ),
    (
        "tool-choice",
        {"tool_choice": "sometimes"},
        "$.tool_choice",
        "enum",
        ["none", "auto", "required"],
        "sometimes",
    ),
    ("seed-type", {"seed": 1.5}, "$.seed", "type", "integer", 1.5),
]


@pytest.mark.parametrize(
    ("extra", "path", "rule", "expected", "observed_value"),
    [case[1:] for case in REQUEST_CASES],
    ids=[case[0] for case in REQUEST_CASES],
)
def test_invalid_request_gets_a_detailed_violation(
    observed: Contract, extra: dict[str, Any], path: str, rule: str, expected: Any, observed_value: Any
) -> None:
    found = observed.validate_request(_request(**extra))
    assert [(v.path, v.rule, v.expected, v.observed, v.where) for v in found] == [
        (path, rule, expected, observed_value, "request")
    ]


MESSAGE_CASES = [
    ("user-content-type", {"role": "user", "content": 5}, "$.messages[0].content", None),
    ("user-missing-content", {"role": "user"}, "$.messages[0]", "required"),
    (
        "system-extra-key",
        {"role": "system", "content": "x", "extra": 1},
        "$.messages[0]",
        "additionalProperties",
    ),
    ("tool-missing-id", {"role": "tool", "content": "x"}, "$.messages[0]", "required"),
    (
        "assistant-tool-call",
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]},
        "$.messages[0].tool_calls[0]",
        "required",
    ),
    (
        "image-without-url",
        {"role": "user", "content": [{"type": "image_url", "image_url": {}}]},
        "$.messages[0].content[0].image_url",
        "required",
    ),
    (
        "text-part-type",
        {"role": "system", "content": [{"type": "text", "text": 3}]},
        "$.messages[0].content[0].text",
        "type",
    ),
]


@pytest.mark.parametrize(
    ("message", "path", "rule"), [case[1:] for case in MESSAGE_CASES], ids=[case[0] for case in MESSAGE_CASES]
)
def test_message_error_names_the_intended_branch(
    observed: Contract, message: dict[str, Any], path: str, rule: str | None
) -> None:
    found = observed.validate_request(_request(messages=[message]))
    assert len(found) == 1, found
    violation = found[0]
    assert violation.path == path
    if rule is not None:
        assert violation.rule == rule
    # the branch meant by the role is the one reported, never a sibling's rule
    other_roles = set(ALL_ROLES) - {message["role"]}
    assert not any(f"'{role}'" in violation.message for role in other_roles)


def test_user_message_with_numeric_content(observed: Contract) -> None:
    found = observed.validate_request(_request(messages=[{"role": "user", "content": 5}]))
    assert [(v.path, v.observed) for v in found] == [("$.messages[0].content", 5)]
    assert "tool_call_id" not in found[0].message


def test_missing_required_names_the_field(observed: Contract) -> None:
    found = observed.validate_request(_request(messages=[{"role": "tool", "content": "x"}]))
    assert "'tool_call_id'" in found[0].message
    assert found[0].expected == ["role", "content", "tool_call_id"]


def test_unknown_role_lists_every_role(observed: Contract) -> None:
    found = observed.validate_request(_request(messages=[{"role": "robot", "content": "x"}]))
    assert [(v.path, v.rule, v.observed) for v in found] == [("$.messages[0].role", "enum", "robot")]
    assert sorted(found[0].expected) == sorted(ALL_ROLES)


def test_second_message_path(observed: Contract) -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": ["not a part"]}]
    found = observed.validate_request(_request(messages=messages))
    assert found and all(v.path.startswith("$.messages[1]") for v in found)


def test_several_errors_are_all_reported(observed: Contract) -> None:
    found = observed.validate_request({"model": "x", "messages": "hi", "temperature": -1})
    assert {(v.path, v.rule) for v in found} == {
        ("$.model", "enum"),
        ("$.messages", "type"),
        ("$.temperature", "minimum"),
    }


def test_request_must_be_an_object(observed: Contract) -> None:
    found = observed.validate_request(["not", "an", "object"])
    assert _summary(found) == [("$", "type")]


# -- the three bare {nullable: true} places, through the real contract -----------------
@pytest.mark.parametrize("profile", ["documented", "observed"])
@pytest.mark.parametrize("stop", [None, "END", ["a", "b"]])
def test_stop_accepts_null_string_and_list(profile: str, stop: Any) -> None:
    assert load_contract(profile).validate_request(_request(stop=stop)) == []


@pytest.mark.parametrize("profile", ["documented", "observed"])
@pytest.mark.parametrize("stop", [5, {}, {"a": 1}, True, ["a", 1]])
def test_stop_accepts_any_value_by_its_bare_nullable_branch(profile: str, stop: Any) -> None:
    """OAS 3.0.3: nullable widens only a ``type``; the branch has none, so it takes any value (oas30 rule 3a)."""
    assert load_contract(profile).validate_request(_request(stop=stop)) == []


def test_stop_third_form_is_converted_to_any_value(observed: Contract) -> None:
    branches = observed.request_schema["properties"]["stop"]["anyOf"]  # type: ignore[index]
    assert [b.get("type") for b in branches] == ["string", "array", None]
    assert branches[2] == {}


def _tool(parameters: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "lookup", "parameters": parameters}}


FREE_FORM_VALUES: list[Any] = [
    {},
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {"a": None},
    {"a": None, "b": 1, "c": "s", "d": [1, None], "e": {"f": None}, "g": True, "h": 1.5},
]


@pytest.mark.parametrize("profile", ["documented", "observed"])
@pytest.mark.parametrize("parameters", FREE_FORM_VALUES)
def test_function_parameters_accept_any_value_including_null(profile: str, parameters: Any) -> None:
    assert load_contract(profile).validate_request(_request(tools=[_tool(parameters)])) == []


@pytest.mark.parametrize("profile", ["documented", "observed"])
@pytest.mark.parametrize("schema", FREE_FORM_VALUES)
def test_json_schema_schema_accepts_any_value_including_null(profile: str, schema: Any) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    assert load_contract(profile).validate_request(_request(response_format=response_format)) == []


@pytest.mark.parametrize("value", [None, "schema", [1]])
def test_free_form_objects_themselves_must_be_objects(observed: Contract, value: Any) -> None:
    found = observed.validate_request(_request(tools=[_tool(value)]))
    assert _summary(found) == [("$.tools[0].function.parameters", "type")]
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": value}}
    found = observed.validate_request(_request(response_format=response_format))
    assert _summary(found) == [("$.response_format.json_schema.schema", "type")]


def test_free_form_additional_properties_are_true(observed: Contract) -> None:
    schema: Any = observed.request_schema
    function = schema["properties"]["tools"]["items"]["properties"]["function"]["properties"]
    assert function["parameters"]["additionalProperties"] is True
    json_schema_branch = next(
        b
        for b in schema["properties"]["response_format"]["oneOf"]
        if b["properties"]["type"]["enum"] == ["json_schema"]
    )
    assert (
        json_schema_branch["properties"]["json_schema"]["properties"]["schema"]["additionalProperties"]
        is True
    )


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ({"frequency_penalty": None}, True),
        ({"presence_penalty": None}, True),
        ({"frequency_penalty": 3}, False),
        ({"messages": [{"role": "tool", "content": "r", "tool_call_id": "c", "name": None}]}, True),
        ({"messages": [{"role": "assistant", "content": "x", "refusal": None}]}, True),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}, "strict": None}}]},
            True,
        ),
        ({"messages": [{"role": "user", "content": None}]}, False),
    ],
)
def test_other_nullable_forms(observed: Contract, extra: dict[str, Any], ok: bool) -> None:
    assert (observed.validate_request(_request(**extra)) == []) is ok


# -- raw bytes, statuses, content types ---------------------------------------------
@pytest.mark.parametrize("raw", [b"{nope", b"", b"\xff\xfe", b'{"id": "x"', b"[1,]"])
def test_unparsable_bytes_are_a_framing_violation(observed: Contract, raw: bytes) -> None:
    found = observed.validate_response_bytes(raw)
    assert len(found) == 1
    violation = found[0]
    assert (violation.path, violation.rule, violation.kind, violation.severity, violation.where) == (
        "$",
        "json",
        "framing",
        "error",
        "response",
    )
    assert "not valid JSON" in violation.message


def test_valid_bytes_of_an_invalid_body(observed: Contract) -> None:
    found = observed.validate_response_bytes(b'{"error": {"message": "m", "type": "t"}}', 200)
    assert ("$", "required") in _summary(found)


def test_undocumented_status(documented: Contract, observed: Contract) -> None:
    found = documented.validate_response({"error": {"message": "m", "type": "t"}}, 500)
    assert len(found) == 1
    violation = found[0]
    assert (violation.rule, violation.kind, violation.severity, violation.path, violation.where) == (
        "status",
        "status",
        "error",
        "$",
        "response",
    )
    assert (violation.expected, violation.observed) == (["200"], 500)
    assert "500" in violation.message and "200" in violation.message
    assert _summary(observed.validate_response({}, 302)) == [("$", "status")]
    assert observed.validate_response({"error": {"message": "m", "type": "t"}}, 500) == []


def test_undocumented_content_type(observed: Contract, response: dict[str, Any]) -> None:
    found = observed.validate_response(response, 200, "text/html; charset=utf-8")
    assert len(found) == 1
    violation = found[0]
    assert (violation.rule, violation.kind, violation.where) == ("content-type", "content-type", "response")
    assert violation.expected == ["application/json", "text/event-stream"]
    assert violation.observed == "text/html; charset=utf-8"
    assert observed.validate_response(response, 200, "application/json; charset=utf-8") == []
    found = observed.validate_response({"error": {"message": "m", "type": "t"}}, 401, "text/plain")
    assert [(v.rule, v.expected) for v in found] == [("content-type", ["application/json"])]


def test_semantic_checks_apply_to_success_responses_only(
    observed: Contract, response: dict[str, Any]
) -> None:
    response["usage"]["total_tokens"] = 1
    assert [(v.kind, v.rule) for v in observed.validate_response(response)] == [("semantic", "usage-total")]


# -- chunks --------------------------------------------------------------------------
CHUNK: dict[str, Any] = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
}


def test_validate_chunk(observed: Contract, documented: Contract) -> None:
    assert observed.validate_chunk(CHUNK) == []
    bad = copy.deepcopy(CHUNK)
    bad["choices"][0]["delta"]["role"] = "robot"
    found = observed.validate_chunk(bad, 3)
    assert [(v.path, v.rule, v.where) for v in found] == [("$.choices[0].delta.role", "enum", "chunk 3")]
    documented_found = {(v.path, v.rule) for v in documented.validate_chunk(CHUNK)}
    assert documented_found == {
        ("$.choices[0].finish_reason", "type"),
        ("$.choices[0].finish_reason", "enum"),
        ("$.choices[0].delta", "required"),
    }


def test_nullable_enum_in_chunk(observed: Contract) -> None:
    assert observed.validate_chunk({**CHUNK, "service_tier": None}) == []
    found = observed.validate_chunk({**CHUNK, "service_tier": "gold"})
    assert _summary(found) == [("$.service_tier", "enum")]
    assert None in found[0].expected


# -- assertion helpers -------------------------------------------------------------------
def test_assert_valid_request_fails_with_a_readable_list(observed: Contract) -> None:
    with pytest.raises(ContractViolationError) as info:
        assert_valid_request(_example("python_request.json"), observed)
    assert isinstance(info.value, AssertionError)
    assert "[request] $.messages[0]: 'role' is a required property (rule: required)" in str(info.value)
    assert "'observed'" in str(info.value)
    assert [v.path for v in info.value.violations] == ["$.messages[0]"]
    assert_valid_request(_example("javascript_request.json"), observed)


def test_assert_valid_response_ignores_info_findings(documented: Contract, response: dict[str, Any]) -> None:
    assert_valid_response(response, documented)
    assert_valid_response(response)  # the default (observed) contract
    response["choices"][0]["message"]["role"] = 1
    with pytest.raises(ContractViolationError) as info:
        assert_valid_response(response, documented)
    text = str(info.value)
    assert "$.choices[0].message.role" in text
    assert "info: [response] $.meta" in text


def test_assert_valid_stream_returns_the_report(observed: Contract) -> None:
    final = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    report = assert_valid_stream(b"".join(encode_json_chunks([CHUNK, final])), observed)
    assert report.content == "Hi"
    with pytest.raises(ContractViolationError, match="did not end with data: \\[DONE\\]"):
        assert_valid_stream(b"".join(encode_json_chunks([CHUNK, final], done=False)), observed)


def test_contract_assertion_methods(observed: Contract, response: dict[str, Any]) -> None:
    observed.assert_request(_example("javascript_request.json"))
    observed.assert_response(response)
    with pytest.raises(ContractViolationError, match=r"\$\.messages\[0\]"):
        observed.assert_request(_example("python_request.json"))
    with pytest.raises(ContractViolationError, match="status 302 is not documented"):
        observed.assert_response(response, status=302)
    final = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    assert observed.assert_stream(b"".join(encode_json_chunks([CHUNK, final]))).content == "Hi"


# -- violations and SchemaCheck units -------------------------------------------------------
def test_violation_rendering() -> None:
    info = Violation(
        "$.meta",
        "undocumented",
        "field 'meta' is not declared",
        "response",
        kind="undocumented",
        severity="info",
    )
    error = Violation("$.a", "type", "1 is not of type 'string'", "chunk 2", "string", 1)
    assert error.format() == "[chunk 2] $.a: 1 is not of type 'string' (rule: type)"
    assert info.format().startswith("info: [response] $.meta")
    assert errors_only([info, error]) == [error]
    assert schema_errors_first([info, error]) == [error, info]
    assert format_violations([]) == "  (none)"
    assert format_violations([error]) == "  - " + error.format()
    data = Violation("$", "r", "m", observed="x" * 500, expected=list(range(100))).to_dict()
    assert len(data["observed"]) == 120 and data["observed"].endswith("…")
    assert isinstance(data["expected"], str) and len(data["expected"]) == 120
    assert "extra" not in data
    assert truncate(None) is None and truncate(5) == 5 and truncate({"a": 1}) == {"a": 1}


def test_json_path_rendering() -> None:
    assert json_path([]) == "$"
    assert json_path(["choices", 0, "message", "role"]) == "$.choices[0].message.role"
    assert json_path(["paths", "/v1/chat/completions", "post"]) == '$.paths["/v1/chat/completions"].post'
    assert json_path(["responses", "200"]) == '$.responses["200"]'


def test_schema_check_on_a_plain_schema() -> None:
    check = SchemaCheck({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})
    assert check.is_valid({"a": 1})
    assert check.violations({"a": 1}, "response") == []
    assert _summary(check.violations({"a": "x"}, "response")) == [("$.a", "type")]
    assert [v.path for v in check.undocumented({"a": 1, "b": 2}, "response")] == ["$.b"]
    assert check.undocumented({"a": 1}, "response") == []
    closed = SchemaCheck({"type": "object", "properties": {"a": {}}, "additionalProperties": False})
    assert closed.undocumented({"b": 1}, "response") == []
    assert _summary(closed.violations({"b": 1}, "response")) == [("$", "additionalProperties")]
