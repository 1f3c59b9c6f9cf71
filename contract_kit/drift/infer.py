"""Schemas inferred from every observed value of a path, for proposed overlays.

A schema inferred from the first value alone breaks on the next response: a
field seen as ``3`` and later ``3.5`` must be ``number``, not ``integer``. So
a finding keeps a *shape*, a small JSON-serializable summary of all values
seen at its path (merged across responses and xdist workers), and the
proposal is inferred from it:

- the union of the types seen, ``integer`` and ``number`` merged to ``number``;
  several types become ``anyOf``;
- ``nullable: true`` when ``null`` was seen (OpenAPI 3.0, the document's dialect);
- an ``enum`` only for strings seen repeatedly: at most 10 distinct values,
  each seen at least twice;
- object properties from every object, ``required`` only for properties
  present in every one of at least two objects; array items from every item.

genson (a maintained JSON Schema generator) merges types too, but writes
JSON Schema's ``type: [..., "null"]`` instead of OpenAPI 3.0 ``nullable``,
never infers enums, and keeps no counts; its builder state does not merge
across processes as plain JSON. This module is small and does all four.
"""

from __future__ import annotations

import json
from typing import Any

from contract_kit._json import json_type

MAX_DEPTH = 4
MAX_VALUES = 20
MAX_PROPERTIES = 30
ENUM_MAX = 10

Shape = dict[str, Any]


def observe(shape: Shape | None, value: Any, depth: int = 0) -> Shape:
    """Fold one value into ``shape`` (a new shape when ``None``); returns it."""
    shape = shape if shape is not None else {"n": 0, "types": {}}
    kind = json_type(value)
    shape["n"] += 1
    shape["types"][kind] = shape["types"].get(kind, 0) + 1
    if kind == "string":
        _count_value(shape, value)
    if depth >= MAX_DEPTH:
        return shape
    if kind == "object":
        shape["objects"] = shape.get("objects", 0) + 1
        properties = shape.setdefault("properties", {})
        for name, item in list(value.items())[:MAX_PROPERTIES]:
            properties[str(name)] = observe(properties.get(str(name)), item, depth + 1)
    elif kind == "array":
        for item in value[:MAX_VALUES]:
            shape["items"] = observe(shape.get("items"), item, depth + 1)
    return shape


def _count_value(shape: Shape, value: str) -> None:
    values = shape.setdefault("values", {})
    if value in values or len(values) < MAX_VALUES:
        values[value] = values.get(value, 0) + 1
    else:
        shape["many"] = True


def merge(a: Shape | None, b: Shape | None) -> Shape | None:
    """Two shapes as one (a collector merging the same finding from two responses)."""
    if a is None or b is None:
        return a or b
    out: Shape = {"n": a["n"] + b["n"], "types": _add(a["types"], b["types"])}
    if "values" in a or "values" in b:
        out["values"] = _add(a.get("values") or {}, b.get("values") or {})
        out["many"] = a.get("many", False) or b.get("many", False) or len(out["values"]) > MAX_VALUES
    if "objects" in a or "objects" in b:
        out["objects"] = a.get("objects", 0) + b.get("objects", 0)
        props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
        out["properties"] = {k: merge(props_a.get(k), props_b.get(k)) for k in {**props_a, **props_b}}
    if "items" in a or "items" in b:
        out["items"] = merge(a.get("items"), b.get("items"))
    return out


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b}}


def to_schema(shape: Shape | None) -> dict[str, Any]:
    """The OpenAPI 3.0 schema for everything the shape saw."""
    if not shape:
        return {}
    types = [t for t in shape["types"] if t != "null"]
    if "integer" in types and "number" in types:
        types.remove("integer")
    nullable = "null" in shape["types"]
    if not types:
        return {"nullable": True}
    branches = [_schema_of(t, shape) for t in sorted(types)]
    schema: dict[str, Any] = branches[0] if len(branches) == 1 else {"anyOf": branches}
    if nullable:
        schema["nullable"] = True
    return schema


def _schema_of(kind: str, shape: Shape) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if kind == "string":
        values = shape.get("values") or {}
        if values and not shape.get("many") and len(values) <= ENUM_MAX and min(values.values()) >= 2:
            schema["enum"] = sorted(values)
    elif kind == "object" and "properties" in shape:
        properties = shape["properties"]
        schema["properties"] = {name: to_schema(sub) for name, sub in sorted(properties.items())}
        objects = shape.get("objects", 0)
        always = [name for name, sub in sorted(properties.items()) if sub["n"] >= objects]
        if objects >= 2 and always:
            schema["required"] = always
    elif kind == "array":
        schema["items"] = to_schema(shape.get("items"))
    return schema


def infer_schema(value: Any) -> dict[str, Any]:
    """A schema for one value (what :func:`to_schema` gives after one :func:`observe`)."""
    return to_schema(observe(None, value))


def examples(samples: list[Any], limit: int = 3) -> list[Any]:
    """Distinct samples, JSON-equal ones once."""
    seen, out = set(), []
    for sample in samples:
        key = json.dumps(sample, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(sample)
    return out[:limit]
