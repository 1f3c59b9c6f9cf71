"""JSONPath for overlay targets: all of RFC 9535, through jsonpath-rfc9535, behind one small adapter.

Overlay 1.0 targets are RFC 9535 expressions, so the kit takes the whole RFC
(slices, ``&&``/``||``, functions such as ``length()``) from a maintained
library instead of a hand-written subset. The adapter adds what overlays need:

- ``Match`` carries the parent and the real key of each node, so ``update``
  and ``remove`` edit the document in place;
- PyYAML reads ``200:`` as an int while RFC 9535 names are strings, so
  ``['200']`` also finds the key ``200``: a document with non-string keys is
  queried through a string-keyed shadow and each match mapped back;
- a syntax error becomes ``OverlayError`` naming the expression and the place.

``Match.path`` holds ``str`` for members and ``int`` for indexes only, so
paths render unambiguously with :func:`~contract_kit.validation.json_path`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonpath_rfc9535

from contract_kit.errors import OverlayError
from contract_kit.validation import json_path

_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")


@dataclass(frozen=True)
class Match:
    """One selected node, with enough context to edit it in place (``parent[key]``)."""

    value: Any
    parent: Any | None
    key: str | int | None
    path: tuple[str | int, ...]

    @property
    def location(self) -> str:
        """The node's normalized path, e.g. ``$.paths["/v1/chat/completions"].post``."""
        return json_path(self.path)


def member_key(mapping: dict[Any, Any], name: str) -> str | int | None:
    """Return the key of ``mapping`` that ``name`` denotes, or None; ``'200'`` also finds int ``200``."""
    if name in mapping:
        return name
    if _INT_RE.fullmatch(name) and int(name) in mapping:
        return int(name)
    return None


@dataclass(frozen=True)
class CompiledPath:
    """A parsed expression; build it with :func:`compile_path` so parsing is cached."""

    expr: str
    query: jsonpath_rfc9535.JSONPathQuery

    def find(self, document: Any) -> list[Match]:
        if not _has_non_string_keys(document):
            return [_match(document, node.location) for node in self.query.finditer(document)]
        shadow = _string_keyed(document)
        return [_match(document, node.location) for node in self.query.finditer(shadow)]


@functools.lru_cache(maxsize=512)
def compile_path(expr: str) -> CompiledPath:
    """Parse ``expr`` once; overlays and lint reuse the same targets many times."""
    try:
        return CompiledPath(expr, jsonpath_rfc9535.compile(expr))
    except jsonpath_rfc9535.JSONPathError as exc:
        raise OverlayError(
            f"invalid JSONPath {expr!r}: {_reason(exc)}; write an RFC 9535 expression"
        ) from None


def find(expr: str, document: Any) -> list[Match]:
    """Every node ``expr`` selects in ``document``, in RFC 9535 order."""
    return compile_path(expr).find(document)


def _reason(exc: jsonpath_rfc9535.JSONPathError) -> str:
    """The library's message, which names the problem and its line and column."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _match(document: Any, location: tuple[str | int, ...]) -> Match:
    """Walk the real document along a location, keeping the last parent and its real key."""
    value, parent, key = document, None, None
    for part in location:
        parent = value
        key = part if isinstance(part, int) else member_key(value, part)
        value = value[key]
    path = tuple(part if isinstance(part, int) else str(part) for part in location)
    return Match(value, parent, key, path)


def _has_non_string_keys(document: Any) -> bool:
    return any(not isinstance(key, str) for mapping in _mappings(document) for key in mapping)


def _mappings(document: Any) -> Iterator[dict[Any, Any]]:
    """Every mapping in the document, without recursion limits."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _string_keyed(node: Any) -> Any:
    """A copy whose mapping keys are strings (``200`` becomes ``'200'``), for the query only."""
    if isinstance(node, dict):
        return {
            key if isinstance(key, str) else str(key): _string_keyed(value) for key, value in node.items()
        }
    if isinstance(node, list):
        return [_string_keyed(item) for item in node]
    return node
