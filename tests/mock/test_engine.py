"""The pure engine: determinism, realistic text, every request knob, and both wire shapes.

The last section is the property that matters most to users: every response
and stream the engine renders passes the contract of its own profile.
"""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.errors import InstanceError
from contract_kit.mock.content import count_tokens, cut_at_stop, split_on_tokens, truncate_tokens
from contract_kit.mock.engine import (
    EngineOptions,
    EngineRequestError,
    complete,
    render_chunks,
    render_json,
)
from contract_kit.mock.engine import (
    GeneratedCompletion as Completion,
)
from contract_kit.mock.instances import generate_instance
from contract_kit.mock.scenarios import refusal, reply, tool_call
from contract_kit.validation import REQUEST_RULES, encode_json_chunks

MODEL = "alibaba/qwen3-vl-32b-thinking"
PROFILES = ("observed", "documented")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 14},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
SEARCH: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["query"],
        },
    },
}
NOTE: dict[str, Any] = {"type": "function", "function": {"name": "take_note", "parameters": {}}}
IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def chat(text: str = "Tell me about volcanoes and their eruptions", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def run(request: dict[str, Any], profile: str = "observed", **options: Any) -> Completion:
    return complete(request, EngineOptions(profile=profile, **options))


def body_of(request: dict[str, Any], profile: str = "observed", **options: Any) -> dict[str, Any]:
    opts = EngineOptions(profile=profile, **options)
    return render_json(complete(request, opts), request, opts)


def chunks_of(request: dict[str, Any], profile: str = "observed", **options: Any) -> list[dict[str, Any]]:
    opts = EngineOptions(profile=profile, **options)
    return render_chunks(complete(request, opts), request, opts)


# --- determinism and realistic text -----------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_same_request_and_seed_give_identical_output(profile: str) -> None:
    request = chat(tools=[WEATHER, SEARCH])
    assert run(request, profile) == run(request, profile)
    assert body_of(request, profile) == body_of(request, profile)
    assert chunks_of(request, profile) == chunks_of(request, profile)


def test_different_seeds_and_requests_differ() -> None:
    base = run(chat())
    assert run(chat(), seed=1).content != base.content
    assert run(chat(seed=7)).content != run(chat(seed=8)).content
    assert run(chat("What about glaciers?")).content != base.content
    assert run(chat(seed=5)).id != run(chat(seed=6)).id


def test_stream_flag_does_not_change_the_completion() -> None:
    assert run(chat()) == run(chat(stream=True, stream_options={"include_usage": True}))


def test_created_comes_from_the_clock_and_ids_look_real() -> None:
    completion = run(chat(), clock=lambda: 1_700_000_000)
    assert completion.created == 1_700_000_000
    assert completion.id.startswith("chatcmpl-") and len(completion.id.split("-")) == 6


def test_text_is_varied_plausible_and_never_a_placeholder() -> None:
    contents = [run(chat(), seed=seed).content for seed in range(20)]
    assert len(set(contents)) == 20
    assert len({count_tokens(text) for text in contents}) > 5
    for text in contents:
        assert text.strip() not in ("", "string") and "string" not in text.split()
        assert text[0].isupper() and " " in text
    assert sum("volcanoes" in text or "eruptions" in text for text in contents) >= 15


def test_reasoning_is_observed_only() -> None:
    assert run(chat(), "observed").reasoning.startswith("Okay, the user is asking about")
    assert run(chat(), "documented").reasoning == ""


# --- token bounds and stop --------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("bound", [1, 3, 20, 60, 400])
def test_max_tokens_bounds_the_completion(profile: str, bound: int) -> None:
    for key in ("max_tokens", "max_completion_tokens"):
        limit: dict[str, Any] = {key: bound}
        completion = run(chat(**limit), profile)
        assert completion.usage.completion_tokens <= bound
        unbounded = run(chat(), profile)
        assert unbounded.reasoning.startswith(completion.reasoning)
        assert unbounded.content.startswith(completion.content)
        if unbounded.usage.completion_tokens > bound:
            assert completion.finish_reason == "length"
        else:
            assert completion == unbounded


def test_float_max_tokens_is_floored_and_the_smaller_bound_wins() -> None:
    assert run(chat(max_tokens=7.9)).usage.completion_tokens == 7
    assert run(chat(max_tokens=50, max_completion_tokens=9)).usage.completion_tokens == 9


def test_a_thinking_model_spends_its_budget_on_reasoning_first() -> None:
    completion = run(chat(max_tokens=5), "observed")
    assert completion.content == "" and completion.finish_reason == "length"
    assert completion.usage.reasoning_tokens == 5 and completion.reasoning.startswith("Okay")


COMMON = st.sampled_from(["the", " ", ".", "e", ",", "\n", "is", "about", "Okay", "a", "-", "**"])
STOPS = st.lists(st.one_of(COMMON, st.text(min_size=1, max_size=4)), min_size=1, max_size=4)


@FAST
@given(stops=STOPS, seed=st.integers(0, 50), as_string=st.booleans())
def test_stop_strings_never_appear_and_cut_where_they_occur(
    stops: list[str], seed: int, as_string: bool
) -> None:
    stop: str | list[str] = stops[0] if as_string else stops
    used = [stop] if isinstance(stop, str) else stop
    free = run(chat(), seed=seed)
    stopped = run(chat(stop=stop), seed=seed)
    assert not any(s in stopped.content for s in used)
    assert free.content.startswith(stopped.content)
    assert stopped.finish_reason == "stop"
    if any(s in free.content for s in used):
        assert len(stopped.content) < len(free.content)


def test_a_common_word_as_stop_cuts_the_text() -> None:
    free, stopped = run(chat()), run(chat(stop=["the"]))
    assert "the" in free.content and "the" not in stopped.content
    assert free.content.startswith(stopped.content) and len(stopped.content) < len(free.content)


def test_token_helpers_agree() -> None:
    text = run(chat()).content
    for limit in (0, 1, 7, 30):
        cut = truncate_tokens(text, limit)
        assert count_tokens(cut) == min(limit, count_tokens(text)) and text.startswith(cut)
    assert "".join(split_on_tokens(text, random.Random(1))) == text
    assert cut_at_stop("abc.def", ["", "."]) == ("abc", True)


# --- tools ------------------------------------------------------------------------------------


def test_required_tool_choice_always_calls_declared_tools_with_valid_arguments() -> None:
    schemas = {tool["function"]["name"]: tool["function"]["parameters"] for tool in (WEATHER, SEARCH, NOTE)}
    counts = set()
    for seed in range(30):
        completion = run(chat(tools=[WEATHER, SEARCH, NOTE], tool_choice="required"), seed=seed)
        assert completion.finish_reason == "tool_calls" and completion.content == ""
        counts.add(len(completion.tool_calls))
        assert len({call.name for call in completion.tool_calls}) == len(completion.tool_calls)
        for call in completion.tool_calls:
            assert call.id.startswith("call_")
            arguments = json.loads(call.arguments)
            assert isinstance(arguments, dict)
            jsonschema.validate(arguments, {"type": "object", **schemas[call.name]})
            assert call.arguments == json.dumps(arguments, separators=(",", ":"))
    assert 1 in counts and max(counts) > 1 and max(counts) <= 3


def test_named_tool_choice_calls_exactly_that_function() -> None:
    choice = {"type": "function", "function": {"name": "search"}}
    for seed in range(10):
        completion = run(chat(tools=[WEATHER, SEARCH], tool_choice=choice), seed=seed)
        assert [call.name for call in completion.tool_calls] == ["search"]


def test_no_parallel_calls_means_one_call() -> None:
    for seed in range(15):
        request = chat(tools=[WEATHER, SEARCH], tool_choice="required", parallel_tool_calls=False)
        assert len(run(request, seed=seed).tool_calls) == 1


def test_auto_lets_the_seed_choose_and_none_forbids_calls() -> None:
    auto = [bool(run(chat(tools=[WEATHER]), seed=seed).tool_calls) for seed in range(30)]
    assert any(auto) and not all(auto)
    assert not any(run(chat(tools=[WEATHER], tool_choice="none"), seed=seed).tool_calls for seed in range(15))


@pytest.mark.parametrize(
    "request_extra",
    [
        {"tool_choice": "required"},
        {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"tools": [SEARCH], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    ],
)
def test_impossible_tool_choices_are_request_errors(request_extra: dict[str, Any]) -> None:
    with pytest.raises(EngineRequestError) as caught:
        run(chat(**request_extra))
    assert caught.value.param == "tool_choice"


def test_tool_calls_that_do_not_fit_end_with_length_and_no_calls() -> None:
    completion = run(chat(tools=[WEATHER], tool_choice="required", max_tokens=2), "documented")
    assert completion.tool_calls == () and completion.finish_reason == "length"
    assert completion.usage.completion_tokens <= 2


# --- JSON Schema instances --------------------------------------------------------------------

SIMPLE_PATTERNS = [
    r"^[a-z]{2,6}$",
    r"^\d{3}-\d{4}$",
    r"^(red|green|blue)$",
    r"^[A-Z][a-z]+_[0-9]?$",
    r"id-\w+",
]


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    lengths = st.tuples(st.integers(0, 5), st.integers(0, 10)).map(
        lambda t: {"minLength": t[0], "maxLength": t[0] + t[1]}
    )
    strings = st.one_of(
        st.just({"type": "string"}),
        lengths.map(lambda extra: {"type": "string", **extra}),
        st.sampled_from(SIMPLE_PATTERNS).map(lambda p: {"type": "string", "pattern": p}),
        st.sampled_from(["date", "date-time", "email", "uri", "uuid"]).map(
            lambda f: {"type": "string", "format": f}
        ),
    )
    integers = st.tuples(st.integers(-50, 50), st.integers(0, 40), st.integers(1, 5)).map(
        lambda t: {"type": "integer", "minimum": t[0], "maximum": t[0] + t[1] + t[2], "multipleOf": t[2]}
    )
    numbers = st.tuples(st.floats(-100, 100), st.floats(0.5, 50)).map(
        lambda t: {"type": "number", "exclusiveMinimum": t[0], "maximum": t[0] + t[1]}
    )
    return st.one_of(
        strings,
        integers,
        numbers,
        st.just({"type": "boolean"}),
        st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True).map(lambda xs: {"enum": xs}),
        st.integers().map(lambda x: {"const": x}),
        st.sampled_from(["string", "integer", "boolean"]).map(lambda t: {"type": [t, "null"]}),
    )


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
    objects = st.dictionaries(names, children, min_size=1, max_size=4).flatmap(
        lambda props: st.tuples(st.just(props), st.sets(st.sampled_from(sorted(props))), st.booleans()).map(
            lambda t: {
                "type": "object",
                "properties": t[0],
                "required": sorted(t[1]),
                "additionalProperties": t[2],
            }
        )
    )
    arrays = st.tuples(children, st.integers(0, 2), st.integers(0, 3)).map(
        lambda t: {"type": "array", "items": t[0], "minItems": t[1], "maxItems": t[1] + t[2]}
    )
    any_of = st.lists(children, min_size=2, max_size=3).map(lambda xs: {"anyOf": xs})
    one_of = st.tuples(children, children).map(
        lambda t: {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"a": t[0]},
                    "required": ["a"],
                    "additionalProperties": False,
                },
                {"type": "array", "items": t[1]},
            ]
        }
    )
    return st.one_of(objects, arrays, any_of, one_of)


PARAMETER_SCHEMAS = st.recursive(_leaf(), _extend, max_leaves=8).map(
    lambda schema: (
        schema
        if schema.get("type") == "object"
        else {"type": "object", "properties": {"value": schema}, "required": ["value"]}
    )
)


@FAST
@given(schema=PARAMETER_SCHEMAS, seed=st.integers(0, 2**32))
def test_generated_arguments_validate_against_the_parameters_schema(
    schema: dict[str, Any], seed: int
) -> None:
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for minimal in (False, True):
        value = generate_instance(schema, random.Random(seed), minimal=minimal, strict=True)
        assert validator.is_valid(value), list(validator.iter_errors(value))
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    call = run(chat(tools=[tool], tool_choice="required", seed=seed % 1000 + 1)).tool_calls[0]
    assert validator.is_valid(json.loads(call.arguments))


def test_refs_all_of_and_nullable_types_are_supported() -> None:
    schema = {
        "type": "object",
        "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
        "properties": {
            "where": {"$ref": "#/$defs/point"},
            "both": {
                "allOf": [
                    {"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                    {"properties": {"b": {"const": "B"}}, "required": ["b"]},
                ]
            },
            "maybe": {"type": ["string", "null"]},
        },
        "required": ["where", "both", "maybe"],
    }
    values = [generate_instance(schema, random.Random(seed), strict=True) for seed in range(20)]
    assert all(v["both"]["b"] == "B" and "x" in v["where"] for v in values)
    assert {type(v["maybe"]) for v in values} == {str, type(None)}


def test_unsatisfiable_schemas_raise_only_when_strict() -> None:
    schema = {"type": "string", "pattern": "(?=x)y"}
    with pytest.raises(InstanceError, match="no value satisfies"):
        generate_instance(schema, random.Random(0), strict=True)
    assert isinstance(generate_instance(schema, random.Random(0)), str)


# --- response_format --------------------------------------------------------------------------

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "emails": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1},
    },
    "required": ["name", "age", "emails"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("profile", PROFILES)
def test_json_object_and_json_schema_content_is_valid_json(profile: str) -> None:
    for seed in range(10):
        as_object = run(chat(response_format={"type": "json_object"}), profile, seed=seed)
        assert isinstance(json.loads(as_object.content), dict)
        fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}}
        as_schema = run(chat(response_format=fmt), profile, seed=seed)
        jsonschema.validate(json.loads(as_schema.content), PERSON)


def test_json_shrinks_to_fit_and_is_cut_past_that() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}}
    smallest = run(chat(response_format=fmt, max_tokens=60), "documented")
    jsonschema.validate(json.loads(smallest.content), PERSON)
    cut = run(chat(response_format=fmt, max_tokens=4), "documented")
    assert cut.finish_reason == "length" and count_tokens(cut.content) == 4


# --- images and usage -------------------------------------------------------------------------


def _vision(detail: str | None, url: str = IMAGE) -> dict[str, Any]:
    image: dict[str, Any] = {"url": url} if detail is None else {"url": url, "detail": detail}
    parts = [{"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": image}]
    return {"model": MODEL, "messages": [{"role": "user", "content": parts}]}


def test_images_are_counted_in_prompt_tokens_by_detail() -> None:
    text_only = run(chat("What is in this picture?")).usage.prompt_tokens
    low, high, auto = (run(_vision(d)).usage for d in ("low", "high", None))
    assert low.image_tokens == 85 and high.image_tokens == 765 and auto.image_tokens == 765
    assert high.prompt_tokens - low.prompt_tokens == 680
    assert low.prompt_text_tokens == text_only
    assert run(_vision("low", "https://example.com/cat.png")).usage.image_tokens == 85
    # image tokens count in prompt_tokens; no undocumented field of their own
    assert body_of(_vision("low"))["usage"]["prompt_tokens_details"] == {"text_tokens": text_only}
    assert body_of(_vision("low"))["usage"]["prompt_tokens"] == text_only + 85


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("extra", [{}, {"max_tokens": 10}, {"tools": [WEATHER], "tool_choice": "required"}])
def test_usage_adds_up(profile: str, extra: dict[str, Any]) -> None:
    usage = body_of(chat(**extra), profile)["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    details = usage["completion_tokens_details"]
    if profile == "observed":
        assert details["reasoning_tokens"] + details["text_tokens"] == usage["completion_tokens"]
        assert details["reasoning_tokens"] > 0
    else:
        assert details == {"reasoning_tokens": 0} and "text_tokens" not in usage["prompt_tokens_details"]


# --- fixed replies and body shapes ------------------------------------------------------------


def test_a_fixed_reply_overrides_generation() -> None:
    assert run(chat(max_tokens=1), reply=reply("Exactly this.")).content == "Exactly this."
    fixed = run(chat(), reply=reply("Hi", reasoning="Short thought."))
    assert (fixed.content, fixed.reasoning) == ("Hi", "Short thought.")
    called = run(chat(), reply=tool_call("lookup", {"q": "x"})).tool_calls[0]
    assert (called.name, called.arguments) == ("lookup", '{"q":"x"}')


@pytest.mark.parametrize(("profile", "empty"), [("observed", None), ("documented", "")])
def test_refusals_and_tool_calls_have_no_content(profile: str, empty: str | None) -> None:
    refused = body_of(chat(), profile, reply=refusal("I can't help with that."))["choices"][0]
    assert refused["message"]["refusal"] == "I can't help with that."
    assert refused["message"]["content"] == empty and refused["finish_reason"] == "stop"
    called = body_of(chat(tools=[WEATHER], tool_choice="required"), profile)["choices"][0]["message"]
    assert called["content"] == empty and called["tool_calls"][0]["type"] == "function"


def test_observed_body_mirrors_the_vendor_example() -> None:
    body = body_of(chat())
    assert body["model"] == "qwen3-vl-32b-thinking"
    assert body["system_fingerprint"] is None and body["meta"]["usage"]["tokens_used"] > 0
    assert set(body["choices"][0]["message"]) == {"content", "reasoning_content", "role"}
    documented = body_of(chat(), "documented")
    assert documented["model"] == MODEL and "meta" not in documented
    assert "reasoning_content" not in documented["choices"][0]["message"]


# --- streaming --------------------------------------------------------------------------------

STREAM_CASES = {
    "text": chat(),
    "length": chat(max_tokens=30),
    "stop": chat(stop=["the"]),
    "tools": chat(tools=[WEATHER, SEARCH, NOTE], tool_choice="required"),
    "json": chat(response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}),
    "vision": _vision("high"),
}


def _reassemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    text = {"content": "", "reasoning_content": "", "refusal": ""}
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            delta = choice["delta"]
            for key in text:
                text[key] += delta.get(key) or ""
            for part in delta.get("tool_calls") or []:
                call = calls.setdefault(part["index"], {"id": None, "name": "", "arguments": ""})
                call["id"] = part.get("id", call["id"])
                call["name"] += part.get("function", {}).get("name", "")
                call["arguments"] += part.get("function", {}).get("arguments", "")
    return {**text, "tool_calls": [calls[i] for i in sorted(calls)]}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_stream_deltas_concatenate_to_the_json_message(profile: str, case: str) -> None:
    request = STREAM_CASES[case]
    message = body_of(request, profile)["choices"][0]["message"]
    joined = _reassemble(chunks_of(request, profile))
    assert joined["content"] == (message["content"] or "")
    assert joined["reasoning_content"] == message.get("reasoning_content", "")
    expected_calls = [
        {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in message.get("tool_calls", [])
    ]
    assert joined["tool_calls"] == expected_calls


def test_observed_chunks_follow_the_openai_streaming_convention() -> None:
    request = chat(
        tools=[WEATHER, SEARCH, NOTE], tool_choice="required", stream_options={"include_usage": True}
    )
    chunks = chunks_of(request)
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks[:-1]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert all("role" not in delta for delta in deltas[1:])
    kinds = [next(iter(delta), "end") for delta in deltas[1:]]
    assert kinds == sorted(kinds, key=["reasoning_content", "content", "tool_calls", "end"].index)
    finishes = [chunk["choices"][0]["finish_reason"] for chunk in chunks[:-1]]
    assert finishes[:-1] == [None] * (len(finishes) - 1) and finishes[-1] == "tool_calls"
    assert deltas[-1] == {}
    for index in range(len(run(request).tool_calls)):
        parts = [p for d in deltas for p in d.get("tool_calls", []) if p["index"] == index]
        assert parts[0]["id"].startswith("call_") and parts[0]["function"]["arguments"] == ""
        assert len(parts) >= 3 and all(set(p) == {"index", "function"} for p in parts[1:])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert all("usage" not in chunk for chunk in chunks[:-1])
    assert len({(c["id"], c["model"], c["created"], c["object"]) for c in chunks}) == 1
    events = encode_json_chunks(chunks)
    assert events[-1] == b"data: [DONE]\n\n"


def test_without_include_usage_no_chunk_has_usage() -> None:
    assert all("usage" not in chunk and chunk["choices"] for chunk in chunks_of(chat()))


def test_documented_stream_is_one_whole_chunk_plus_usage() -> None:
    request = chat(tools=[WEATHER], tool_choice="required", stream_options={"include_usage": True})
    first, usage = chunks_of(request, "documented")
    delta = first["choices"][0]["delta"]
    assert delta["role"] == "assistant" and delta["content"] == ""
    assert delta["tool_calls"][0]["index"] == 0 and first["choices"][0]["finish_reason"] == "tool_calls"
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0


# --- the contract, under both profiles --------------------------------------------------------

CONTRACT_CASES = [
    *STREAM_CASES.values(),
    chat(tools=[WEATHER, SEARCH]),
    chat(tools=[WEATHER], tool_choice="none", max_completion_tokens=3),
    chat(response_format={"type": "json_object"}, stop="\n"),
    chat(tools=[WEATHER], tool_choice="required", max_tokens=2),
]
FIXED = [None, reply("Fixed."), refusal("No."), tool_call("lookup", {"q": 1})]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_response_and_stream_passes_its_profiles_contract(profile: str) -> None:
    contract = load_contract(profile=profile)
    for index, base in enumerate(CONTRACT_CASES):
        for seed in range(3):
            for fixed in FIXED if seed == 0 else [None]:
                request = {**base, "stream_options": {"include_usage": bool(index % 2)}}
                opts = EngineOptions(profile=profile, seed=seed, reply=fixed)
                completion = complete(request, opts)
                errors = [
                    v
                    for v in contract.validate_response(render_json(completion, request, opts))
                    if v.is_error
                ]
                assert errors == [], (request, errors)
                report = contract.validate_stream(
                    encode_json_chunks(render_chunks(completion, request, opts)), request
                )
                # a scenario's fixed reply is the test author's answer, whatever the request asked
                scripted = REQUEST_RULES if fixed is not None else ()
                unfair = [v for v in report.errors if v.rule not in scripted]
                assert unfair == [], (request, unfair)
                assert report.content == (completion.content or "")
