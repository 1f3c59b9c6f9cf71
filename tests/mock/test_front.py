"""GET /v1/models, CORS, --api-key and the console line: served over real HTTP, driven by real clients."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jsonschema
import openai
import pytest

from contract_kit.contract import Contract
from contract_kit.mock import MockRequest, MockService
from contract_kit.mock.front import Front
from contract_kit.mock.transports import BackgroundServer, make_app

KEY = "sk-front-test-3f9e1b77"
MODEL = "alibaba/qwen3-vl-32b-thinking"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}
# OpenAI's Model object, as its API reference documents it (an oracle independent of the kit)
MODEL_SCHEMA = {
    "type": "object",
    "required": ["id", "object", "created", "owned_by"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "model"},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
}
LIST_SCHEMA = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": MODEL_SCHEMA}},
}


@pytest.fixture(scope="module")
def served(contract: Contract) -> Iterator[tuple[str, list[str]]]:
    lines: list[str] = []
    front = Front(MockService(contract), api_keys=[KEY, "sk-second"], log=lines.append)
    with BackgroundServer(make_app(front)) as server:
        yield server.url, lines


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_models_list_and_one_model_through_the_openai_sdk(served: tuple[str, list[str]]) -> None:
    client = openai.OpenAI(api_key=KEY, base_url=served[0] + "/v1", max_retries=0)
    ids = [model.id for model in client.models.list()]
    assert ids == [MODEL]
    one = client.models.retrieve(MODEL)
    assert (one.id, one.owned_by) == (MODEL, "alibaba")
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("nobody/nothing")
    assert caught.value.code == "model_not_found"


def test_models_answers_follow_openais_shapes(served: tuple[str, list[str]]) -> None:
    listed = httpx.get(served[0] + "/v1/models", headers=_auth())
    assert listed.status_code == 200
    jsonschema.validate(listed.json(), LIST_SCHEMA)
    one = httpx.get(f"{served[0]}/v1/models/{MODEL}", headers=_auth())
    jsonschema.validate(one.json(), MODEL_SCHEMA)
    assert httpx.post(served[0] + "/v1/models", headers=_auth()).status_code == 405


def test_only_the_given_keys_are_valid(served: tuple[str, list[str]]) -> None:
    url = served[0] + "/v1/chat/completions"
    assert httpx.post(url, json=CHAT, headers=_auth()).status_code == 200
    assert httpx.post(url, json=CHAT, headers=_auth("sk-second")).status_code == 200
    wrong = httpx.post(url, json=CHAT, headers=_auth("sk-wrong-key-123"))
    missing = httpx.post(url, json=CHAT)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key-123" not in wrong.text
    assert httpx.get(served[0] + "/v1/models", headers=_auth("sk-nope")).status_code == 401
    client = openai.OpenAI(api_key="sk-not-valid", base_url=served[0] + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(**CHAT)


def test_a_preflight_from_a_loopback_origin_gets_204_by_default(served: tuple[str, list[str]]) -> None:
    headers = {
        "Origin": "http://localhost:5173",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    preflight = httpx.options(served[0] + "/v1/chat/completions", headers=headers)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
    answer = httpx.post(
        served[0] + "/v1/chat/completions", json=CHAT, headers={**_auth(), "Origin": "http://127.0.0.1:3000"}
    )
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert "x-request-id" in answer.headers["access-control-expose-headers"]


def test_a_preflight_from_elsewhere_is_refused_unless_allowed(contract: Contract) -> None:
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    refused = Front(MockService(contract))
    allowed = Front(MockService(contract), cors=["https://app.example.com"])
    anyone = Front(MockService(contract), cors=["*"])
    request = _request("OPTIONS", "/v1/chat/completions", headers)
    assert refused(request).status == 403
    assert "--cors https://app.example.com" in json.loads(refused(request).body or b"")["error"]["message"]
    assert allowed(request).status == 204
    assert anyone(request).header("access-control-allow-origin") == "https://app.example.com"
    assert refused(_request("OPTIONS", "/v1/chat/completions", {})).status == 405  # not a preflight


def test_one_console_line_per_request_and_never_the_key(served: tuple[str, list[str]]) -> None:
    url, lines = served
    before = len(lines)
    httpx.post(url + "/v1/chat/completions", json={**CHAT, "stream": True}, headers=_auth())
    httpx.post(url + "/v1/chat/completions", json=CHAT, headers=_auth("sk-wrong-key-123"))
    new = lines[before:]
    assert len(new) == 2
    assert new[0].startswith("POST /v1/chat/completions 200 stream ") and new[0].endswith(" ms")
    assert new[1].startswith("POST /v1/chat/completions 401 ")
    assert not any(KEY in line or "sk-wrong" in line for line in lines)


def test_the_scenario_is_named_on_the_console_line(contract: Contract) -> None:
    lines: list[str] = []
    service = MockService(contract, require_auth=False)
    front = Front(service, log=lines.append, describe=lambda _q, _r: service.calls[-1].plan[0]["scenario"])
    service.scenarios.enqueue({"scenario": "error", "status": 429})
    front(_request("POST", "/v1/chat/completions", {"content-type": "application/json"}, CHAT))
    assert lines[0].startswith("POST /v1/chat/completions 429 ") and lines[0].endswith("[error]")


def test_an_image_url_that_is_not_a_uri_is_a_400(contract: Contract) -> None:
    def body(url: str) -> dict[str, object]:
        part = {"type": "image_url", "image_url": {"url": url}}
        return {"model": MODEL, "messages": [{"role": "user", "content": [part]}]}

    assert contract.validate_request(body(""))
    assert contract.validate_request(body("not a uri"))
    assert contract.validate_request(body("https://example.com/cat.png")) == []
    assert contract.validate_request(body("data:image/png;base64,iVBORw0KGgo=")) == []
    service = MockService(contract, require_auth=False)
    answer = service(_request("POST", "/v1/chat/completions", {"content-type": "application/json"}, body("")))
    assert answer.status == 400


def _request(method: str, path: str, headers: dict[str, str], body: object = None) -> MockRequest:
    raw = b"" if body is None else json.dumps(body).encode()
    return MockRequest(
        method, "http://127.0.0.1" + path, path, {k.lower(): v for k, v in headers.items()}, raw
    )
