"""Issue 3's property: every mock answer to a generated request passes the kit's own validator.

500 generated valid requests per profile, each answered twice (JSON and
stream, with usage): the JSON body (schema + semantics), every chunk, and the
stream invariants must hold with no error-severity violation, and the stream
must say what the JSON said. 500 generated invalid requests per profile must
get a 4xx with an OpenAI-style error body, never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from contract_kit import load_contract
from contract_kit.mock import MockRequest, MockService
from contract_kit.strategies import InvalidCase, chat_requests, invalid_chat_requests

EXAMPLES = 500
GENERATE_ONLY = settings(
    max_examples=EXAMPLES,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
URL = "https://api.aimlapi.com/v1/chat/completions"
HEADERS = {"authorization": "Bearer sk-property", "content-type": "application/json"}


def call(service: MockService, body: bytes, headers: dict[str, str] = HEADERS) -> Any:
    return service(MockRequest("POST", URL, "/v1/chat/completions", headers, body))


def errors(violations: list[Any]) -> list[str]:
    return [v.format() for v in violations if v.severity == "error"]


@pytest.mark.parametrize("profile", ["documented", "observed"])
def test_every_answer_to_a_valid_request_passes_the_validator(profile: str) -> None:
    contract = load_contract(profile)
    service = MockService(contract, seed=11)
    seen = {"count": 0}

    @GENERATE_ONLY
    @given(chat_requests(contract))
    def check(request: dict[str, Any]) -> None:
        seen["count"] += 1
        plain = {k: v for k, v in request.items() if k not in ("stream", "stream_options")}
        answer = call(service, json.dumps(plain).encode())
        assert answer.status == 200, answer.body
        body = json.loads(answer.body)
        assert errors(contract.validate_response(body)) == [], body

        streamed = {**plain, "stream": True, "stream_options": {"include_usage": True}}
        stream = call(service, json.dumps(streamed).encode())
        assert stream.status == 200 and stream.chunks is not None
        report = contract.validate_stream(list(stream.chunks), streamed)
        assert errors(report.violations) == []
        message = body["choices"][0]["message"]
        assert report.content == (message.get("content") or "")
        assert [c["function"] for c in report.tool_calls] == [
            c["function"] for c in message.get("tool_calls") or []
        ]
        assert report.usage == body["usage"]

    check()
    assert seen["count"] >= EXAMPLES


@pytest.mark.parametrize("profile", ["documented", "observed"])
def test_every_invalid_request_gets_a_4xx_error_body_never_a_5xx(profile: str) -> None:
    contract = load_contract(profile)
    service = MockService(contract, seed=11)
    seen = {"count": 0}

    @GENERATE_ONLY
    @given(invalid_chat_requests(contract))
    def check(case: InvalidCase) -> None:
        seen["count"] += 1
        answer = call(service, case.body, {**HEADERS, "content-type": case.content_type})
        assert 400 <= answer.status < 500, (case.description, answer.status)
        error = json.loads(answer.body)["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"]

    check()
    assert seen["count"] >= EXAMPLES
