"""Chat-aware matching: canonical JSON body, ignored fields, order of repeats, and the diff on a miss."""

from __future__ import annotations

import json

import pytest

from contract_kit.cassettes import Interaction, RecordedRequest, RecordedResponse
from contract_kit.cassettes.matching import Matcher, canonical, key_of, parse_ignore
from contract_kit.errors import CassetteMismatchError
from contract_kit.mock import MockRequest

URL = "https://api.aimlapi.com/v1/chat/completions"


def _sent(body: dict[str, object], path: str = "/v1/chat/completions") -> MockRequest:
    return MockRequest("POST", URL, path, {}, json.dumps(body).encode())


def _recorded(body: dict[str, object], status: int = 200) -> Interaction:
    return Interaction(RecordedRequest("POST", "/v1/chat/completions", {}, body), RecordedResponse(status))


def test_the_canonical_body_ignores_key_order_whitespace_and_ignored_fields() -> None:
    a = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "user": "u1",
        "stream_options": {"include_usage": True},
    }
    b = {
        "stream_options": {"include_usage": False},
        "user": "u2",
        "messages": [{"content": "hi", "role": "user"}],
        "model": "m",
    }
    ignore = parse_ignore("user, stream_options.include_usage")
    assert ignore == ("user", "stream_options.include_usage")
    assert canonical(a, ignore) == canonical(b, ignore)
    assert canonical(a) != canonical(b)
    raw = MockRequest("POST", URL, "/v1/chat/completions", {}, b'{ "model" :"m",\n "messages": [] }')
    assert key_of(raw) == key_of(
        RecordedRequest("POST", "/v1/chat/completions", {}, {"messages": [], "model": "m"})
    )


def test_identical_requests_replay_in_recorded_order_and_one_more_is_an_error() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "again"}]}
    matcher = Matcher(
        [_recorded(body, 200), _recorded({"model": "other"}), _recorded(body, 429)],
        record_hint="pytest --contract-mode=record 't.py::t'",
    )
    assert matcher.match(_sent(body)).response.status == 200
    assert matcher.match(_sent(body)).response.status == 429
    with pytest.raises(CassetteMismatchError, match="all 2 matching recorded interaction") as info:
        matcher.match(_sent(body))
    assert "pytest --contract-mode=record 't.py::t'" in str(info.value)


def test_repeats_are_allowed_for_the_served_mock() -> None:
    body = {"model": "m"}
    matcher = Matcher([_recorded(body, 201), _recorded(body, 202)], allow_repeats=True)
    assert [matcher.match(_sent(body)).response.status for _ in range(4)] == [201, 202, 202, 202]


def test_a_miss_shows_a_diff_against_the_closest_recorded_request() -> None:
    recorded = [
        _recorded({"model": "m", "messages": [{"role": "user", "content": "What is 2+2?"}], "max_tokens": 8}),
        _recorded({"model": "x", "tools": [{"type": "function"}] * 5}),
    ]
    matcher = Matcher(
        recorded, source="fixtures/cassettes/t.yaml", record_hint="pytest --contract-mode=record 'x'"
    )
    sent = {"model": "m", "messages": [{"role": "user", "content": "What is 2+3?"}], "max_tokens": 8}
    with pytest.raises(CassetteMismatchError) as info:
        matcher.match(_sent(sent))
    message = str(info.value)
    assert "no recorded interaction in fixtures/cassettes/t.yaml matches POST /v1/chat/completions" in message
    assert "interaction #0" in message
    assert '-      "content": "What is 2+2?",' in message
    assert '+      "content": "What is 2+3?",' in message
    assert "--contract-match-ignore" in message and "pytest --contract-mode=record 'x'" in message
    assert isinstance(info.value, LookupError) and isinstance(info.value, AssertionError)


def test_the_path_is_part_of_the_match() -> None:
    matcher = Matcher([_recorded({"model": "m"})])
    with pytest.raises(CassetteMismatchError, match="POST /v1/other"):
        matcher.match(_sent({"model": "m"}, path="/v1/other"))


def test_the_canonical_body_leaves_the_callers_body_untouched() -> None:
    body = {"user": "u1", "stream_options": {"include_usage": True, "x": 1}, "n": 2**70}
    before = json.dumps(body, sort_keys=True)
    key = canonical(body, ("user", "stream_options.include_usage", "missing.deep"))
    assert json.dumps(body, sort_keys=True) == before  # nothing removed from the caller's dict
    assert json.loads(key) == {"stream_options": {"x": 1}, "n": 2**70}  # big ints fall back, still equal
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
