"""The mock's answers conform to the loaded document: checked before they leave, fitted when they do not.

Also what the document says about a request beyond its body: where its
``apiKey`` schemes put a key, and which query parameters it requires.
"""

from __future__ import annotations

import weakref
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs

from contract_kit import _json
from contract_kit.defaults import SSE_TYPE
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


def conformed_chunks(contract: Any, chunks: list[Any]) -> list[Any]:
    """A stream's chunks checked in one compiled-validator call (an array of chunks), not one per chunk;
    when one does not conform, each is checked and fitted as :func:`conformed` does."""
    lookup = getattr(contract, "response_check", None)
    check = lookup(200, SSE_TYPE) if callable(lookup) else None
    if check is None:
        return chunks
    batch = _batch_validator(check)
    if batch is not None and batch.is_valid(chunks):
        return chunks
    return [conformed(contract, chunk, SSE_TYPE) for chunk in chunks]


_BATCHES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_NO_BATCH = object()


def _batch_validator(check: Any) -> Any:
    """A validator for a list of what ``check`` validates, compiled once per check; ``None`` when the
    schema has a ``$ref`` (it would not resolve from inside a wrapper) or is not a check of ours."""
    batch = _BATCHES.get(check, None)
    if batch is None:
        schema = getattr(check, "schema", None)
        if not isinstance(schema, (dict, bool)) or "$ref" in _json.dumps(schema).decode():
            batch = _NO_BATCH
        else:
            formats = bool(getattr(check, "formats", False))
            batch = jsonschema_rs.validator_for({"type": "array", "items": schema}, validate_formats=formats)
        _BATCHES[check] = batch
    return None if batch is _NO_BATCH else batch


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
