"""``Contract.models`` follows ``$ref`` and ``allOf``, so an unknown model gets 404 wherever the document lists models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_kit import _resources
from contract_kit.contract import load_contract
from contract_kit.mock import MockRequest, MockService

PATH = "/v1/chat/completions"


def _document_with(model_schema: Any, tmp_path: Path, *, wrap_in_all_of: bool) -> Path:
    document = json.loads(_resources.default_document().read_text(encoding="utf-8"))
    media = document["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]
    request = media["schema"]
    request["properties"]["model"] = model_schema
    document.setdefault("components", {}).setdefault("schemas", {}).update(
        {"Models": {"type": "string", "enum": ["a/one", "b/two"]}, "Request": request}
    )
    ref = {"$ref": "#/components/schemas/Request"}
    media["schema"] = {"allOf": [ref, {"type": "object"}]} if wrap_in_all_of else ref
    spec = tmp_path / "models.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    return spec


@pytest.mark.parametrize("wrap_in_all_of", [False, True])
def test_models_through_refs_and_unknown_model_is_404(tmp_path: Path, wrap_in_all_of: bool) -> None:
    spec = _document_with({"$ref": "#/components/schemas/Models"}, tmp_path, wrap_in_all_of=wrap_in_all_of)
    contract = load_contract("documented", spec)
    assert contract.models == ["a/one", "b/two"]
    body = json.dumps({"model": "c/three", "messages": [{"role": "user", "content": "hi"}]}).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer sk-test"}
    response = MockService(contract)(MockRequest("POST", f"https://h{PATH}", PATH, headers, body))
    assert response.status == 404 and b"model_not_found" in (response.body or b"")


def test_an_open_string_branch_means_any_model(tmp_path: Path) -> None:
    schema = {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/Models"}]}
    contract = load_contract("documented", _document_with(schema, tmp_path, wrap_in_all_of=False))
    assert contract.models == []
