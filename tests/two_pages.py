"""Two model pages of the seed's vendor in one folder: the bundled page and a second model's copy.

The copy differs observably: its model enum names :data:`MODEL_B`, and its
``max_tokens`` has a maximum (:data:`B_MAX_TOKENS`) the bundled page lacks, so
a request with a larger ``max_tokens`` is valid for model A's document and
breaks model B's. Both pages take the bundled overlays (same vendor).

The oracle is openapi-core on a page's effective document (its overlays
applied), not the kit's validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest as OracleRequest
from openapi_core.testing import MockResponse as OracleResponse

from contract_kit._resources import default_document
from contract_kit.contract import load_contract
from contract_kit.defaults import DEFAULT_MODEL

MODEL_A = DEFAULT_MODEL
MODEL_B = "alibaba/qwen3-vl-8b-thinking"
PAGE_A = default_document().name
PAGE_B = "aimlapi-qwen3-vl-8b-thinking.json"
B_MAX_TOKENS = 4096


def request_schema(document: dict[str, Any]) -> dict[str, Any]:
    operation = document["paths"]["/v1/chat/completions"]["post"]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def write_two_pages(folder: Path) -> Path:
    """``folder`` with both pages (and a README that is not a document); returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    original = default_document().read_text(encoding="utf-8")
    (folder / PAGE_A).write_text(original, encoding="utf-8")
    page_b = json.loads(original)
    schema = request_schema(page_b)
    schema["properties"]["model"]["enum"] = [MODEL_B]
    schema["title"] = MODEL_B
    schema["properties"]["max_tokens"]["maximum"] = B_MAX_TOKENS
    (folder / PAGE_B).write_text(json.dumps(page_b, indent=1), encoding="utf-8")
    (folder / "notes.json").write_text(json.dumps({"not": "an OpenAPI document"}), encoding="utf-8")
    return folder


def chat(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Hello"}], **extra}


def oracle(page: Path) -> OpenAPI:
    """openapi-core on the page's effective (observed) document."""
    return OpenAPI.from_dict(load_contract("observed", page).document)


def oracle_request(body: dict[str, Any]) -> OracleRequest:
    return OracleRequest(
        "https://api.aimlapi.com",
        "post",
        "/v1/chat/completions",
        data=json.dumps(body).encode(),
        content_type="application/json",
        headers={"Authorization": "Bearer sk-test"},
    )


def oracle_check(checker: OpenAPI, body: dict[str, Any], status: int, answer: Any) -> None:
    """Raise when openapi-core finds the answer to ``body`` outside the page's document."""
    response = OracleResponse(
        json.dumps(answer).encode(), status_code=status, content_type="application/json"
    )
    checker.validate_response(oracle_request(body), response)
