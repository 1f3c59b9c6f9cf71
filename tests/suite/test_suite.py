"""The contract suite: it passes on the mock, and it catches (and shrinks) what a broken target does."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from contract_kit import load_contract
from contract_kit.contract import Contract
from contract_kit.defaults import API_KEY_ENV
from contract_kit.mock import ChatServer
from contract_kit.strategies import InvalidCase
from contract_kit.suite.properties import ContractSuite, PropertyFailed, suite_settings
from contract_kit.suite.results import AGREEMENT, INVALID, PROPERTIES, VALID
from contract_kit.suite.targets import MockTarget, TargetResponse, URLTarget, endpoint_url
from contract_kit.validation import ObservedAnswer as Answer
from contract_kit.validation import answer_problems, excused

MODEL = "alibaba/qwen3-vl-32b-thinking"
Rewrite = Callable[[dict[str, Any] | None, TargetResponse], TargetResponse]


class RewritingTarget:
    """The mock, with its answers passed through ``rewrite(request_json_or_None, response)``."""

    network = False

    def __init__(
        self,
        contract: Contract,
        rewrite: Rewrite,
        *,
        deterministic: bool = True,
        change_request: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.inner = MockTarget(contract)
        self.rewrite = rewrite
        self.change_request = change_request
        self.deterministic = deterministic
        self.name = "a rewriting mock"
        self.sent: list[bytes] = []

    def send(self, body: bytes, content_type: str) -> TargetResponse:
        self.sent.append(body)
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if self.change_request is not None and isinstance(request, dict):
            body = json.dumps(self.change_request(request)).encode()
        return self.rewrite(
            request if isinstance(request, dict) else None, self.inner.send(body, content_type)
        )

    def close(self) -> None:
        self.inner.close()


class FixedTarget:
    """Answers every request with the same response, without asking the mock (shrinking stays cheap)."""

    network = False
    deterministic = True
    name = "a fixed answer"

    def __init__(self, response: TargetResponse) -> None:
        self.response = response

    def send(self, body: bytes, content_type: str) -> TargetResponse:
        return self.response

    def close(self) -> None:
        pass


def unchanged(request: dict[str, Any] | None, response: TargetResponse) -> TargetResponse:
    return response


def error(
    status: int, body: bytes = b'{"error": {"message": "no", "type": "server_error"}}'
) -> TargetResponse:
    return TargetResponse(status, {"content-type": "application/json"}, [body])


def suite_for(target: Any, contract: Contract, examples: int = 30, seed: int = 4) -> ContractSuite:
    return ContractSuite(contract, target, examples=examples, seed=seed, database=False)


# -- the mock holds ------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["observed", "documented"])
def test_the_mock_holds_every_property(profile: str) -> None:
    contract = load_contract(profile)
    report = suite_for(MockTarget(contract, seed=4), contract, examples=40).run()
    assert [(r.name, r.ok, r.examples, r.passed) for r in report.results] == [
        (name, True, 40, 40) for name in PROPERTIES
    ]
    assert report.ok


# -- broken targets are caught and shrunk -------------------------------------------------------------
def test_a_500_is_reported_with_the_minimal_request_that_triggers_it() -> None:
    contract = load_contract("observed")

    def fail_on_tools(request: dict[str, Any] | None, response: TargetResponse) -> TargetResponse:
        return error(500) if request and request.get("tools") else response

    result = suite_for(RewritingTarget(contract, fail_on_tools), contract, examples=60).run_property(VALID)
    assert not result.ok and result.failure is not None
    assert result.passed == result.examples - 1
    minimal = result.failure.example
    assert set(minimal) == {"model", "messages", "tools"}
    assert len(minimal["tools"]) == 1 and [m["role"] for m in minimal["messages"]] == ["user"]
    assert result.failure.problems[0].startswith("status 500, expected 200")


def test_a_target_that_accepts_everything_fails_the_invalid_property() -> None:
    contract = load_contract("observed")
    ok = TargetResponse(200, {"content-type": "application/json"}, [b"{}"])
    result = suite_for(FixedTarget(ok), contract, examples=3).run_property(INVALID)
    assert result.failure is not None
    assert isinstance(result.failure.example, InvalidCase)
    assert "status 200: the target accepted a request that breaks" in result.failure.problems[0]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (error(502), "server error 502 for an invalid request"),
        (error(400, b"oops"), "the 400 error body is not JSON"),
        (error(400, b'{"detail": "bad"}'), "the 400 body has no 'error' object"),
        (
            error(400, b'{"error": {"message": 5, "type": "invalid_request_error"}}'),
            "[response] $.error.message",
        ),
    ],
)
def test_invalid_requests_need_a_4xx_with_a_documented_error_body(
    answer: TargetResponse, problem: str
) -> None:
    contract = load_contract("observed")
    suite = suite_for(FixedTarget(answer), contract)
    case = InvalidCase(
        "missing-required",
        b'{"messages": []}',
        "application/json",
        "$",
        "required",
        "no model",
        {"messages": []},
    )
    problems = suite.check_invalid(case)
    assert len(problems) == 1 and problem in problems[0], problems
    assert suite_for(MockTarget(contract), contract).check_invalid(case) == []


def test_a_stream_that_says_something_else_breaks_agreement() -> None:
    contract = load_contract("observed")

    def other_seed_when_streaming(request: dict[str, Any]) -> dict[str, Any]:
        return {**request, "seed": 987654} if request.get("stream") else request

    target = RewritingTarget(contract, unchanged, change_request=other_seed_when_streaming)
    result = suite_for(target, contract, examples=20).run_property(AGREEMENT)
    assert result.failure is not None
    assert any(
        problem.startswith(("content differs", "reasoning differs", "tool calls differ"))
        or "differs: JSON" in problem
        for problem in result.failure.problems
    )


def test_non_deterministic_targets_skip_agreement_and_say_why() -> None:
    contract = load_contract("observed")
    result = suite_for(RewritingTarget(contract, unchanged, deterministic=False), contract).run_property(
        AGREEMENT
    )
    assert result.ok and result.examples == 0
    assert result.skipped is not None and "not deterministic" in result.skipped


def test_assert_property_raises_with_the_minimal_example() -> None:
    contract = load_contract("observed")
    suite = suite_for(FixedTarget(error(503)), contract, examples=5)
    with pytest.raises(PropertyFailed, match=r"(?s)FAILED valid.*minimal failing example.*status 503"):
        suite.assert_property(VALID)


def test_the_same_seed_sends_the_same_examples() -> None:
    contract = load_contract("observed")
    first, second = (RewritingTarget(contract, unchanged) for _ in range(2))
    suite_for(first, contract, examples=15, seed=9).run([VALID, INVALID])
    suite_for(second, contract, examples=15, seed=9).run([VALID, INVALID])
    assert first.sent == second.sent and len(first.sent) == 30


# -- settings ------------------------------------------------------------------------------------------
def test_settings_start_from_the_active_profile() -> None:
    contract = load_contract("observed")
    active = settings()
    local = suite_settings(MockTarget(contract))
    assert local.max_examples == active.max_examples
    assert local.database == active.database
    assert local.deadline == active.deadline
    assert HealthCheck.too_slow in local.suppress_health_check
    assert set(active.suppress_health_check) <= set(local.suppress_health_check)
    remote = suite_settings(URLTarget("http://127.0.0.1:9/v1", contract), examples=7, database=False)
    assert (remote.max_examples, remote.deadline, remote.database) == (7, None, None)


# -- request-aware rules -------------------------------------------------------------------------------
def answer(content: str = "", calls: tuple[str, ...] = (), finish: str = "stop") -> Answer:
    return Answer(content, [(name, "{}") for name in calls], finish)


@pytest.mark.parametrize(
    ("request_json", "given", "problem"),
    [
        (
            {"tools": [{"function": {"name": "f"}}], "tool_choice": "none"},
            answer(calls=("f",), finish="tool_calls"),
            "tool_choice is 'none'",
        ),
        ({"tools": [{"function": {"name": "f"}}], "tool_choice": "required"}, answer("hi"), "calls no tool"),
        (
            {
                "tools": [{"function": {"name": "f"}}, {"function": {"name": "g"}}],
                "tool_choice": {"type": "function", "function": {"name": "g"}},
            },
            answer(calls=("f",), finish="tool_calls"),
            "tool_choice names 'g'",
        ),
        ({}, answer(calls=("f",), finish="tool_calls"), "did not declare"),
        ({"response_format": {"type": "json_object"}}, answer("not json"), "not JSON"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "array"}},
                }
            },
            answer("{}"),
            "does not match",
        ),
        ({"stop": ["END"]}, answer("the END"), "contains the stop sequence 'END'"),
    ],
)
def test_answers_must_do_what_their_request_asks(
    request_json: dict[str, Any], given: Answer, problem: str
) -> None:
    found = answer_problems(request_json, given)
    assert len(found) == 1 and problem in found[0], found


def test_a_cut_short_answer_is_excused_from_tool_choice_and_format() -> None:
    request = {
        "tools": [{"function": {"name": "f"}}],
        "tool_choice": "required",
        "response_format": {"type": "json_object"},
    }
    assert answer_problems(request, answer('{"a', finish="length")) == []
    assert excused("message-not-empty", {"stop": "x"})
    assert not excused("message-not-empty", {})
    assert not excused("usage-total", {"stop": "x"})


# -- real HTTP, with a key ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with ChatServer(load_contract("observed"), seed=2, require_auth=True) as running:
        yield running


def test_a_url_target_runs_the_suite_over_http_with_the_key_from_the_environment(server: ChatServer) -> None:
    contract = load_contract("observed")
    target = URLTarget(server.base_url, contract, environ={API_KEY_ENV: "sk-test-secret"})
    try:
        assert target.deterministic and target.network
        assert "sk-test-secret" not in repr(target) and "sk-test-secret" not in target.name
        report = suite_for(target, contract, examples=8).run()
    finally:
        target.close()
    assert report.ok, [r.failure for r in report.results]


def test_without_a_key_the_server_says_401_and_no_property_holds(server: ChatServer) -> None:
    contract = load_contract("observed")
    target = URLTarget(server.base_url, contract, environ={API_KEY_ENV: "sk-ignored"}, auth=False)
    try:
        report = suite_for(target, contract, examples=10).run()
    finally:
        target.close()
    assert not report.ok
    for result in report.results:
        assert result.passed == 0 and result.error is not None, result
        assert result.error.startswith("the target answered 401 (it refused the credentials)")


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.aimlapi.com/v1", "https://api.aimlapi.com/v1/chat/completions"),
        ("https://api.aimlapi.com/v1/", "https://api.aimlapi.com/v1/chat/completions"),
        ("http://127.0.0.1:4010/v1/chat/completions", "http://127.0.0.1:4010/v1/chat/completions"),
        ("https://api.aimlapi.com", "https://api.aimlapi.com/v1/chat/completions"),
        ("https://proxy.example/aiml", "https://proxy.example/aiml/v1/chat/completions"),
    ],
)
def test_endpoint_urls_are_built_from_the_api_root(base: str, url: str) -> None:
    assert endpoint_url(base, load_contract("observed")) == url


# -- the importable test module --------------------------------------------------------------------------
def test_the_suite_runs_as_pytest_tests_with_pyargs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACT_KIT_EXAMPLES", "10")
    result = pytester.runpytest("--pyargs", "contract_kit.plugin.suite_tests", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_suite_can_be_included_in_a_users_module(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACT_KIT_EXAMPLES", "5")
    monkeypatch.delenv("CONTRACT_KIT_TARGET", raising=False)
    pytester.makepyfile(
        test_contract_suite=textwrap.dedent("""
        from contract_kit.plugin.suite_tests import *  # noqa: F403

        def test_mine():
            assert True
    """)
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "--contract-profile", "documented")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_valid_requests_get_conforming_answers PASSED*"])


def test_a_bad_target_setting_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACT_KIT_TARGET", "ftp://nowhere")
    result = pytester.runpytest("--pyargs", "contract_kit.plugin.suite_tests", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "neither 'mock' nor an http(s) URL" in result.stdout.str() + result.stderr.str()
    assert os.environ["CONTRACT_KIT_TARGET"] == "ftp://nowhere"


def test_hypothesis_seed_reproduces_a_pytest_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_seeded=textwrap.dedent("""
        import json, os
        from contract_kit import load_contract
        from contract_kit.suite import ContractSuite
        from contract_kit.suite import MockTarget

        class Recording(MockTarget):
            def send(self, body, content_type):
                with open(os.environ["SENT_LOG"], "ab") as log:
                    log.write(body + b"\\n")
                return super().send(body, content_type)

        def test_valid(contract):
            ContractSuite(contract, Recording(contract), examples=5, database=False).assert_property("valid")
    """)
    )
    logs = []
    for run in range(2):
        log = pytester.path / f"sent{run}.log"
        monkeypatch.setenv("SENT_LOG", str(log))
        pytester.runpytest("-p", "no:cacheprovider", "--hypothesis-seed=11").assert_outcomes(passed=1)
        logs.append(log.read_bytes())
    assert logs[0] == logs[1] and logs[0].count(b"\n") == 5
