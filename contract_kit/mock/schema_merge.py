"""Merging JSON Schemas: one schema that demands what two demand (how ``allOf`` is generated).

Split from :mod:`contract_kit.mock.instances`, which walks a schema to build a
value; merging is its own small rule book (bounds tighten, types intersect,
enums intersect, both sides' combinators are kept).
"""

from __future__ import annotations

from typing import Any

_COMBINATORS = ("anyOf", "oneOf", "allOf")
_LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")


def merge_schemas(a: Any, b: Any) -> Any:
    """One schema that demands what both demand (how ``allOf`` is generated)."""
    if a is False or b is False:
        return False
    if not isinstance(a, dict):
        return b
    if not isinstance(b, dict):
        return a
    out = dict(a)
    postponed = []
    for key, value in b.items():
        if key in out and key in _COMBINATORS:
            postponed.append({key: value})  # both sides keep their branches: defer to an allOf
        else:
            out[key] = _merge_keyword(key, out[key], value) if key in out else value
    if postponed:
        out["allOf"] = [*out.get("allOf", []), *postponed]
    return out


def _merge_keyword(key: str, mine: Any, theirs: Any) -> Any:
    if key == "properties" and isinstance(mine, dict) and isinstance(theirs, dict):
        return {**mine, **{k: merge_schemas(mine[k], v) if k in mine else v for k, v in theirs.items()}}
    if key == "required" and isinstance(mine, list) and isinstance(theirs, list):
        return mine + [name for name in theirs if name not in mine]
    if key in _LOWER_BOUNDS and numbers(mine, theirs):
        return max(mine, theirs)
    if key in _UPPER_BOUNDS and numbers(mine, theirs):
        return min(mine, theirs)
    if key == "type":
        return _intersect_types(mine, theirs)
    if key == "enum" and isinstance(mine, list) and isinstance(theirs, list):
        return [item for item in mine if item in theirs]
    if key in ("items", "additionalProperties"):
        return merge_schemas(mine, theirs)
    return theirs


def _intersect_types(mine: Any, theirs: Any) -> Any:
    left = set(mine if isinstance(mine, list) else [mine])
    right = set(theirs if isinstance(theirs, list) else [theirs])
    both = left & right
    if ("integer" in left and "number" in right) or ("number" in left and "integer" in right):
        both.add("integer")
    ordered = sorted(both)
    return ordered[0] if len(ordered) == 1 else ordered


def numbers(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
