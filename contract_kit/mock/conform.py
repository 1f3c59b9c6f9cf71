"""The mock's answers conform to the loaded document: checked before they leave, fitted when they do not.

Also what the document says about a request beyond its body: where its
``apiKey`` schemes put a key, and which query parameters it requires.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from contract_kit import _json
from contract_kit.mock.fit import fit
from contract_kit.mock.types import MockRequest, MockResponse


def conformed(contract: Any, answer: Any, content_type: str = "application/json", status: int = 200) -> Any:
    """The answer checked against the loaded contract before it leaves (one compiled-validator call);
    one that does not conform is fitted to the document's schema (``mock/fit.py``)."""
    lookup = getattr(contract, "response_check", None)
    check = lookup(status, content_type) if callable(lookup) else None
    if check is None or check.is_valid(answer):
        return answer
    return fit(answer, contract.response_schema(status, content_type))  # type: ignore[attr-defined]


def fitted_error(contract: Any, response: MockResponse) -> MockResponse:
    """An error body fitted to the schema the loaded document gives its status (Azure: no null ``code``)."""
    if response.body is None or not callable(getattr(contract, "response_check", None)):
        return response
    try:
        body = _json.loads(response.body)
    except ValueError:
        return response
    response.body = _json.dumps(conformed(contract, body, status=response.status))
    return response


def has_document_api_key(contract: Any, request: MockRequest) -> bool:
    """A non-empty key where one of the document's ``apiKey`` schemes puts it (header or query)."""
    locations = getattr(contract, "api_key_locations", [])
    query = parse_qs(urlsplit(request.url).query) if any(where == "query" for where, _ in locations) else {}
    for where, name in locations:
        value = request.headers.get(name.lower()) if where == "header" else (query.get(name) or [""])[0]
        if value and value.strip():
            return True
    return False


def missing_query(contract: Any, request: MockRequest) -> str | None:
    """The first required query parameter of the document (Azure's ``api-version``) the request lacks."""
    required = getattr(contract, "required_query", [])
    if not required:
        return None
    present = parse_qs(urlsplit(request.url).query)
    return next((name for name in required if not present.get(name)), None)
