"""Issue 15, Build-8: what the document allows gets an answer, never a 400 it did not earn, never a 5xx.

The vendor's ``stop`` is ``anyOf: [string, array of strings, {"nullable": true}]``.
The third branch has no ``type``, so by OAS 3.0.3 it accepts any value: ``stop:
{}`` (Schemathesis's ST202 case), ``stop: 5``, ``stop: [1]`` are valid requests.
An OAS 3.0 validator that reads the document itself (openapi-schema-validator)
is the oracle for "allowed"; the mock must answer each with a 200 whose body or
stream conforms, in both profiles, in-process and over HTTP, with the real
openai client too.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openapi_schema_validator import OAS30Validator

from contract_kit import load_contract
from contract_kit.contract import resolve_pointer
from contract_kit.mock import ChatMock, ChatServer, MockRequest, MockService

MODEL = "alibaba/qwen3-vl-32b-thinking"
KEY = "sk-test"
HEADERS = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
REQUEST = "#/paths/~1v1~1chat~1completions/post/requestBody/content/application~1json/schema"
STOPS: list[Any] = [{}, 5, 2.5, True, [1], {"a": ["b"]}, [None, "x"], "", ["Tides", "the"], None]
PROFILES = ("observed", "documented")


def request_with(stop: Any, **extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Tell me about tides"}],
        "stop": stop,
        **extra,
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_the_document_itself_allows_every_stop_value(profile: str) -> None:
    """The premise, checked with a validator of the raw OAS 3.0 request schema (not the kit's converter)."""
    document = load_contract(profile).document
    oracle = OAS30Validator(resolve_pointer(document, REQUEST))
    for stop in STOPS:
        assert oracle.is_valid(request_with(stop)), stop
        assert load_contract(profile).validate_request(request_with(stop)) == [], stop


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_the_mock_answers_any_stop_with_a_conforming_200(profile: str, stream: bool) -> None:
    contract = load_contract(profile)
    service = MockService(contract)
    for stop in STOPS:
        body = json.dumps(request_with(stop, stream=stream)).encode()
        url = "https://api.aimlapi.com/v1/chat/completions"
        response = service(MockRequest("POST", url, "/v1/chat/completions", HEADERS, body))
        assert response.status == 200, (stop, response.body[:300] if response.body else response.status)
        raw = response.body if response.body is not None else b"".join(response.chunks or ())
        if stream:
            errors = contract.validate_stream(raw, request_with(stop, stream=True)).errors
        else:
            errors = [v for v in contract.validate_response_bytes(raw, 200) if v.is_error]
        assert errors == [], (stop, errors[:3])


def test_chat_mock_with_the_openai_client_accepts_stop_as_an_object(chat_mock: ChatMock) -> None:
    client = openai.OpenAI(api_key=KEY, base_url=chat_mock.base_url)
    for stop in ({}, 5, [1]):
        completion = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}], extra_body={"stop": stop}
        )
        assert completion.choices[0].finish_reason in ("stop", "length"), stop
    assert [call.status for call in chat_mock.calls] == [200, 200, 200]


def test_chat_server_over_http_answers_stop_objects_with_200(chat_server: ChatServer) -> None:
    with httpx.Client(base_url=chat_server.url, headers=HEADERS, timeout=5) as client:
        for stop in STOPS:
            for stream in (False, True):
                reply = client.post("/v1/chat/completions", json=request_with(stop, stream=stream))
                assert reply.status_code == 200, (stop, stream, reply.text[:300])
