"""``GET /v1/models`` and ``GET /v1/models/{id}``: what SDKs, UIs and agent frameworks call before they chat.

The answers take OpenAI's list shape (``{"object": "list", "data": [...]}``,
each entry ``{"id", "object": "model", "created", "owned_by"}``) and are built
from the contract's model enum, so another vendor document lists its own
models with no code change. ``owned_by`` is the vendor prefix of the id
(``alibaba`` for ``alibaba/qwen3-vl-32b-thinking``), else the gateway's name.
An id outside the list is 404 ``model_not_found`` with OpenAI's message, the
same answer a chat request for that model gets. Model ids contain ``/``, so
everything after ``/models/`` is the id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_kit.mock.errors_body import error_response, json_response, method_not_allowed
from contract_kit.mock.types import MockRequest, MockResponse

DEFAULT_OWNER = "aimlapi"


def model_entry(model: str, created: int) -> dict[str, Any]:
    owner = model.split("/", 1)[0] if "/" in model else DEFAULT_OWNER
    return {"id": model, "object": "model", "created": created, "owned_by": owner}


def models_response(
    request: MockRequest, model: str | None, models: Sequence[str], created: int
) -> MockResponse:
    """The answer to a models route (``Routes.is_models`` said yes, ``model`` is the id it names):
    the list, one model, 404 or 405."""
    if request.method.upper() != "GET":
        return method_not_allowed(request.method, request.path, "GET")
    if model is None:
        return json_response(200, {"object": "list", "data": [model_entry(m, created) for m in models]})
    if model not in models:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return error_response(404, message, code="model_not_found", param="model")
    return json_response(200, model_entry(model, created))
