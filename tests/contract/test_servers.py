"""Where a document serves its operation: server URLs, their variables, the API root (``contract/servers.py``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from published import AZURE

from contract_kit.contract import Server, ServerVariable, api_root_suffix, load_contract
from contract_kit.contract.document import read_document
from contract_kit.contract.servers import operation_servers
from contract_kit.defaults import DEFAULT_BASE_URL

OPERATION = "/chat/completions"


def document_with(servers: Any = None, **levels: Any) -> dict[str, Any]:
    """A minimal document with ``servers`` at the root and, by keyword, on the path item or the operation."""
    operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
    item: dict[str, Any] = {"post": operation}
    if "operation" in levels:
        operation["servers"] = levels["operation"]
    if "item" in levels:
        item["servers"] = levels["item"]
    document: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    document["paths"][OPERATION] = item
    if servers is not None:
        document["servers"] = servers
    return document


def test_a_variable_expands_to_its_default_then_its_first_enum_value_then_a_placeholder() -> None:
    server = Server(
        "https://{endpoint}/{base}/{region}",
        {
            "endpoint": ServerVariable("res.openai.azure.com"),
            "base": ServerVariable(None, ("openai", "other")),
        },
    )
    assert server.url == "https://res.openai.azure.com/openai/region.invalid"
    assert server.path_template == "/{base}/{region}"


def test_a_host_less_server_is_under_the_kits_default_host() -> None:
    origin = DEFAULT_BASE_URL.rsplit("/", 1)[0]
    assert Server("/").url == origin
    assert Server("/v2/").url == origin + "/v2"
    assert Server("/v2/").path_template == "/v2"
    assert Server("{scheme}://{host}:8080/api", {}).path_template == "/api"


def test_the_operations_servers_win_over_the_path_items_which_win_over_the_documents() -> None:
    root = [{"url": "https://root.example/v1"}]
    item = [{"url": "https://item.example/v2"}]
    operation = [{"url": "https://op.example/v3"}, {"url": "/v4"}]
    urls = [s.url for s in operation_servers(document_with(root, item=item, operation=operation), OPERATION)]
    assert urls == ["https://op.example/v3", DEFAULT_BASE_URL.rsplit("/", 1)[0] + "/v4"]
    assert [s.url for s in operation_servers(document_with(root, item=item), OPERATION)] == [
        "https://item.example/v2"
    ]
    assert [s.template for s in operation_servers(document_with(), OPERATION)] == ["/"]


@pytest.mark.parametrize(
    ("path", "suffix"),
    [
        ("/v1/chat/completions", "/v1"),
        ("/chat/completions", ""),
        ("/deployments/{deployment-id}/chat/completions", ""),
        ("/chat/completions/", ""),
    ],
)
def test_the_api_root_carries_the_fixed_part_before_chat_completions(path: str, suffix: str) -> None:
    assert api_root_suffix(path) == suffix


def test_the_bundled_documents_api_root_is_the_default_base_url() -> None:
    contract = load_contract("observed")
    assert contract.api_roots == [DEFAULT_BASE_URL]
    assert contract.api_root_path == "/v1"
    assert contract.sample_path == "/v1/chat/completions"


def test_azures_server_variable_expands_and_its_deployment_is_filled() -> None:
    contract = load_contract("observed", AZURE)
    assert contract.server_urls == ["https://your-resource-name.openai.azure.com/openai"]
    assert contract.api_roots == contract.server_urls
    assert contract.api_root_path == "/openai"
    assert contract.sample_path.startswith("/openai/deployments/")
    assert contract.sample_path.endswith("/chat/completions") and "{" not in contract.sample_path


def test_several_servers_each_give_an_api_root(tmp_path: Path) -> None:
    document = copy.deepcopy(read_document(AZURE))
    gateway = {"default": "az", "enum": ["az", "azure"]}
    document["servers"].append(
        {
            "url": "https://{host}/{gateway}",
            "variables": {"host": {"default": "gw.example"}, "gateway": gateway},
        }
    )
    path = tmp_path / "two-servers.json"
    path.write_text(json.dumps(document))
    contract = load_contract("observed", path)
    assert contract.api_roots == [
        "https://your-resource-name.openai.azure.com/openai",
        "https://gw.example/az",
    ]
