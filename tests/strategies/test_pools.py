"""contract_kit.strategies.pools: precompiled choices are valid, cover the schema, are copies, and shrink.

Generation draws most sub-objects (parameters, messages, tools) in one choice
from samples made when the strategy is built. These tests hold the samples
themselves to the rules, every one of them rather than the ones a random run
happens to draw: each sample, put in a request, passes the contract's
validator and the coherence rules, and the samples alone exercise the
request schema's locations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from contract_kit import load_contract
from contract_kit.contract import Contract
from contract_kit.strategies import chat_requests, coherence_problems, pools
from contract_kit.strategies import knowledge as kb
from contract_kit.strategies.requests import RequestBuilder, RequestOptions
from contract_kit.suite import SchemaCoverage

PROFILES = ("observed", "documented")
SHRINK = settings(
    database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
USER = {"role": "user", "content": "ok"}
TOOL = {"type": "function", "function": {"name": "get", "parameters": {"type": "object", "properties": {}}}}


def samples(strategy: st.SearchStrategy[Any]) -> tuple[Any, ...]:
    found = pools.samples_of(strategy)
    assert found, f"no samples for {strategy!r}"
    return found


def requests_from_samples(contract: Contract) -> Iterator[dict[str, Any]]:
    """A request around every sample of every precompiled part of a request."""
    builder = RequestBuilder(contract.request_schema, RequestOptions())
    talk = builder._conversation
    base = {"model": contract.models[0]}
    for params in samples(builder._params):
        yield {**base, "messages": [USER], **params}
    for streaming in samples(builder._streaming):
        yield {**base, "messages": [USER], **streaming}
    for user in (*samples(talk.users[True]), *samples(talk.users[False])):
        yield {**base, "messages": [user]}
    for instruction in samples(talk.instruction):
        yield {**base, "messages": [instruction, USER]}
    for reply in samples(talk.reply):
        yield {**base, "messages": [USER, reply, USER]}
    yield {**base, "messages": [USER, *_tool_exchange(contract)], "tools": [TOOL]}
    for tools in samples(builder._tools):
        if not tools:
            continue
        yield {**base, "messages": [USER], "tools": tools}
        names = [tool["function"]["name"] for tool in tools]
        for setting in samples(builder._tool_settings):
            named = kb.name_declared_tools(setting, lambda first=names[0]: first)
            yield {**base, "messages": [USER], "tools": tools, **named}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_precompiled_sample_makes_a_valid_coherent_request(profile: str) -> None:
    contract = load_contract(profile)
    check = contract.request_check()
    made = list(requests_from_samples(contract))
    assert len(made) > 100
    for request in made:
        assert check.is_valid(request), request
        assert coherence_problems(request) == [], request


@pytest.mark.parametrize("profile", PROFILES)
def test_the_samples_alone_exercise_every_location_of_the_request_schema(profile: str) -> None:
    """Coverage does not hang on the general path: the pools carry every enum value, bound, type and branch."""
    contract = load_contract(profile)
    coverage = SchemaCoverage(contract.request_schema)
    coverage.record_all(requests_from_samples(contract))
    report = coverage.report()
    assert report.percent == 100.0, report.format()


def _tool_exchange(contract: Contract) -> list[dict[str, Any]]:
    """The tool-calling messages (the builder names their functions after the request's tools)."""
    builder = RequestBuilder(contract.request_schema, RequestOptions())
    talk = builder._conversation
    call = {"id": "call_1", **samples(talk.call)[0], "function": {"name": "get", "arguments": "{}"}}
    callers = [{**caller, "tool_calls": [call]} for caller in samples(talk.caller)]
    results = [
        {
            **result,
            "tool_call_id": "call_1",
            **({"name": "get"} if result.get("name") else {}),
        }
        for result in samples(talk.result)
    ]
    pairs = zip(callers, (results * len(callers))[: len(callers)], strict=True)
    return [message for caller, result in pairs for message in (caller, result)]


def test_record_samples_show_every_sample_of_every_key_in_few_rows() -> None:
    always = {"role": ("user",), "mode": ("a", "b", "c")}
    sometimes = {f"key{index}": tuple(range(index + 1)) for index in range(6)}
    rows = pools.record_samples(always, sometimes)
    assert rows is not None
    assert rows[0] == {"role": "user", "mode": "a"}  # the smallest first
    assert rows[1] == {"role": "user", "mode": "a", "key0": 0}  # then each optional key alone
    for name, values in {**always, **sometimes}.items():
        assert {row[name] for row in rows if name in row} == set(values), name
    assert len(rows) < sum(len(values) for values in sometimes.values()) + len(sometimes)
    assert pools.record_samples(always, {"other": None}) is None  # a key that cannot list its values


def test_an_exhaustive_strategy_costs_no_choice_and_makes_only_its_values() -> None:
    fixed = pools.pooled(pools.constant({"type": "function"}))
    assert pools.is_exhaustive(fixed)
    assert find(fixed, lambda value: True) == {"type": "function"}


@given(st.data())
@settings(max_examples=30, database=None, deadline=None)
def test_a_drawn_request_is_the_callers_to_edit(data: st.DataObject) -> None:
    contract = load_contract("observed")
    builder = RequestBuilder(contract.request_schema, RequestOptions(tools=True))
    before = json.dumps(samples(builder._params), default=repr)
    strategy = builder.requests()
    request = data.draw(strategy)
    for message in request["messages"]:
        message.clear()
    request.pop("tools")
    again = data.draw(strategy)
    assert all(message.get("role") for message in again["messages"])
    assert json.dumps(samples(builder._params), default=repr) == before


def test_a_failure_that_needs_one_parameter_often_shrinks_to_that_parameter() -> None:
    """Hypothesis shrinks the pool index toward 0 but not exhaustively (the README says "often"):
    every minimal case is small, and most of these keys reach the row that carries them alone."""
    strategy = chat_requests(load_contract("observed"), tools=False, max_turns=1)
    keys = ["temperature", "frequency_penalty", "presence_penalty"]
    minimal = {key: find(strategy, lambda request, key=key: key in request, settings=SHRINK) for key in keys}
    for key, request in minimal.items():
        assert request["messages"] == [USER], key
        assert len(set(request) - {"model", "messages"}) <= 6, (key, request)
    alone = [key for key, request in minimal.items() if set(request) == {"model", "messages", key}]
    assert len(alone) >= 2, minimal


def test_a_failure_that_needs_any_parameter_shrinks_to_a_few_simple_ones() -> None:
    """The shrinker stops at the first pooled row that still fails: never more than half the parameters."""
    contract = load_contract("observed")
    strategy = chat_requests(contract, tools=False, max_turns=1)
    builder = RequestBuilder(contract.request_schema, RequestOptions())
    free = list(builder._free_values)
    for key in free:
        minimal = find(strategy, lambda request, key=key: key in request, settings=SHRINK)
        assert minimal["messages"] == [USER], key
        assert len(set(minimal) & set(free)) <= len(free) // 2 + 1, (key, minimal)
