"""The one effective contract that the validator, generator and mock share.

:class:`Contract` holds the chat-completions operation of one effective document, every body
schema converted to JSON Schema once, and answers what the layers above ask of it. It is built
by :mod:`contract_kit.contract.loading` (``load_contract``). Everything downstream reads schemas
from here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from contract_kit import _json
from contract_kit._json import resolve_pointer
from contract_kit.contract.document import (
    SpecFiles,
    deref,
)
from contract_kit.contract.servers import Server, api_root_suffix, fill_path
from contract_kit.defaults import JSON_TYPE, SSE_TYPE
from contract_kit.errors import ContractViolationError, SpecError
from contract_kit.validation import (
    SchemaCheck,
    StreamReport,
    Violation,
    check_completion,
    check_stream,
    errors_only,
)

JSON, EVENT_STREAM = JSON_TYPE, SSE_TYPE
_MEMO_LIMIT = 256


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass
class Contract:
    """The effective document of one profile and its compiled body schemas."""

    profile: str
    files: SpecFiles
    document: dict[str, Any]
    original: dict[str, Any]
    path: str
    base_path: str
    request_schema: dict[str, Any] | bool
    responses: dict[str, dict[str, dict[str, Any] | bool]]
    skipped_actions: list[str] = field(default_factory=list)
    conversion_notes: dict[str, str] = field(default_factory=dict)  # pointer -> 3.0 syntax read by intent
    servers: tuple[Server, ...] = field(
        default_factory=lambda: (Server("/"),)
    )  # the operation's (servers.py)
    _checks: dict[tuple[str, str], SchemaCheck] = field(default_factory=dict, repr=False)
    _request_check: SchemaCheck | None = field(default=None, repr=False)
    # (status, content type) exactly as callers pass them -> check: one dict lookup per validated response.
    _checks_by_argument: dict[tuple[int | str, str], SchemaCheck | None] = field(
        default_factory=dict, repr=False
    )
    _facts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- schemas ---------------------------------------------------------
    @property
    def operation(self) -> dict[str, Any]:
        return dict(self.document["paths"][self.path]["post"])

    @property
    def documented_statuses(self) -> list[str]:
        return sorted(self.responses)

    def response_schema(
        self, status: int | str = 200, content_type: str = JSON
    ) -> dict[str, Any] | bool | None:
        key = self.status_key(status)
        if key is None:
            return None
        return self.responses[key].get(self._stream_media(key, media_type(content_type)))

    @property
    def chunk_schema(self) -> dict[str, Any] | bool | None:
        return self.response_schema(200, EVENT_STREAM)

    def _stream_media(self, key: str | None, mtype: str) -> str:
        """Chunks are checked against ``text/event-stream``; a document that declares none but whose
        JSON 200 schema is a union of the answer and the chunk (Azure's) has its chunks checked there."""
        if mtype != EVENT_STREAM or key is None or EVENT_STREAM in self.responses[key]:
            return mtype
        schema = self.responses[key].get(JSON)
        return JSON if isinstance(schema, dict) and ("oneOf" in schema or "anyOf" in schema) else mtype

    def status_key(self, status: int | str) -> str | None:
        """Exact code, then its range (``5XX``), then ``default``, as OpenAPI resolves them."""
        code = str(status)
        for key in (code, f"{code[:1]}XX", "default"):
            if key in self.responses:
                return key
        return None

    def _memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """What the mock asks on every request, read from the document once (like the compiled checks)."""
        try:
            return self._facts[name]
        except KeyError:
            value = self._facts[name] = compute()
            return value

    @property
    def models(self) -> list[str]:
        """The model names the request schema allows (empty when it allows any string)."""
        return list(self._memo("models", self._models))

    def _models(self) -> tuple[str, ...]:
        schema = self.request_schema
        if not isinstance(schema, dict):
            return ()
        model = _property_schema(schema, schema, "model")
        return tuple(m for m in _allowed_values(schema, model) or [] if isinstance(m, str))

    @property
    def api_key_locations(self) -> list[tuple[str, str]]:
        """``(in, name)`` of each ``apiKey`` security scheme the operation accepts (Azure: header ``api-key``)."""
        return list(self._memo("api_key_locations", self._api_key_locations))

    def _api_key_locations(self) -> tuple[tuple[str, str], ...]:
        requirements = self.document["paths"][self.path]["post"].get(
            "security", self.document.get("security")
        )
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        names = sorted({name for req in requirements or [] if isinstance(req, dict) for name in req})
        found = [deref(self.document, schemes.get(name)) for name in names]
        return tuple(
            (str(s.get("in")), str(s.get("name")))
            for s in found
            if isinstance(s, dict) and s.get("type") == "apiKey" and s.get("in") in ("header", "query")
        )

    @property
    def required_query(self) -> dict[str, str]:
        """The operation's required query parameters (Azure: ``api-version``) with suggested values."""
        return dict(self._memo("required_query", lambda: self._suggested_parameters("query")))

    def _suggested_parameters(self, location: str) -> dict[str, str]:
        """Each required parameter ``in: location`` (path-level ones included) with a value the document
        suggests: its example, default or first enum value."""
        item = self.document["paths"][self.path]
        declared = [*(item.get("parameters") or []), *(item["post"].get("parameters") or [])]
        params = [deref(self.document, p) for p in declared]
        return {
            str(p["name"]): _suggested_value(deref(self.document, p.get("schema") or {}), p)
            for p in params
            if isinstance(p, dict) and p.get("in") == location and p.get("required")
        }

    # -- where it is served (``servers.py``) ------------------------------
    @property
    def server_urls(self) -> list[str]:
        """Each server URL of the operation, variables at their defaults (Azure's ``https://{endpoint}/openai``
        gives ``https://your-resource-name.openai.azure.com/openai``)."""
        return list(dict.fromkeys(server.url for server in self.servers))

    @property
    def api_roots(self) -> list[str]:
        """Each server's base URL for an OpenAI-style client (the bundled document's ``https://api.aimlapi.com/v1``)."""
        suffix = api_root_suffix(self.path)
        return list(dict.fromkeys(url + suffix for url in self.server_urls))

    @property
    def api_root_path(self) -> str:
        """The first API root's path: ``/v1`` (bundled and OpenAI documents), ``/openai`` (Azure)."""
        return urlsplit(self.api_roots[0]).path

    @property
    def sample_path(self) -> str:
        """The operation's path as a client sends it under the first server, each path parameter at its
        example, default or first enum value (Azure: ``/openai/deployments/1/chat/completions``)."""
        return urlsplit(self.server_urls[0]).path + self.filled_path

    @property
    def filled_path(self) -> str:
        """The operation's path with each path parameter filled as in :attr:`sample_path`
        (Azure: ``/deployments/1/chat/completions``)."""
        return fill_path(self.path, self._suggested_parameters("path"))

    # -- assertions (fail a test with a readable violation list) --------------
    def assert_request(self, body: Any) -> None:
        """Fail when ``body`` breaks the request schema."""
        __tracebackhide__ = True
        _fail_on_errors(self.validate_request(body), f"request breaks the {self.profile!r} contract")

    def assert_response(self, body: Any, status: int = 200, content_type: str = JSON) -> None:
        """Fail when a JSON response breaks the schema or a semantic rule."""
        __tracebackhide__ = True
        violations = self.validate_response(body, status, content_type)
        _fail_on_errors(violations, f"response breaks the {self.profile!r} contract")

    def assert_stream(
        self, source: bytes | Iterable[Any], request: Mapping[str, Any] | None = None
    ) -> StreamReport:
        """Fail when a stream breaks a chunk schema or a stream invariant; return the report."""
        __tracebackhide__ = True
        report = self.validate_stream(source, request)
        _fail_on_errors(report.violations, f"stream breaks the {self.profile!r} contract")
        return report

    # -- checks ----------------------------------------------------------
    def request_check(self) -> SchemaCheck:
        if self._request_check is None:
            self._request_check = SchemaCheck(self.request_schema, name="request", formats=True)
        return self._request_check

    def response_check(self, status: int | str = 200, content_type: str = JSON) -> SchemaCheck | None:
        try:
            return self._checks_by_argument[(status, content_type)]
        except KeyError:
            check = self._resolve_response_check(status, content_type)
            if len(self._checks_by_argument) < _MEMO_LIMIT:  # wire content types vary without bound
                self._checks_by_argument[(status, content_type)] = check
            return check

    def _resolve_response_check(self, status: int | str, content_type: str) -> SchemaCheck | None:
        key = self.status_key(status)
        mtype = self._stream_media(key, media_type(content_type))
        if key is None or mtype not in self.responses[key]:
            return None
        check = self._checks.get((key, mtype))
        if check is None:
            check = SchemaCheck(self.responses[key][mtype], name=f"{key} {mtype}")
            self._checks[(key, mtype)] = check
        return check

    def validate_request(self, body: Any) -> list[Violation]:
        """Schema violations of a request body, most relevant first."""
        return self.request_check().violations(body, "request")

    def validate_response(
        self,
        body: Any,
        status: int | str = 200,
        content_type: str = JSON,
        *,
        where: str = "response",
        request: Mapping[str, Any] | None = None,
    ) -> list[Violation]:
        """Schema errors, semantic errors and (``info``) undocumented fields of a JSON response.

        With ``request``, the semantic rules that need it run too (``response_format``, ``tool_choice``...).
        """
        check = self.response_check(status, content_type)
        if check is None:
            return [self._undocumented_response(status, content_type, where)]
        found, undocumented = check.check(body, where)
        if undocumented:
            found.extend(undocumented)
        if (200 <= status < 300) if status.__class__ is int else str(status).startswith("2"):
            found.extend(check_completion(body, request, where=where))
        return found

    def validate_response_bytes(
        self,
        raw: bytes,
        status: int | str = 200,
        content_type: str = JSON,
        *,
        request: Mapping[str, Any] | None = None,
    ) -> list[Violation]:
        """Parse and validate a raw JSON body; unparsable JSON is a framing violation."""
        try:
            body = _json.loads(raw)
        except ValueError as exc:
            return [
                Violation(
                    "$",
                    "json",
                    f"the body is not valid JSON ({exc})",
                    "response",
                    "JSON",
                    raw[:120].decode("utf-8", "replace"),
                    kind="framing",
                )
            ]
        return self.validate_response(body, status, content_type, request=request)

    def validate_chunk(self, chunk: Any, index: int = 0) -> list[Violation]:
        check = self.response_check(200, EVENT_STREAM)
        if check is None:  # a stream the document does not declare is a finding, not a pass
            return [self._undocumented_response(200, EVENT_STREAM, f"chunk {index}")]
        errors, undocumented = check.check(chunk, f"chunk {index}")
        return errors + undocumented

    def validate_stream(
        self, source: bytes | Iterable[Any], request: Mapping[str, Any] | None = None
    ) -> StreamReport:
        """Every chunk, the stream invariants and the semantics of the reassembled message."""
        check = self.response_check(200, EVENT_STREAM)
        report = check_stream(source, check, request)
        if check is None:  # the invariants still run; the missing chunk schema is named first
            report.violations.insert(0, self._undocumented_response(200, EVENT_STREAM, "stream"))
        return report

    def _undocumented_response(self, status: int | str, content_type: str, where: str) -> Violation:
        key = self.status_key(status)
        if key is None:
            return Violation(
                "$",
                "status",
                f"status {status} is not documented (documented: {', '.join(self.documented_statuses)})",
                where,
                self.documented_statuses,
                status,
                kind="status",
            )
        known = sorted(self.responses[key])
        return Violation(
            "$",
            "content-type",
            f"content type {media_type(content_type)!r} is not documented for "
            f"status {status} (documented: {', '.join(known) or 'none'})",
            where,
            known,
            content_type,
            kind="content-type",
        )


def _fail_on_errors(violations: list[Violation], title: str) -> None:
    """Only ``error`` severity fails; ``info`` findings are listed in a failure's message but never cause one."""
    __tracebackhide__ = True
    if errors_only(violations):
        raise ContractViolationError(violations, title=title)


def _follow(root: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """Follow ``#/$defs/`` references (the converted schema's only kind) to the schema they name."""

    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 32:
        try:
            schema = resolve_pointer(root, schema["$ref"])
        except SpecError:
            return {}
        depth += 1
    return schema


def _property_schema(root: dict[str, Any], schema: Any, name: str, depth: int = 0) -> Any:
    """The schema of property ``name``, through references and ``allOf`` parts (the last that names it)."""
    schema = _follow(root, schema)
    if not isinstance(schema, dict) or depth > 32:
        return None
    found = (schema.get("properties") or {}).get(name)
    for part in schema.get("allOf") or []:
        found = _property_schema(root, part, name, depth + 1) or found
    return found


def _allowed_values(root: dict[str, Any], schema: Any, depth: int = 0) -> list[Any] | None:
    """The closed set of values a schema allows, or ``None`` when it is open (any string)."""
    schema = _follow(root, schema)
    if not isinstance(schema, dict) or depth > 32:
        return None
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not isinstance(branches, list):
        return None
    values: list[Any] = []
    for branch in branches:
        allowed = _allowed_values(root, branch, depth + 1)
        if allowed is None:
            return None
        values += allowed
    return values


def _suggested_value(schema: Any, parameter: Mapping[str, Any]) -> str:
    for source in (parameter, schema if isinstance(schema, Mapping) else {}):
        for key in ("example", "default"):
            if source.get(key) is not None:
                return str(source[key])
        if isinstance(source.get("enum"), list) and source["enum"]:
            return str(source["enum"][0])
    return "1"
