"""Error bodies shaped like OpenAI's, which the AIML API and its clients follow.

Client code branches on ``error.type`` and ``error.code`` (the OpenAI SDK maps
statuses to exception classes and exposes both), so a mock that answers
``{"detail": "..."}`` tests nothing. Every error the mock sends, from routing
to scenarios, goes through :func:`error_body` so the shape is the same
everywhere: ``{"error": {"message", "type", "param", "code"}}``.

The defaults per status follow OpenAI's published conventions: 429 is
``type: "requests", code: "rate_limit_exceeded"``, 500 ``server_error``, 503
``server_error`` / ``service_unavailable``; everything in the 4xx range is an
``invalid_request_error``. 403's code (``permission_denied``) is the kit's
choice: OpenAI's 403 codes are situational (region, project scopes).
"""

from __future__ import annotations

import json
from typing import Any

from contract_kit import _json
from contract_kit.mock.types import MockResponse

_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "The request is not valid."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at https://aimlapi.com/app/keys.",
    ),
    403: ("invalid_request_error", "permission_denied", "You are not allowed to use this resource."),
    404: ("invalid_request_error", "not_found", "The requested resource does not exist."),
    405: ("invalid_request_error", "method_not_allowed", "This method is not allowed for this endpoint."),
    408: ("invalid_request_error", "timeout", "The request timed out."),
    409: ("invalid_request_error", "conflict", "The request conflicts with the current state."),
    413: ("invalid_request_error", "request_too_large", "The request body is too large."),
    415: ("invalid_request_error", "unsupported_media_type", "Send the request body as application/json."),
    422: ("invalid_request_error", None, "The request could not be processed."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", "bad_gateway", "Bad gateway."),
    503: (
        "server_error",
        "service_unavailable",
        "The engine is currently overloaded, please try again later.",
    ),
    504: ("server_error", "timeout", "The server timed out waiting for the model."),
}


def default_error(status: int) -> tuple[str, str | None, str]:
    """(type, code, message) the mock uses for ``status`` unless told otherwise."""
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    if status >= 500:
        return "server_error", None, f"The server answered {status}."
    return "invalid_request_error", None, f"The request failed with status {status}."


def error_body(
    status: int,
    message: str | None = None,
    *,
    type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """The ``{"error": {...}}`` object for ``status``, defaults filled in per status."""
    default_type, default_code, default_message = default_error(status)
    return {
        "error": {
            "message": message if message is not None else default_message,
            "type": type if type is not None else default_type,
            "param": param,
            "code": code if code is not None else default_code,
        }
    }


def error_bytes(
    status: int,
    message: str | None = None,
    *,
    type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> bytes:
    """:func:`error_body` serialized as the compact UTF-8 JSON the service sends."""
    body = error_body(status, message, type=type, code=code, param=param)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> MockResponse:
    """A JSON ``MockResponse`` (compact UTF-8, ``application/json``)."""
    return MockResponse(status, [("content-type", "application/json"), *(headers or [])], _json.dumps(body))


def error_response(
    status: int,
    message: str | None = None,
    *,
    type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> MockResponse:
    """An error ``MockResponse`` with the :func:`error_body` shape."""
    return json_response(status, error_body(status, message, type=type, code=code, param=param))


def method_not_allowed(method: str, path: str, allowed: str) -> MockResponse:
    """405 with the ``Allow`` header, for the chat route (POST) and the models route (GET)."""
    response = error_response(
        405, f"Method {method} is not allowed on {path}; use {allowed}.", code="method_not_allowed"
    )
    response.headers.append(("allow", allowed))
    return response
