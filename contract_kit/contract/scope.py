"""What the chat-completions operation reaches, and nothing else.

A published document describes dozens of operations (fine-tuning, evals,
realtime...) the kit never uses; their defects must not stop a run. The
*scope* of the operation is the operation object itself, its path item's
parameters, everything its ``$ref`` closure reaches (followed through every
keyword, one resolver: :func:`resolve_pointer`), the security schemes it
(or the document) requires, and the servers. :func:`scoped_document` keeps
exactly that, at the same places, so every finding on it carries the same
document-absolute location it has in the full document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contract_kit._json import resolve_pointer, split_pointer
from contract_kit.errors import SpecError

__all__ = ["ref_closure", "scoped_document"]

# Keywords whose values are always data: a "$ref" key inside is not a reference.
DATA_KEYWORDS = frozenset({"const", "enum", "example"})
TOP_LEVEL_KEPT = ("openapi", "info", "jsonSchemaDialect", "servers", "security", "tags")


def local_refs(node: Any) -> Iterator[str]:
    """Every local ``$ref`` string below ``node`` (data keywords skipped)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                yield ref
            stack.extend(v for k, v in item.items() if k not in DATA_KEYWORDS)
        elif isinstance(item, list):
            stack.extend(item)


def ref_closure(document: dict[str, Any], roots: list[Any]) -> list[tuple[str, ...]]:
    """The pointers (as token tuples) of every target reachable from ``roots``, sorted."""
    seen: set[tuple[str, ...]] = set()
    pending = [ref for root in roots for ref in local_refs(root)]
    while pending:
        ref = pending.pop()
        parts = split_pointer(ref)
        if parts in seen:
            continue
        seen.add(parts)
        try:
            target = resolve_pointer(document, ref)
        except SpecError:
            continue  # a dangling ref is the validator's finding, not a crash here
        pending.extend(local_refs(target))
    return sorted(seen)


def _security_schemes(document: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, ...]]:
    requirements = operation.get("security", document.get("security")) or []
    names = {name for req in requirements if isinstance(req, dict) for name in req}
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return sorted(("components", "securitySchemes", name) for name in names if name in schemes)


def scoped_document(document: dict[str, Any], path: str) -> dict[str, Any]:
    """The document cut down to the POST ``path`` operation and what it reaches, places unchanged."""
    item = (document.get("paths") or {}).get(path) or {}
    operation = item.get("post") or {}
    kept_item = {k: v for k, v in item.items() if k in ("post", "parameters", "servers", "summary")}
    scoped: dict[str, Any] = {k: document[k] for k in TOP_LEVEL_KEPT if k in document}
    scoped["paths"] = {path: kept_item}
    for parts in ref_closure(document, [kept_item]) + _security_schemes(document, operation):
        if len(parts) >= 3 and parts[0] == "components":
            _copy_at(document, scoped, parts[:3])
    return scoped


def _copy_at(source: dict[str, Any], target: dict[str, Any], parts: tuple[str, ...]) -> None:
    node_in, node_out = source, target
    for i, key in enumerate(parts):
        if not isinstance(node_in, dict) or key not in node_in:
            return
        node_in = node_in[key]
        if i == len(parts) - 1:
            node_out[key] = node_in
        else:
            node_out = node_out.setdefault(key, {})
