"""Fit a rendered answer to the loaded contract's schema: the wire shape comes from the document.

``render`` writes the richest answer the engine knows (the seed vendor's
observed shape). Fitting then makes it what the *loaded* document describes:
a property the schema does not declare is dropped (``reasoning_content`` and
``meta`` stay only where an overlay declares them), a ``null`` the schema
rejects is dropped (or, when required, replaced by the smallest valid value),
and a required property the answer lacks (OpenAI's ``refusal``) is added with
the smallest valid value (``null`` when allowed). On the bundled document's
profiles the rendered answer already conforms and fitting changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract_kit._json import json_type, resolve_pointer
from contract_kit.errors import SpecError

__all__ = ["fit", "smallest"]

_MAX_DEPTH = 48


class _Defs:
    """Follows ``#/$defs/`` references of one converted schema and flattens ``allOf``."""

    def __init__(self, root: Any) -> None:
        self.root = root if isinstance(root, Mapping) else {}

    def resolve(self, schema: Any, depth: int = 0) -> Mapping[str, Any]:
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return {}
        if isinstance(schema.get("$ref"), str):
            target = self._target(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return (
                self._merge([self.resolve(target, depth + 1), rest])
                if rest
                else self.resolve(target, depth + 1)
            )
        if isinstance(schema.get("allOf"), list):
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self._merge([rest, *(self.resolve(p, depth + 1) for p in schema["allOf"])])
        return schema

    def _target(self, ref: str) -> Any:
        try:
            return resolve_pointer(self.root, ref) if ref.startswith("#/") else None
        except SpecError:
            return None

    @staticmethod
    def _merge(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            for key, value in part.items():
                if key == "properties" and isinstance(value, Mapping):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
                else:
                    merged[key] = value
        return merged


def fit(value: Any, schema: Any) -> Any:
    """``value`` made to fit ``schema`` (a converted 2020-12 schema with its ``$defs``)."""
    if not isinstance(schema, Mapping):
        return value
    return _fit(value, schema, _Defs(schema), 0)


def _fit(value: Any, schema: Any, defs: _Defs, depth: int) -> Any:
    node = defs.resolve(schema)
    if not node or depth > _MAX_DEPTH:
        return value
    branches = node.get("anyOf") or node.get("oneOf")
    if isinstance(branches, list) and branches:
        return _fit(value, _branch_for(value, branches, defs), defs, depth + 1)
    if isinstance(value, dict):
        return _fit_object(value, node, defs, depth)
    if isinstance(value, list) and isinstance(node.get("items"), (Mapping, bool)):
        return [_fit(item, node["items"], defs, depth + 1) for item in value]
    return value


def _branch_for(value: Any, branches: list[Any], defs: _Defs) -> Any:
    """The branch whose type takes the value; for objects, the one declaring the most of its keys."""
    kind = json_type(value)
    fitting = [b for b in branches if kind in _types(defs.resolve(b)) or not _types(defs.resolve(b))]
    if not fitting:
        return branches[0]
    if isinstance(value, dict):
        fitting = [b for b in fitting if not _conflicts(value, defs.resolve(b), defs)] or fitting
        return max(fitting, key=lambda b: len(set(value) & set(defs.resolve(b).get("properties") or {})))
    return fitting[0]


def _conflicts(value: dict[str, Any], node: Mapping[str, Any], defs: _Defs) -> bool:
    """A branch whose tag property (one ``const``/``enum`` value, like ``object``) says otherwise."""
    for name, sub in (node.get("properties") or {}).items():
        prop = defs.resolve(sub)
        allowed = [prop["const"]] if "const" in prop else prop.get("enum")
        if name in value and isinstance(allowed, list) and len(allowed) == 1 and value[name] != allowed[0]:
            return True
    return False


def _fit_object(value: dict[str, Any], node: Mapping[str, Any], defs: _Defs, depth: int) -> dict[str, Any]:
    props = node.get("properties")
    if not isinstance(props, Mapping) or not props:
        return value
    required = [name for name in node.get("required") or [] if isinstance(name, str)]
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in props:
            continue
        if item is None and not _accepts_null(props[key], defs):
            if key in required:
                out[key] = smallest(props[key], defs)
            continue
        out[key] = _fit(item, props[key], defs, depth + 1)
    for key in required:
        if key not in out and key in props:
            out[key] = smallest(props[key], defs)
    return out


def smallest(schema: Any, defs: _Defs | None = None, depth: int = 0) -> Any:
    """The smallest value a schema plainly accepts: null when allowed, else an empty or zero value."""
    defs = defs or _Defs(schema)
    node = defs.resolve(schema)
    if depth > _MAX_DEPTH:
        return None
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return None if None in node["enum"] else node["enum"][0]
    if _accepts_null(node, defs):
        return None
    branches = node.get("anyOf") or node.get("oneOf")
    if isinstance(branches, list) and branches:
        return smallest(branches[0], defs, depth + 1)
    kinds = _types(node)
    if "string" in kinds:
        return "x" * int(node.get("minLength", 0))
    if "integer" in kinds or "number" in kinds:
        low = node.get("minimum", node.get("exclusiveMinimum"))
        return max(0, int(low) + 1) if isinstance(low, (int, float)) else 0
    if "boolean" in kinds:
        return False
    if "array" in kinds:
        return [smallest(node.get("items"), defs, depth + 1) for _ in range(int(node.get("minItems", 0)))]
    props = node.get("properties") or {}
    return {k: smallest(props[k], defs, depth + 1) for k in node.get("required") or [] if k in props}


def _accepts_null(schema: Any, defs: _Defs) -> bool:
    node = defs.resolve(schema)
    if not node:
        return True
    if "null" in _types(node) or (isinstance(node.get("enum"), list) and None in node["enum"]):
        return True
    branches = node.get("anyOf") or node.get("oneOf")
    if isinstance(branches, list):
        return any(_accepts_null(b, defs) for b in branches)
    return not _types(node) and "enum" not in node and "const" not in node and "properties" not in node


def _types(node: Mapping[str, Any]) -> tuple[str, ...]:
    kind = node.get("type")
    if isinstance(kind, str):
        return (kind,)
    return tuple(t for t in kind if isinstance(t, str)) if isinstance(kind, list) else ()
