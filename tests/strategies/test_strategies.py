"""contract_kit.strategies: valid and coherent requests, single-rule breaks, responses and streams.

The 2,000-request property is split over the two profiles (1,000 each) so each
half stays a few seconds; every example is checked by the kit's validator and
by the coherence rules. Images are decoded with Pillow (a test extra only).
"""

from __future__ import annotations

import base64
import copy
import io
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from PIL import Image

from contract_kit import Contract, load_contract
from contract_kit.strategies import (
    INVALID_KINDS,
    InvalidCase,
    StreamCase,
    chat_requests,
    chat_responses,
    chat_streams,
    coherence_problems,
    images,
    invalid_chat_requests,
    raw_request_violations,
)
from contract_kit.strategies.mutations import SiteFinder
from contract_kit.strategies.schema import SchemaView
from contract_kit.validation import json_path

PROFILES = ("observed", "documented")
FAST = settings(database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Tests that assert something *was reached* within N examples run a fixed example
# sequence, so a reachable value that a random run happens to miss cannot flake CI.
REACH = settings(FAST, derandomize=True)
MODEL = "alibaba/qwen3-vl-32b-thinking"


def errors(violations: list[Any]) -> list[tuple[str, str]]:
    return [(v.path, v.rule) for v in violations if v.is_error]


def image_parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part
        for message in request["messages"]
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


# -- valid requests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_a_thousand_requests_per_profile_are_valid_and_coherent(profile: str) -> None:
    contract = load_contract(profile)

    @settings(FAST, max_examples=1000, phases=[Phase.generate])
    @given(chat_requests(contract))
    def valid_and_coherent(request: dict[str, Any]) -> None:
        assert errors(contract.validate_request(request)) == []
        assert coherence_problems(request) == []
        json.dumps(request, allow_nan=False)  # what a client would send

    valid_and_coherent()


@pytest.mark.parametrize(
    "options",
    [
        {"stream": True},
        {"stream": False},
        {"tools": True},
        {"tools": False},
        {"images": True},
        {"images": False},
        {"parts": True, "max_turns": 1},
    ],
)
def test_pinned_options_hold_in_every_example(options: dict[str, Any]) -> None:
    contract = load_contract("observed")

    @settings(FAST, max_examples=60)
    @given(chat_requests(contract, **options))
    def pinned(request: dict[str, Any]) -> None:
        assert errors(contract.validate_request(request)) == []
        assert coherence_problems(request) == []
        if "stream" in options:
            assert (request.get("stream") is True) is options["stream"]
            assert ("stream_options" in request) <= options["stream"]
        if "tools" in options:
            assert bool(request.get("tools")) is options["tools"]
        last_user = next(m for m in reversed(request["messages"]) if m["role"] == "user")
        if options.get("images") is True:
            assert any(part["type"] == "image_url" for part in last_user["content"])
        if options.get("images") is False:
            assert image_parts(request) == []
        if options.get("parts"):
            assert isinstance(last_user["content"], list) and last_user["content"]
            assert [m["role"] for m in request["messages"]].count("user") == 1

    pinned()


def test_the_minimal_request_is_one_user_message() -> None:
    minimal = find(
        chat_requests(load_contract("observed"), tools=False, max_turns=1),
        lambda request: True,
        settings=FAST,
    )
    assert set(minimal) == {"model", "messages"}
    assert minimal["model"] == MODEL
    assert [message["role"] for message in minimal["messages"]] == ["user"]
    assert set(minimal["messages"][0]) == {"role", "content"}


def test_tool_results_answer_the_calls_just_made_in_order() -> None:
    contract = load_contract("observed")
    answered: list[int] = []

    @settings(FAST, max_examples=200)
    @given(chat_requests(contract, tools=True))
    def answers_follow_calls(request: dict[str, Any]) -> None:
        declared = {tool["function"]["name"] for tool in request["tools"]}
        messages = request["messages"]
        for index, message in enumerate(messages):
            if message.get("tool_calls"):
                calls = message["tool_calls"]
                following = messages[index + 1 : index + 1 + len(calls)]
                assert [m["tool_call_id"] for m in following] == [call["id"] for call in calls]
                assert {call["function"]["name"] for call in calls} <= declared
                answered.append(len(calls))
        assert len({m["tool_call_id"] for m in messages if m["role"] == "tool"}) == sum(
            m["role"] == "tool" for m in messages
        )

    answers_follow_calls()
    assert max(answered) >= 2


# -- images ------------------------------------------------------------------------------------------
def decode(url: str) -> Image.Image:
    head, _, payload = url.partition(",")
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    assert image.get_format_mimetype() == head.removeprefix("data:").removesuffix(";base64")
    return image


@pytest.mark.parametrize("b64", images.JPEG_IMAGES + images.WEBP_IMAGES)
def test_embedded_jpeg_and_webp_images_decode(b64: str) -> None:
    assert decode(f"data:image/{'jpeg' if b64.startswith('/9j') else 'webp'};base64,{b64}").size[0] >= 1


@pytest.mark.parametrize("color_type", [0, 2, 6])
def test_built_png_and_gif_images_decode_with_their_size_and_colour(color_type: int) -> None:
    png = Image.open(io.BytesIO(images.png_bytes(3, 2, color_type, (200, 30, 60, 128))))
    png.load()
    assert png.size == (3, 2)
    assert png.mode == {0: "L", 2: "RGB", 6: "RGBA"}[color_type]
    gif = Image.open(io.BytesIO(images.gif_bytes((200, 30, 60))))
    assert gif.convert("RGB").getpixel((0, 0)) == (200, 30, 60)


@settings(FAST, max_examples=150)
@given(chat_requests(load_contract("observed"), images=True))
def test_every_data_uri_is_a_decodable_image_of_its_mime_type(request: dict[str, Any]) -> None:
    urls = [part["image_url"]["url"] for part in image_parts(request)]
    assert urls
    for url in urls:
        if url.startswith("data:"):
            decode(url)
        else:
            assert url.split("?")[0].rsplit(".", 1)[1] in images.IMAGE_EXTENSIONS


# -- derived from the contract -------------------------------------------------------------------------
def another_models_contract() -> Contract:
    """The bundled contract with another model, tighter bounds, another enum value and one more parameter."""
    base = load_contract("observed")
    schema = copy.deepcopy(base.request_schema)
    assert isinstance(schema, dict)
    props = schema["properties"]
    props["model"]["enum"] = ["vendor/other-model-7b"]
    props["temperature"]["maximum"] = 1.5
    user = next(b for b in props["messages"]["items"]["oneOf"] if b["properties"]["role"]["enum"] == ["user"])
    image = user["properties"]["content"]["anyOf"][1]["items"]["anyOf"][1]
    image["properties"]["image_url"]["properties"]["detail"]["enum"].append("ultra")
    props["top_k"] = {"type": "integer", "minimum": 1, "maximum": 50}
    return replace(base, request_schema=schema, _request_check=None)


def test_another_document_changes_the_requests_with_no_code_change() -> None:
    contract = another_models_contract()
    seen: dict[str, set[Any]] = {"temperature": set(), "detail": set(), "top_k": set()}

    @settings(REACH, max_examples=300)
    @given(chat_requests(contract))
    def derived(request: dict[str, Any]) -> None:
        assert errors(contract.validate_request(request)) == []
        assert request["model"] == "vendor/other-model-7b"
        for key in ("temperature", "top_k"):
            if key in request:
                seen[key].add(request[key])
        seen["detail"].update(part["image_url"].get("detail") for part in image_parts(request))

    derived()
    assert 1.5 in seen["temperature"] and max(seen["temperature"]) <= 1.5
    assert {1, 50} <= seen["top_k"]
    assert "ultra" in seen["detail"]


def test_another_documents_bounds_drive_the_invalid_cases() -> None:
    contract = another_models_contract()
    sites = SiteFinder(SchemaView(contract.request_schema)).sites(
        {"model": "vendor/other-model-7b", "messages": [{"role": "user", "content": "hi"}]}
    )
    beyond = {
        (json_path(site.expected_path), site.expected_rule): site.value
        for site in sites
        if site.kind == "out-of-range"
    }
    assert beyond[("$.top_k", "maximum")] == 51
    assert beyond[("$.top_k", "minimum")] == 0
    assert beyond[("$.temperature", "maximum")] == 2.5
    outside = [site.value for site in sites if site.path == ("model",) and site.kind == "not-in-enum"]
    assert outside and outside[0] != "vendor/other-model-7b"


# -- invalid requests ----------------------------------------------------------------------------------
def assert_exactly_its_violation(contract: Contract, case: InvalidCase) -> None:
    found = errors(raw_request_violations(contract, case.body, case.content_type))
    assert found == [(case.expected_path, case.expected_rule)], str(case)
    if case.content_type == "application/json" and case.json is not None:
        assert json.loads(case.body) == case.json
        assert errors(contract.validate_request(case.json)) == found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_invalid_case_fails_with_exactly_its_declared_violation(profile: str) -> None:
    contract = load_contract(profile)
    kinds: set[str] = set()

    @settings(REACH, max_examples=300, phases=[Phase.generate])
    @given(invalid_chat_requests(contract))
    def exactly_one(case: InvalidCase) -> None:
        kinds.add(case.kind)
        assert_exactly_its_violation(contract, case)

    exactly_one()
    assert kinds == set(INVALID_KINDS)


@pytest.mark.parametrize("kind", INVALID_KINDS)
def test_each_kind_can_be_asked_for(kind: str) -> None:
    contract = load_contract("observed")

    @settings(FAST, max_examples=25)
    @given(invalid_chat_requests(contract, kinds=[kind]))
    def of_that_kind(case: InvalidCase) -> None:
        assert case.kind == kind
        assert_exactly_its_violation(contract, case)

    of_that_kind()


def test_breaks_under_combinators_are_reported_where_the_validator_reports_them() -> None:
    contract = load_contract("observed")
    finder = SiteFinder(SchemaView(contract.request_schema))
    request = {
        "model": MODEL,
        "tool_choice": {"type": "function", "function": {"name": "get"}},
        "tools": [{"type": "function", "function": {"name": "get", "parameters": {}}}],
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]},
            {"role": "assistant", "content": "ok"},
        ],
    }
    sites = {(json_path(site.path), site.kind): site for site in finder.sites(request)}
    expectations = {
        ("$.messages[0].content[0].type", "malformed-content-part"): (
            "$.messages[0].content[0].type",
            "enum",
        ),
        ("$.messages[0].content[0].image_url", "malformed-content-part"): (
            "$.messages[0].content[0]",
            "required",
        ),
        ("$.messages[0].content", "wrong-type"): ("$.messages[0].content", "anyOf"),
        ("$.messages[0].role", "not-in-enum"): ("$.messages[0].role", "enum"),
        ("$.tool_choice.type", "not-in-enum"): ("$.tool_choice", "anyOf"),
        ("$.tool_choice", "wrong-type"): ("$.tool_choice", "anyOf"),
        ("$.response_format.type", "not-in-enum"): ("$.response_format.type", "enum"),
        ("$.messages[1].content", "wrong-role-shape"): ("$.messages[1].content[0].type", "enum"),
    }
    assert ("$.stop", "wrong-type") not in sites  # stop takes any value (its bare {"nullable": true} branch)
    for (path, kind), expected in expectations.items():
        site = sites[(path, kind)]
        part = {"type": "image_url", "image_url": {"url": "https://x/a.png"}}
        broken = site.apply(request, [part] if site.part_schema is not None else None)
        assert (json_path(site.expected_path), site.expected_rule) == expected
        assert errors(contract.validate_request(broken)) == [expected], (path, kind)


def test_role_shapes_include_closed_roles_and_foreign_parts() -> None:
    contract = load_contract("observed")
    rules = set()

    @settings(FAST, max_examples=120)
    @given(invalid_chat_requests(contract, kinds=["wrong-role-shape"]))
    def collect(case: InvalidCase) -> None:
        rules.add(case.expected_rule)

    collect()
    assert rules == {"required", "additionalProperties", "enum"}


def test_unknown_kinds_are_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown invalid-request kind.*missing-required"):
        invalid_chat_requests(load_contract("observed"), kinds=["typo"])


def test_raw_violations_check_the_media_type_then_the_json() -> None:
    contract = load_contract("observed")
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}).encode()
    assert raw_request_violations(contract, body, "application/json; charset=utf-8") == []
    assert errors(raw_request_violations(contract, body, "text/plain")) == [("$", "content-type")]
    assert errors(raw_request_violations(contract, body[:-1], "application/json")) == [("$", "json")]
    assert errors(raw_request_violations(contract, b'{"temperature": NaN}', "application/json")) == [
        ("$", "json")
    ]


# -- coherence rules can fail --------------------------------------------------------------------------
def coherent() -> dict[str, Any]:
    tool = {
        "type": "function",
        "function": {"name": "get", "parameters": {"type": "object", "properties": {}}},
    }
    return {
        "model": MODEL,
        "tools": [tool],
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda r: r.update(tool_choice={"type": "function", "function": {"name": "nope"}}),
            "undeclared tool",
        ),
        (lambda r: r["messages"][2].update(tool_call_id="c9"), "which no call opened"),
        (
            lambda r: r.pop("tools") and r.update(parallel_tool_calls=True),
            "parallel_tool_calls without tools",
        ),
        (lambda r: r.update(stream_options={"include_usage": True}), "stream_options without stream"),
        (
            lambda r: r["tools"][0]["function"].update(
                strict=True, parameters={"type": "object", "properties": {"a": {"type": "string"}}}
            ),
            "strict but",
        ),
        (lambda r: r["tools"][0]["function"].update(parameters={"type": 5}), "invalid JSON Schema"),
        (
            lambda r: r["messages"][0].update(
                content=[
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,R0lGODlhAQABAAAAACw="}}
                ]
            ),
            "no image",
        ),
        (lambda r: r["tools"].append(copy.deepcopy(r["tools"][0])), "declared twice"),
    ],
)
def test_coherence_problems_name_each_broken_rule(change: Any, problem: str) -> None:
    request = coherent()
    assert coherence_problems(request) == []
    change(request)
    assert any(problem in found for found in coherence_problems(request)), coherence_problems(request)


# -- responses and streams -----------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_responses_pass_the_response_validator(profile: str) -> None:
    contract = load_contract(profile)
    finishes: set[str] = set()

    @settings(FAST, max_examples=150)
    @given(chat_responses(contract))
    def valid(body: dict[str, Any]) -> None:
        assert errors(contract.validate_response(body)) == []
        finishes.update(choice["finish_reason"] for choice in body["choices"])

    valid()
    assert "tool_calls" in finishes and "stop" in finishes


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("hostile", [False, True])
def test_streams_validate_and_reassemble_to_their_completion(profile: str, hostile: bool) -> None:
    contract = load_contract(profile)

    @settings(FAST, max_examples=100)
    @given(chat_streams(contract, hostile=hostile))
    def valid(stream: StreamCase) -> None:
        assert b"".join(stream.reads) == stream.raw
        report = contract.validate_stream(stream.reads, request=stream.request)
        assert errors(report.violations) == []
        assert (report.content, report.reasoning, report.tool_calls) == (
            stream.content,
            stream.reasoning,
            stream.tool_calls,
        )
        assert report.usage is None or stream.request["stream_options"]["include_usage"]

    valid()


@settings(FAST, max_examples=100)
@given(chat_streams(load_contract("observed"), hostile=True, include_usage=True))
def test_hostile_reads_split_mid_line_and_mid_character_and_merge_events(stream: StreamCase) -> None:
    assert stream.reads[0].count(b"\n\n") >= 2  # several events in the first read
    ends, boundaries = set(), 0
    for read in stream.reads[:-1]:
        boundaries += len(read)
        ends.add(boundaries)
    event_ends = {i + 2 for i in range(len(stream.raw)) if stream.raw.startswith(b"\n\n", i)}
    assert ends - event_ends, "some read ends inside an event"
    if any(byte >= 0x80 for byte in stream.raw[len(stream.reads[0]) :]):
        assert any(0x80 <= stream.raw[end] < 0xC0 for end in ends), "some read ends inside a character"


def test_documented_streams_are_one_chunk_because_the_schema_allows_nothing_else() -> None:
    stream = find(
        chat_streams(load_contract("documented"), include_usage=False), lambda s: True, settings=FAST
    )
    assert len(stream.chunks) == 1
    assert stream.chunks[0]["choices"][0]["finish_reason"] is not None
    assert set(stream.chunks[0]["choices"][0]["delta"]) >= {"role", "content"}


def test_strategies_are_built_once_per_contract_and_options() -> None:
    contract = load_contract("observed")
    assert chat_requests(contract, tools=True) is chat_requests(contract, tools=True)
    assert chat_requests(contract, tools=True) is not chat_requests(contract, tools=False)
    assert isinstance(st.data(), st.SearchStrategy)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_break_a_combinator_above_absorbs_is_never_drawn(data: st.DataObject) -> None:
    """``stop``'s ``anyOf`` has a bare ``{}`` branch: ``stop: [7]`` passes, so ``stop[0]`` as an
    integer is no break, though the item schema alone says ``string``."""
    from contract_kit.strategies.invalid import InvalidBuilder

    contract = load_contract("documented")
    builder = InvalidBuilder(contract.request_schema, ("wrong-type",))
    base = {"model": contract.models[0], "messages": [{"role": "user", "content": "hi"}], "stop": ["x"]}
    assert not [v for v in contract.validate_request({**base, "stop": [7]}) if v.severity == "error"]
    site, broken = builder._draw_break(data.draw, "wrong-type", base)
    assert [v for v in contract.validate_request(broken) if v.severity == "error"], site.description
