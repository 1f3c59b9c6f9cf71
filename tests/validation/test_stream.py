"""Whole-stream validation: chunk schemas, cross-chunk invariants, framing, reassembly, semantics."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.contract import Contract
from contract_kit.validation import StreamReport, Violation, decode, encode_json_chunks, rechunk

HEAD = {
    "id": "chatcmpl-42",
    "object": "chat.completion.chunk",
    "created": 1764625236,
    "model": "qwen3-vl-32b-thinking",
}
WITH_USAGE = {
    "model": "alibaba/qwen3-vl-32b-thinking",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}
WITHOUT_USAGE = {
    "model": "alibaba/qwen3-vl-32b-thinking",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
}
USAGE = {
    "prompt_tokens": 19,
    "completion_tokens": 30,
    "total_tokens": 49,
    "completion_tokens_details": {"reasoning_tokens": 12, "text_tokens": 18},
}


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0, **fields: Any
) -> dict[str, Any]:
    return {**HEAD, "choices": [{"index": index, "delta": delta or {}, "finish_reason": finish}], **fields}


def usage_chunk(usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**HEAD, "choices": [], "usage": usage or USAGE}


def sse(chunks: list[dict[str, Any]], *, done: bool = True) -> bytes:
    return b"".join(encode_json_chunks(chunks, done=done))


def full_stream() -> list[dict[str, Any]]:
    """An observed-style stream: role first, reasoning, content, two split tool calls, finish, usage."""
    return [
        chunk({"role": "assistant", "content": None}, system_fingerprint=None),
        chunk({"reasoning_content": "The user ", "content": None}),
        chunk({"reasoning_content": "greets me. 🤔"}),
        chunk({"content": "Héllo"}),
        chunk({"content": " wörld 🌍"}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": "{}"},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        chunk({}, "tool_calls"),
        usage_chunk(),
    ]


@pytest.fixture(scope="module")
def observed() -> Contract:
    return load_contract("observed")


@pytest.fixture(scope="module")
def documented() -> Contract:
    return load_contract("documented")


def found(report: StreamReport) -> set[tuple[str, str]]:
    return {(v.rule, v.where) for v in report.violations}


def the_one(report: StreamReport, rule: str) -> Violation:
    matching = [v for v in report.violations if v.rule == rule]
    assert len(matching) == 1, report.violations
    return matching[0]


# -- a valid stream ---------------------------------------------------------------
def test_valid_observed_stream_has_no_findings_and_reassembles(observed: Contract) -> None:
    report = observed.validate_stream(sse(full_stream()), WITH_USAGE)
    assert report.violations == []
    assert report.ok and report.done
    assert len(report.chunks) == 11 and len(report.events) == 12
    assert report.content == "Héllo wörld 🌍"
    assert report.reasoning == "The user greets me. 🤔"
    assert report.finish_reason == "tool_calls"
    assert report.choices[0].role == "assistant"
    assert report.tool_calls == [
        {
            "index": 0,
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
    ]
    assert report.usage == USAGE


def test_the_same_stream_breaks_the_documented_chunk_schema(documented: Contract) -> None:
    report = documented.validate_stream(sse(full_stream()), WITH_USAGE)
    errors = report.errors
    assert errors and not report.ok
    assert {v.kind for v in errors} == {"schema"}, "only the chunk schema breaks; no stream invariant does"
    keyed = {(v.where, v.path, v.rule) for v in errors}
    assert ("chunk 1", "$.choices[0].finish_reason", "type") in keyed  # null finish_reason
    assert ("chunk 0", "$.choices[0].delta.content", "type") in keyed  # content: null
    assert ("chunk 9", "$.choices[0].delta", "required") in keyed  # final delta {} lacks role and content
    missing = {v.message for v in errors if v.where == "chunk 3" and v.rule == "required"}
    assert missing == {"'role' is a required property"}
    assert ("chunk 6", "$.choices[0].delta.tool_calls[0]", "required") in keyed  # fragment without id/type
    infos = {(v.path, v.rule) for v in report.violations if v.severity == "info"}
    assert ("$.choices[0].delta.reasoning_content", "undocumented") in infos
    assert ("$.system_fingerprint", "undocumented") in infos
    assert len(infos) == len([v for v in report.violations if v.severity == "info"]), (
        "infos are reported once"
    )
    assert report.content == "Héllo wörld 🌍"


def test_single_chunk_stream_with_full_delta_passes_documented(documented: Contract) -> None:
    only = [chunk({"role": "assistant", "content": "Hi there"}, "stop")]
    report = documented.validate_stream(sse(only), WITHOUT_USAGE)
    assert report.violations == []
    assert (report.content, report.finish_reason) == ("Hi there", "stop")
    with_usage = [*only, usage_chunk({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})]
    assert documented.validate_stream(sse(with_usage), WITH_USAGE).violations == []


def test_several_choices_are_reassembled_separately(observed: Contract) -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}, index=0),
        chunk({"role": "assistant", "content": ""}, index=1),
        chunk({"content": "A"}, index=0),
        chunk({"content": "B"}, index=1),
        chunk({"content": "a"}, "stop", index=0),
        chunk({"content": "b"}, index=1),
        chunk({}, "length", index=1),
    ]
    report = observed.validate_stream(sse(chunks))
    assert report.violations == []
    assert (report.choices[0].content, report.choices[0].finish_reason) == ("Aa", "stop")
    assert (report.choices[1].content, report.choices[1].finish_reason) == ("Bb", "length")


def test_already_decoded_events_give_the_same_report(observed: Contract) -> None:
    raw = sse(full_stream())
    from_events = observed.validate_stream(decode(raw), WITH_USAGE)
    from_bytes = observed.validate_stream(raw, WITH_USAGE)
    assert from_events.violations == from_bytes.violations == []
    assert from_events.tool_calls == from_bytes.tool_calls


# -- every invariant, broken on purpose, gives exactly its violation ---------------
BASE = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hi"}), chunk({}, "stop")]


@pytest.mark.parametrize("name", ["id", "model", "created"])
def test_constant_field_changes(observed: Contract, name: str) -> None:
    changed = copy.deepcopy(BASE)
    changed[2][name] = 7 if name == "created" else "other"
    report = observed.validate_stream(sse(changed))
    assert found(report) == {("constant-field", "chunk 2")}
    violation = the_one(report, "constant-field")
    assert (violation.path, violation.expected, violation.observed, violation.kind) == (
        f"$.{name}",
        HEAD[name],
        changed[2][name],
        "stream",
    )


def test_object_change_is_a_constant_field_and_a_schema_violation(observed: Contract) -> None:
    changed = copy.deepcopy(BASE)
    changed[1]["object"] = "chat.completion"
    report = observed.validate_stream(sse(changed))
    assert found(report) == {("constant-field", "chunk 1"), ("enum", "chunk 1")}
    assert the_one(report, "constant-field").path == "$.object"


def test_two_finish_reasons_for_one_index(observed: Contract) -> None:
    report = observed.validate_stream(sse([*BASE, chunk({}, "length")]))
    assert found(report) == {("finish-reason-twice", "chunk 3")}
    violation = the_one(report, "finish-reason-twice")
    assert (violation.path, violation.expected, violation.observed) == (
        "$.choices[0].finish_reason",
        "stop",
        "length",
    )
    assert report.finish_reason == "stop"


def test_chunk_after_finish(observed: Contract) -> None:
    report = observed.validate_stream(sse([*BASE, chunk({"content": " more"})]))
    assert found(report) == {("after-finish", "chunk 3")}
    assert the_one(report, "after-finish").path == "$.choices[0]"


def test_usage_chunk_after_finish_is_allowed(observed: Contract) -> None:
    assert observed.validate_stream(sse([*BASE, usage_chunk()]), WITH_USAGE).violations == []


def test_usage_chunk_missing_when_requested(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE), WITH_USAGE)
    assert found(report) == {("usage-chunk", "stream")}
    assert (the_one(report, "usage-chunk").expected, the_one(report, "usage-chunk").observed) == (True, False)


@pytest.mark.parametrize(
    "request_body", [WITHOUT_USAGE, {**WITHOUT_USAGE, "stream_options": {"include_usage": False}}]
)
def test_usage_chunk_present_when_not_requested(observed: Contract, request_body: dict[str, Any]) -> None:
    report = observed.validate_stream(sse([*BASE, usage_chunk()]), request_body)
    assert found(report) == {("usage-chunk", "stream")}
    assert "not requested" in the_one(report, "usage-chunk").message


def test_usage_chunk_not_last(observed: Contract) -> None:
    report = observed.validate_stream(sse([*BASE[:2], usage_chunk(), BASE[2]]), WITH_USAGE)
    assert found(report) == {("usage-last", "chunk 3")}


def test_no_done(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE, done=False))
    assert found(report) == {("done", "stream")}
    assert the_one(report, "done").kind == "framing"
    assert not report.done


def test_event_after_done(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE) + b'data: {"late": true}\n\n')
    assert found(report) == {("after-done", "chunk 4")}
    assert the_one(report, "after-done").observed == '{"late": true}'


def test_invalid_json_chunk(observed: Contract) -> None:
    raw = sse(BASE[:1], done=False) + b"data: {not json\n\n" + sse(BASE[1:])
    report = observed.validate_stream(raw)
    assert found(report) == {("json", "chunk 1")}
    violation = the_one(report, "json")
    assert (violation.kind, violation.observed) == ("framing", "{not json")
    assert report.content == "Hi"


def test_where_counts_events_in_stream_order(observed: Contract) -> None:
    """A broken event does not shift the numbers: 'chunk N' is always the N-th event."""
    late_bad = chunk({"role": "robot"})
    raw = sse(BASE[:1], done=False) + b"data: [1, 2]\n\n" + sse([late_bad, *BASE[1:]])
    report = observed.validate_stream(raw)
    assert found(report) == {("json", "chunk 1"), ("enum", "chunk 2")}


def test_unterminated_trailing_event(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE) + b'data: {"partial": ')
    assert found(report) == {("unterminated-event", "stream")}


def test_unterminated_done_event(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE, done=False) + b"data: [DONE]\n")
    assert found(report) == {("unterminated-event", "stream"), ("done", "stream")}


def test_error_object_mid_stream(observed: Contract) -> None:
    error = {"error": {"message": "upstream overloaded", "type": "server_error", "param": None, "code": None}}
    raw = sse(BASE[:2], done=False) + sse([error], done=False) + sse(BASE[2:])
    report = observed.validate_stream(raw)
    assert found(report) == {("error-event", "chunk 2")}
    assert the_one(report, "error-event").observed == error["error"]
    assert len(report.chunks) == 3


def test_choice_that_never_finishes(observed: Contract) -> None:
    report = observed.validate_stream(sse(BASE[:2]))
    assert found(report) == {("finish-reason", "stream")}
    assert the_one(report, "finish-reason").path == "$.choices[0]"


def test_chunk_schema_violation_is_located(observed: Contract) -> None:
    broken = copy.deepcopy(BASE)
    broken[1]["choices"][0]["delta"]["refusal"] = 5
    report = observed.validate_stream(sse(broken))
    assert [(v.where, v.path, v.rule, v.kind) for v in report.violations] == [
        ("chunk 1", "$.choices[0].delta.refusal", "type", "schema")
    ]
    fragment = copy.deepcopy(BASE)
    fragment[1]["choices"][0]["delta"]["tool_calls"] = [{"function": {"arguments": "{}"}}]
    fragment[2]["choices"][0]["finish_reason"] = "tool_calls"
    report = observed.validate_stream(sse(fragment))
    assert [(v.where, v.path, v.rule) for v in report.violations] == [
        ("chunk 1", "$.choices[0].delta.tool_calls[0]", "required")
    ]


def test_empty_body(observed: Contract) -> None:
    report = observed.validate_stream(b"")
    assert found(report) == {("done", "stream")}
    assert report.chunks == []


def test_network_reads_as_an_iterable(observed: Contract) -> None:
    pieces = encode_json_chunks(BASE)
    report = observed.validate_stream(iter(pieces))
    assert report.violations == [] and report.content == "Hi"


def test_stream_without_a_documented_chunk_schema(tmp_path: Path) -> None:
    """A document that declares no event stream: the stream is named as undocumented, never passed silently."""
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "json only", "version": "1"},
        "paths": {"/chat/completions": {"post": {"responses": {"200": ok}}}},
    }
    spec = tmp_path / "json-only.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    contract = load_contract("documented", spec)
    assert contract.chunk_schema is None
    report = contract.validate_stream(sse(BASE))
    assert [(v.rule, v.kind, v.where, v.expected) for v in report.violations] == [
        ("content-type", "content-type", "stream", ["application/json"])
    ]
    assert report.content == "Hi"
    assert [(v.rule, v.where) for v in contract.validate_chunk(BASE[0], 4)] == [("content-type", "chunk 4")]
    broken = contract.validate_stream(sse(BASE, done=False))
    assert [v.rule for v in broken.violations] == ["content-type", "done"]


# -- semantics of the reassembled stream -------------------------------------------
def test_tool_calls_finish_without_calls(observed: Contract) -> None:
    report = observed.validate_stream(sse([*BASE[:2], chunk({}, "tool_calls")]))
    assert found(report) == {("finish-reason-tool-calls", "stream")}
    violation = the_one(report, "finish-reason-tool-calls")
    assert (violation.kind, violation.path, violation.observed) == (
        "semantic",
        "$.choices[0].finish_reason",
        "tool_calls",
    )


def test_tool_calls_with_a_stop_finish(observed: Contract) -> None:
    calls = chunk(
        {
            "tool_calls": [
                {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]
        }
    )
    report = observed.validate_stream(sse([BASE[0], calls, chunk({}, "stop")]))
    assert found(report) == {("finish-reason-tool-calls", "stream")}


def test_empty_message_is_reported_unless_cut_by_length(observed: Contract) -> None:
    reasoning_only = [chunk({"role": "assistant", "content": None}), chunk({"reasoning_content": "hmm"})]
    report = observed.validate_stream(sse([*reasoning_only, chunk({}, "stop")]))
    assert found(report) == {("message-not-empty", "stream")}
    assert observed.validate_stream(sse([*reasoning_only, chunk({}, "length")])).violations == []


def test_usage_arithmetic_in_the_usage_chunk(observed: Contract) -> None:
    bad = {**USAGE, "total_tokens": 50}
    report = observed.validate_stream(sse([*BASE, usage_chunk(bad)]), WITH_USAGE)
    assert found(report) == {("usage-total", "stream")}
    bad_detail = {**USAGE, "completion_tokens_details": {"reasoning_tokens": 31}}
    report = observed.validate_stream(sse([*BASE, usage_chunk(bad_detail)]), WITH_USAGE)
    assert found(report) == {("usage-detail", "stream")}


# -- split anywhere, same report ------------------------------------------------------
def _fingerprint(report: StreamReport) -> tuple[Any, ...]:
    return (
        [v.to_dict() for v in report.violations],
        report.chunks,
        report.content,
        report.reasoning,
        report.tool_calls,
        report.usage,
        report.done,
    )


BROKEN = sse([*BASE[:1], chunk({"content": "ünïcødé ✓"}, model="swapped")], done=False) + b"data: {oops\n\n"
STREAMS = {
    "valid": (sse(full_stream()), "observed"),
    "valid-crlf": (sse(full_stream()).replace(b"\n", b"\r\n"), "observed"),
    "documented-errors": (sse(full_stream()), "documented"),
    "broken": (BROKEN, "observed"),
}
BASELINES: dict[str, tuple[Any, ...]] = {}


def _baseline(name: str) -> tuple[Any, ...]:
    if name not in BASELINES:
        raw, profile = STREAMS[name]
        BASELINES[name] = _fingerprint(load_contract(profile).validate_stream(raw, WITH_USAGE))
    return BASELINES[name]


def test_baselines_differ_in_the_expected_way() -> None:
    assert _baseline("valid")[0] == []
    assert _baseline("valid-crlf") == _baseline("valid")
    assert _baseline("documented-errors")[0] != []
    broken_rules = {v["rule"] for v in _baseline("broken")[0]}
    assert broken_rules == {"constant-field", "json", "done", "finish-reason", "usage-chunk"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(STREAMS)))
def test_any_byte_split_gives_the_same_report(data: st.DataObject, name: str) -> None:
    raw, profile = STREAMS[name]
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=40), label="cuts")
    report = load_contract(profile).validate_stream(rechunk(raw, cuts), WITH_USAGE)
    assert _fingerprint(report) == _baseline(name)


def test_one_byte_reads_give_the_same_report(observed: Contract) -> None:
    raw = STREAMS["valid"][0]
    report = observed.validate_stream(rechunk(raw, range(len(raw))), WITH_USAGE)
    assert _fingerprint(report) == _baseline("valid")
