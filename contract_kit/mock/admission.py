"""Which requests the endpoint admits: checks 1-7 of :mod:`contract_kit.mock.service`, in the order a
client meets them, each refusing with the OpenAI-style error body the live API sends.

Plain functions of the contract and the request, so the service's pipeline reads as the list of
checks, and a refusal is one exception, :class:`Rejected`, carrying the response to send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contract_kit import _json
from contract_kit.errors import ControlRequestError
from contract_kit.mock.conform import has_document_api_key, missing_query
from contract_kit.mock.control import session_name
from contract_kit.mock.conversation import tool_message_problem
from contract_kit.mock.errors_body import error_response, method_not_allowed
from contract_kit.mock.types import MockRequest, MockResponse
from contract_kit.validation import Violation

if TYPE_CHECKING:
    from contract_kit.mock.routes import Routes
    from contract_kit.mock.service import RequestContract

BEARER = re.compile(r"Bearer[ \t]+(\S+)[ \t]*", re.IGNORECASE)
"""``Authorization: Bearer <key>``, as the live API accepts it (the key is group 1)."""


class Rejected(Exception):
    """A check failed; carries the response to send."""

    def __init__(self, response: MockResponse) -> None:
        self.response = response


def check_route(routes: Routes, request: MockRequest) -> None:
    if not routes.is_chat(request.path):
        raise Rejected(
            error_response(404, f"Unknown request URL: {request.method} {request.path}.", code="not_found")
        )
    if request.method.upper() != "POST":
        raise Rejected(method_not_allowed(request.method, request.path, "POST"))


def check_content_type(request: MockRequest) -> None:
    given = request.headers.get("content-type", "")
    if given.split(";", 1)[0].strip().lower() != "application/json":
        shown = given or "no Content-Type header"
        raise Rejected(error_response(415, f"Unsupported Content-Type ({shown}); send application/json."))


def check_size(request: MockRequest, limit: int) -> None:
    if len(request.body) > limit:
        raise Rejected(
            error_response(413, f"The request body is {len(request.body)} bytes; the limit is {limit}.")
        )


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of the body; anything else is a 400 saying what was sent."""
    try:
        body = _json.loads(raw)
    except (ValueError, RecursionError) as exc:
        hint = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        message = (
            f"We could not parse the JSON body of your request ({hint}). The API expects a JSON payload, "
            "but what was sent was not valid JSON."
        )
        raise Rejected(error_response(400, message)) from None
    if not isinstance(body, dict):
        kind = "null" if body is None else type(body).__name__
        raise Rejected(error_response(400, f"The request body must be a JSON object, got {kind}."))
    return body


def check_auth(contract: RequestContract, request: MockRequest) -> None:
    """Bearer, or one of the document's ``apiKey`` schemes (Azure's ``api-key`` header)."""
    if has_document_api_key(contract, request):
        return
    value = request.headers.get("authorization")
    if value is None:
        message = (
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    elif BEARER.fullmatch(value) is None:
        message = "Malformed Authorization header; expected 'Authorization: Bearer <YOUR_AIMLAPI_KEY>'."
    else:
        return
    raise Rejected(error_response(401, message, code="invalid_api_key"))


def check_query(contract: RequestContract, request: MockRequest) -> None:
    """A required query parameter (Azure's ``api-version``) missing is a 400, as the live service answers."""
    name = missing_query(contract, request)
    if name is not None:
        message = f"Missing required query parameter '{name}'."
        raise Rejected(error_response(400, message, param=name, code="missing_required_parameter"))


def check_model(contract: RequestContract, body: Mapping[str, Any]) -> None:
    model, known = body.get("model"), contract.models
    if isinstance(model, str) and known and model not in known:
        message = f"The model `{model}` does not exist or you do not have access to it."
        raise Rejected(error_response(404, message, code="model_not_found"))


def check_schema(contract: RequestContract, body: Mapping[str, Any]) -> None:
    try:
        errors = [v for v in contract.validate_request(body) if v.severity == "error"]
    except RecursionError:
        raise Rejected(error_response(400, "The request body is nested too deeply to validate.")) from None
    if errors:
        first = errors[0]
        param = violation_param(first)
        where = f" (at {param})" if param else ""
        raise Rejected(error_response(400, f"Invalid request{where}: {first.message}", param=param))


def check_conversation(body: Mapping[str, Any]) -> None:
    problem = tool_message_problem(body.get("messages"))
    if problem is not None:
        raise Rejected(error_response(400, problem[0], param=problem[1]))


def session_of(request: MockRequest) -> str | None:
    """The ``x-contract-session`` the request names; a malformed one is a 400."""
    try:
        return session_name(request.headers)
    except ControlRequestError as exc:
        raise Rejected(error_response(400, str(exc), code="invalid_session")) from None


def violation_param(violation: Violation) -> str | None:
    """OpenAI-style ``param`` for a request violation: ``messages[0].role``, or ``None`` at the root."""
    path = violation.path[2:] if violation.path.startswith("$.") else ""
    if violation.path.startswith("$["):
        path = violation.path[1:]
    if (
        violation.rule == "required"
        and isinstance(violation.expected, list)
        and isinstance(violation.observed, Mapping)
    ):
        missing = next((name for name in violation.expected if name not in violation.observed), None)
        if isinstance(missing, str):
            path = f"{path}.{missing}" if path else missing
    return path or None
