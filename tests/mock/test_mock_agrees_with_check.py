"""The mock agrees with the kit: every answer to a generated request passes every check ``check`` runs.

2,000 generated requests in all, split over the two profiles and over JSON
and streamed answers (500 each), each judged by the contract suite's own
``check_valid`` (schema, semantics, the request-aware rules, stream
invariants). Requests are biased toward what used to disagree: JSON response
formats with stop strings and small token budgets.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.errors import ConfigError
from contract_kit.mock import MockRequest, MockService
from contract_kit.mock import scenarios as sc
from contract_kit.strategies import chat_requests
from contract_kit.suite import ContractSuite, MockTarget
from contract_kit.validation import ObservedAnswer, answer_problems

PER_RUN = 500
URL = "https://api.aimlapi.com/v1/chat/completions"
HEADERS = {"authorization": "Bearer sk-test", "content-type": "application/json"}
BODY: dict[str, Any] = {
    "model": "alibaba/qwen3-vl-32b-thinking",
    "messages": [{"role": "user", "content": "Hi"}],
}
GENERATE_ONLY = settings(
    max_examples=PER_RUN,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STOPS = st.one_of(
    st.sampled_from(['"', "}", ":", ",", " ", "a", "e", "\n", "{"]),
    st.lists(st.sampled_from(['"', "}", "e", ", "]), min_size=1, max_size=4),
)
FORMATS = st.sampled_from(
    [
        None,
        {"type": "json_object"},
        {
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                    "required": ["city"],
                },
            },
        },
    ]
)


@st.composite
def hard_requests(draw: st.DrawFn, profile: str, stream: bool) -> dict[str, Any]:
    """A generated request, often with a JSON format, a stop string and a small budget."""
    request = dict(draw(chat_requests(load_contract(profile), stream=stream)))
    response_format = draw(FORMATS)
    if response_format is not None:
        request["response_format"] = response_format
    if draw(st.booleans()):
        request["stop"] = draw(STOPS)
    if draw(st.booleans()):
        request.pop("max_completion_tokens", None)
        request["max_tokens"] = draw(st.integers(1, 120))
    return request


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("profile", ["documented", "observed"])
def test_every_mock_answer_passes_the_kits_own_check(profile: str, stream: bool) -> None:
    contract = load_contract(profile)
    suite = ContractSuite(contract, MockTarget(contract, seed=7))
    seen = {"count": 0}

    @GENERATE_ONLY
    @given(hard_requests(profile, stream))
    def answer_passes(request: dict[str, Any]) -> None:
        seen["count"] += 1
        assert suite.check_valid(request) == []

    answer_passes()
    assert seen["count"] >= PER_RUN


# -- the rule that needed the request: JSON cut at a stop string --------------------------------------
def test_json_cut_at_a_requested_stop_string_is_fair_and_uncut_broken_json_is_not() -> None:
    request = {"response_format": {"type": "json_object"}, "stop": ["r"]}
    cut = ObservedAnswer('{"city": "Pa', [], "stop")
    assert answer_problems(request, cut) == []
    assert answer_problems({"response_format": {"type": "json_object"}}, cut) == [
        "response_format 'json_object' but the content is not JSON: '{\"city\": \"Pa'"
    ]
    assert answer_problems(request, ObservedAnswer('{"city": "Paris"}', [], "stop")) == [
        "the content contains the stop sequence 'r'"
    ]


# -- answers look like the live API's: ids, created, reasoning that leaves room -------------------------
def ask(service: MockService, body: dict[str, Any]) -> dict[str, Any]:
    answer = service(MockRequest("POST", URL, "/v1/chat/completions", HEADERS, json.dumps(body).encode()))
    assert answer.status == 200, answer.body
    return dict(json.loads(answer.body))


def test_identical_requests_get_unique_ids_deterministic_by_seed() -> None:
    first, again = MockService("observed", seed=3), MockService("observed", seed=3)
    ids = [ask(first, BODY)["id"] for _ in range(50)]
    assert len(set(ids)) == 50 and all(i.startswith("chatcmpl-") for i in ids)
    assert [ask(again, BODY)["id"] for _ in range(50)] == ids
    assert ask(MockService("observed", seed=4), BODY)["id"] != ids[0]
    contents = {ask(first, BODY)["choices"][0]["message"]["content"] for _ in range(3)}
    assert len(contents) == 1  # only the id varies: the content stays a function of request and seed


def test_created_comes_from_the_clock_and_a_fixed_clock_serves_snapshots() -> None:
    before = int(time.time())
    created = ask(MockService("observed"), BODY)["created"]
    assert before <= created <= int(time.time())
    assert ask(MockService("observed", clock=1_700_000_000), BODY)["created"] == 1_700_000_000
    ticks = iter(range(100, 200))
    service = MockService("observed", clock=lambda: next(ticks))
    assert [ask(service, BODY)["created"] for _ in range(2)] == [100, 101]
    with pytest.raises(ConfigError, match="clock="):
        MockService("observed", clock="yesterday")  # type: ignore[arg-type]


def test_the_chat_mock_and_its_marker_take_a_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx, pytest

        @pytest.mark.chat_mock(clock=1_700_000_000)
        def test_snapshot(chat_mock):
            reply = httpx.post("https://api.aimlapi.com/v1/chat/completions",
                               headers={"Authorization": "Bearer sk-test"},
                               json={"model": "alibaba/qwen3-vl-32b-thinking",
                                     "messages": [{"role": "user", "content": "Hi"}]})
            assert reply.json()["created"] == 1_700_000_000
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("budget", [16, 17, 24, 40, 64, 100, 128])
def test_reasoning_leaves_room_for_an_answer_from_sixteen_tokens(budget: int) -> None:
    service = MockService("observed", seed=1)
    for prompt in ("Hi", "Describe the sea.", "What is the weather in Paris?", "ok", "Tell me a story"):
        body = {**BODY, "max_tokens": budget, "messages": [{"role": "user", "content": prompt}]}
        answer = ask(service, body)
        message, usage = answer["choices"][0]["message"], answer["usage"]
        reasoning = usage["completion_tokens_details"]["reasoning_tokens"]
        assert message["content"], (budget, prompt, answer)
        assert reasoning <= budget // 2 and usage["completion_tokens"] <= budget


def test_the_thinking_scenario_spends_the_whole_budget_on_reasoning() -> None:
    service = MockService("observed", seed=1)
    service.scenarios.enqueue(sc.thinking())
    answer = ask(service, {**BODY, "max_tokens": 64})
    choice, usage = answer["choices"][0], answer["usage"]
    assert choice["finish_reason"] == "length" and not choice["message"]["content"]
    assert usage["completion_tokens"] == usage["completion_tokens_details"]["reasoning_tokens"] > 32
    assert choice["message"]["reasoning_content"]
    assert [v for v in load_contract("observed").validate_response(answer) if v.is_error] == []
    assert sc.parse_plan({"scenario": "thinking"}).outcome == sc.thinking()
