"""The mock answers the document's operation path under its server paths, and 404s the rest (``mock/routes.py``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from published import AZURE

from contract_kit.contract import Server, ServerVariable, load_contract
from contract_kit.mock import MockService
from contract_kit.mock.routes import Routes
from contract_kit.mock.types import MockRequest


@dataclass
class Located:
    """Just what ``Routes`` reads from a contract."""

    path: str
    servers: tuple[Server, ...] = field(default_factory=lambda: (Server("/"),))


AZURE_LIKE = Located(
    "/deployments/{deployment-id}/chat/completions",
    (Server("https://{endpoint}/openai", {"endpoint": ServerVariable("res.example")}),),
)


@pytest.mark.parametrize(
    ("path", "chat"),
    [
        ("/openai/deployments/gpt-4o/chat/completions", True),
        ("/openai/deployments/gpt-4o/chat/completions/", True),
        ("/openai/deployments//chat/completions", False),  # a template segment is never empty
        ("/openai/deployments/a/b/chat/completions", False),  # ... nor two segments
        ("/openai/chat/completions", False),
        ("/v2/chat/completions", False),
        ("/x/openai/deployments/d/chat/completions", False),
        ("/openai/deployments/d/chat/completions/x", False),
    ],
)
def test_a_path_template_is_one_non_empty_segment_under_the_server_path(path: str, chat: bool) -> None:
    assert Routes.for_contract(AZURE_LIKE).is_chat(path) is chat


def test_every_server_path_is_routed_and_a_path_variable_takes_its_enum_values() -> None:
    servers = (
        Server("https://api.example/v1"),
        Server("https://{host}/{stage}", {"stage": ServerVariable("prod", ("prod", "beta"))}),
        Server("https://gw.example/{tenant}/api", {"tenant": ServerVariable("acme")}),
    )
    routes = Routes.for_contract(Located("/chat/completions", servers))
    for path in ("/v1", "/prod", "/beta", "/acme/api", "/other-tenant/api"):
        assert routes.is_chat(path + "/chat/completions"), path
        assert routes.is_models(path + "/models/org/model-id"), path
    for path in ("", "/v2", "/dev", "/acme", "/v1/v1"):
        assert not routes.is_chat(path + "/chat/completions"), path
        assert not routes.is_models(path + "/models"), path


def test_the_models_route_is_under_the_api_root() -> None:
    bundled = Routes.for_contract(Located("/v1/chat/completions"))
    assert bundled.is_models("/v1/models") and bundled.is_models("/v1/models/alibaba/qwen3-vl-32b-thinking")
    assert not bundled.is_models("/models") and not bundled.is_models("/anything/models")
    assert Routes.for_contract(AZURE_LIKE).is_models("/openai/models")
    assert bundled.model_id("/v1/models") is None and bundled.model_id("/v1/models/") is None
    assert bundled.model_id("/v1/models/alibaba/qwen3-vl-32b-thinking") == "alibaba/qwen3-vl-32b-thinking"
    assert bundled.model_id("/v1/models/alibaba/qwen3-vl-32b-thinking/") == "alibaba/qwen3-vl-32b-thinking"


def test_a_contract_without_servers_keeps_the_loose_rule() -> None:
    class Bare:
        path = "/v1/chat/completions"

    routes = Routes.for_contract(Bare())
    assert routes.is_chat("/api/v1/chat/completions") and routes.is_chat("/gateway/chat/completions")
    assert not routes.is_chat("/v1/embeddings")


def _post(service: MockService, path: str, headers: dict[str, str]) -> Any:
    body = json.dumps({"messages": [{"role": "user", "content": "Hi"}]}).encode()
    merged = {"content-type": "application/json", **headers}
    url = f"https://res.example{path}?api-version=2024-10-21"
    return service(MockRequest("POST", url, path, merged, body))


def test_the_service_answers_azures_path_and_404s_the_others_with_the_error_body() -> None:
    service = MockService(load_contract("observed", AZURE))
    headers = {"api-key": "k"}
    assert _post(service, "/openai/deployments/my-deployment/chat/completions", headers).status == 200
    assert service.calls[-1].path == "/openai/deployments/my-deployment/chat/completions"
    for path in ("/openai/chat/completions", "/v2/chat/completions", "/v1/chat/completions"):
        response = _post(service, path, headers)
        assert response.status == 404, path
        error = json.loads(response.body)["error"]
        assert error["code"] == "not_found" and path in error["message"]
