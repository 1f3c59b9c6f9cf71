"""``invalid_chat_requests``: requests that break exactly one rule, each naming the rule it breaks.

A case starts from a valid, coherent request (so nothing else is wrong with
it) and makes one break the contract's request schema forbids; see
:mod:`contract_kit.strategies.mutations` for where breaks are found and which
violation each one must produce. Two kinds sit before the schema and have
rules of their own, reported at ``$``:

- ``not-json``: the body is not RFC 8259 JSON (cut short, trailing garbage,
  single quotes, invalid UTF-8, empty) -> rule ``json``;
- ``wrong-content-type``: a JSON body sent as another media type -> rule
  ``content-type``.

:func:`raw_request_violations` applies all of these the way a server meets
them (media type, then parsing, then the schema), so a case's expected
violation is always the first error it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypothesis import reject
from hypothesis import strategies as st

from contract_kit import _json
from contract_kit.contract import media_type
from contract_kit.defaults import JSON_TYPE
from contract_kit.errors import ConfigError
from contract_kit.strategies import mutations as mu
from contract_kit.strategies.requests import RequestBuilder, RequestOptions
from contract_kit.strategies.schema import Schema
from contract_kit.validation import Violation, json_path

if TYPE_CHECKING:
    from contract_kit.contract import Contract

JSON_MEDIA_TYPE = JSON_TYPE
NOT_JSON, WRONG_CONTENT_TYPE = "not-json", "wrong-content-type"
JSON_RULE, CONTENT_TYPE_RULE = "json", "content-type"
INVALID_KINDS = (
    mu.MISSING_REQUIRED,
    mu.WRONG_TYPE,
    mu.OUT_OF_RANGE,
    mu.NOT_IN_ENUM,
    mu.MALFORMED_PART,
    mu.WRONG_ROLE_SHAPE,
    NOT_JSON,
    WRONG_CONTENT_TYPE,
)
WRONG_MEDIA_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=contract-kit",
    "application/xml",
    "text/html; charset=utf-8",
)


@dataclass(frozen=True)
class InvalidCase:
    """A request body that breaks exactly one rule, and the violation that rule produces.

    ``expected_path``/``expected_rule`` are what :func:`raw_request_violations`
    (and so ``Contract.validate_request`` for JSON bodies) reports first, e.g.
    ``$.messages[1]`` / ``required``. ``json`` is the parsed body, ``None``
    when the body is not JSON.
    """

    kind: str
    body: bytes
    content_type: str
    expected_path: str
    expected_rule: str
    description: str
    json: Any = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.description} (expect {self.expected_rule} at {self.expected_path})"


def raw_request_violations(contract: Contract, body: bytes, content_type: str | None) -> list[Violation]:
    """Violations of a raw request, in the order a server checks: media type, JSON, schema."""

    if media_type(content_type) != JSON_MEDIA_TYPE:
        return [
            Violation(
                "$",
                CONTENT_TYPE_RULE,
                f"the body is sent as {content_type!r}, not {JSON_MEDIA_TYPE}",
                "request",
                JSON_MEDIA_TYPE,
                content_type,
                kind="content-type",
            )
        ]
    try:
        parsed = _json.loads(body)
    except ValueError as exc:
        return [
            Violation(
                "$",
                JSON_RULE,
                f"the body is not valid JSON ({exc})",
                "request",
                "JSON",
                body[:120].decode("utf-8", "replace"),
                kind="framing",
            )
        ]
    return contract.validate_request(parsed)


class InvalidBuilder:
    """Strategies for one contract's invalid requests."""

    def __init__(self, request_schema: Mapping[str, Any] | bool, kinds: Iterable[str] | None) -> None:
        chosen = tuple(kinds) if kinds is not None else INVALID_KINDS
        unknown = [kind for kind in chosen if kind not in INVALID_KINDS]
        if unknown or not chosen:
            raise ConfigError(
                f"unknown invalid-request kind(s) {unknown!r}; choose from {', '.join(INVALID_KINDS)}"
            )
        self.kinds = chosen
        self.requests = RequestBuilder(request_schema, RequestOptions())
        self.with_parts = RequestBuilder(request_schema, RequestOptions(parts=True, max_turns=2))
        self.finder = mu.SiteFinder(self.requests.view)
        self._bases = {False: self.requests.requests(), True: self.with_parts.requests()}
        self._parts: dict[int, st.SearchStrategy[dict[str, Any]]] = {}

    def cases(self) -> st.SearchStrategy[InvalidCase]:
        return st.composite(self._draw_case)()

    def _draw_case(self, draw: st.DrawFn) -> InvalidCase:
        kind = draw(st.sampled_from(self.kinds))
        base = draw(self._bases[kind == mu.MALFORMED_PART])
        if kind == NOT_JSON:
            return self._draw_not_json(draw, base)
        if kind == WRONG_CONTENT_TYPE:
            media = draw(st.sampled_from(WRONG_MEDIA_TYPES))
            return InvalidCase(
                kind,
                _json.dumps(base),
                media,
                "$",
                CONTENT_TYPE_RULE,
                f"a valid JSON body sent as {media!r}",
                base,
            )
        site, broken = self._draw_break(draw, kind, base)
        return InvalidCase(
            site.kind,
            _json.dumps(broken),
            JSON_MEDIA_TYPE,
            json_path(site.expected_path),
            site.expected_rule,
            site.description,
            broken,
        )

    def _draw_break(self, draw: st.DrawFn, kind: str, base: dict[str, Any]) -> tuple[mu.Site, Any]:
        """A site of ``kind`` (else of any kind) and the request it breaks.

        A break the whole request still passes is skipped: a combinator above the broken place
        may take any value there (``stop``'s ``anyOf`` has a bare ``{}`` branch, which takes
        ``[7]`` as readily as ``["x"]``), so a site judged from its own subschema can be no break.
        """
        sites = self.finder.sites(base)
        candidates = [site for site in sites if site.kind == kind] or sites
        while candidates:
            site = draw(st.sampled_from(candidates))
            value = None if site.part_schema is None else [draw(self._part(site.part_schema))]
            broken = site.apply(base, value)
            if not self.finder.accepts(self.finder.view.root, broken):
                return site, broken
            candidates = [other for other in candidates if other is not site]
        reject()  # every break of this request is absorbed: draw another request

    def _part(self, schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
        """A valid part of another role's kind (cached: the schema belongs to the contract)."""
        if id(schema) not in self._parts:
            self._parts[id(schema)] = self.requests.compiler.object(schema, "messages[].content[]")
        return self._parts[id(schema)]

    def _draw_not_json(self, draw: st.DrawFn, base: dict[str, Any]) -> InvalidCase:
        raw = _json.dumps(base)
        how = draw(st.sampled_from(tuple(_NOT_JSON)))
        body = _NOT_JSON[how](raw, draw(st.integers(1, len(raw) - 1)))
        return InvalidCase(NOT_JSON, body, JSON_MEDIA_TYPE, "$", JSON_RULE, f"the body is {how}")


# Each turns the valid JSON ``raw`` into bytes no RFC 8259 parser accepts; ``cut`` is a drawn offset.
_NOT_JSON: dict[str, Callable[[bytes, int], bytes]] = {
    "cut short": lambda raw, cut: raw[:cut],
    "followed by garbage": lambda raw, cut: raw + b"}",
    "written with single quotes": lambda raw, cut: raw.replace(b'"', b"'"),
    "invalid UTF-8": lambda raw, cut: raw[:2] + b"\xff" + raw[2:],
    "empty": lambda raw, cut: b"",
}
