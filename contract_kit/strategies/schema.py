"""Reading a converted request schema: what the contract allows, asked in plain terms.

Every strategy learns the models, roles, part types, enum values and numeric
bounds from here, never from a literal in the code, so a document for another
model (other enum values, other bounds, an extra parameter) changes the
generated cases with no code change. The schema is the JSON Schema 2020-12
that :mod:`contract_kit.contract.oas30` produced: ``nullable`` has become a type list
or an ``anyOf`` with a ``null`` branch, and references point into ``$defs``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from contract_kit._json import resolve_pointer
from contract_kit.errors import SpecError

Schema = Mapping[str, Any]
COMBINATORS = ("anyOf", "oneOf")
ANNOTATIONS = frozenset({"title", "description", "examples", "example", "deprecated", "$comment", "default"})
_EMPTY: dict[str, Any] = {}


@dataclass(frozen=True)
class NumberRange:
    """The numbers a schema accepts; ``None`` bounds are open."""

    low: float | None
    high: float | None
    low_exclusive: bool = False
    high_exclusive: bool = False
    integer: bool = False

    @property
    def bounded(self) -> bool:
        return self.low is not None or self.high is not None

    def inclusive_bounds(self) -> list[float]:
        """The bounds a value may equal: the places off-by-one bugs live."""
        bounds = []
        if self.low is not None and not self.low_exclusive:
            bounds.append(self.low)
        if self.high is not None and not self.high_exclusive:
            bounds.append(self.high)
        return [int(b) if self.integer or float(b).is_integer() else b for b in bounds]


class SchemaView:
    """A request schema with its ``$defs``, and the questions strategies ask of it."""

    def __init__(self, root: Mapping[str, Any] | bool) -> None:
        self.root: Schema = root if isinstance(root, Mapping) else _EMPTY
        self._resolved: dict[int, tuple[Any, Schema]] = {}

    def resolve(self, schema: Any) -> Schema:
        """Follow local ``$ref`` chains and flatten ``allOf`` (at any depth); unreadable -> empty schema.

        ``$ref`` siblings apply (2020-12), so they join the target like an
        ``allOf`` branch. Results are memoised per node (and the node kept
        alive), so callers can key caches on the returned object's id.
        """
        if not isinstance(schema, Mapping):
            return _EMPTY
        cached = self._resolved.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        self._resolved[id(schema)] = (schema, _EMPTY)  # a reference cycle resolves to the empty schema
        result = self._flatten(schema)
        self._resolved[id(schema)] = (schema, result)
        return result

    def _flatten(self, schema: Schema) -> Schema:
        if "$ref" in schema:
            target = self.resolve(self._target(str(schema["$ref"])))
            siblings = {k: v for k, v in schema.items() if k != "$ref" and k not in ANNOTATIONS}
            if not siblings:
                return target
            return merge_parts(self, {k: v for k, v in schema.items() if k != "$ref"}, [target])
        if isinstance(schema.get("allOf"), list):
            return merge_parts(self, schema, [self.resolve(part) for part in schema["allOf"]])
        return schema

    def _target(self, ref: str) -> Any:
        try:
            return resolve_pointer(self.root, ref) if ref.startswith("#/") else _EMPTY
        except SpecError:
            return None

    def properties(self, schema: Any) -> dict[str, Schema]:
        schema = self.resolve(schema)
        return {name: self.resolve(sub) for name, sub in (schema.get("properties") or {}).items()}

    def prop(self, schema: Any, name: str) -> Schema | None:
        return self.properties(schema).get(name)

    def required(self, schema: Any) -> list[str]:
        return list(self.resolve(schema).get("required") or [])

    def branches(self, schema: Any) -> list[Schema]:
        """The alternatives of an ``anyOf``/``oneOf`` (the schema itself when it has none)."""
        schema = self.resolve(schema)
        for keyword in COMBINATORS:
            if isinstance(schema.get(keyword), list):
                branches = [self.resolve(branch) for branch in schema[keyword]]
                return _within_type(branches, types_of(schema))
        return [schema]

    def non_null_branches(self, schema: Any) -> list[Schema]:
        return [branch for branch in self.branches(schema) if types_of(branch) != ("null",)]

    def items(self, schema: Any) -> Schema | None:
        items = self.resolve(schema).get("items")
        return self.resolve(items) if isinstance(items, (Mapping, bool)) else None

    def array_branch(self, schema: Any) -> Schema | None:
        """The branch of a value that may be a list (message content: a string or a list of parts)."""
        return next((b for b in self.branches(schema) if "array" in types_of(b)), None)

    def tagged_branches(self, schema: Any, tag: str) -> dict[str, Schema]:
        """Branches keyed by the one value their ``tag`` property allows (``role``, part ``type``)."""
        found: dict[str, Schema] = {}
        for branch in self.branches(schema):
            value = single_value(self.prop(branch, tag))
            if isinstance(value, str):
                found[value] = branch
        return found

    def walk_properties(self, schema: Any, prefix: str = "") -> Iterator[tuple[str, Schema]]:
        """Every (dotted name, schema) of an object's properties, depth first, through branches."""
        for branch in self.branches(schema):
            for name, sub in self.properties(branch).items():
                yield prefix + name, sub
                yield from self.walk_properties(sub, prefix + name + ".")


def _within_type(branches: list[Schema], kinds: tuple[str, ...]) -> list[Schema]:
    """A ``type`` beside the union (an ``allOf`` merge leaves one) rules out branches of other types."""
    if not kinds:
        return branches
    kept = [b for b in branches if not types_of(b) or set(types_of(b)) & set(kinds)]
    return kept or branches


def types_of(schema: Any) -> tuple[str, ...]:
    """The ``type`` keyword as a tuple (empty when the schema does not say)."""
    if not isinstance(schema, Mapping):
        return ()
    kind = schema.get("type")
    if isinstance(kind, str):
        return (kind,)
    if isinstance(kind, list):
        return tuple(t for t in kind if isinstance(t, str))
    return ()


def enum_values(schema: Any) -> list[Any] | None:
    """``enum`` (or ``const`` as a one-value enum); ``None`` when the value is free."""
    if not isinstance(schema, Mapping):
        return None
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def single_value(schema: Any) -> Any:
    """The one value a discriminating property allows (``role: {"enum": ["user"]}``), else ``None``."""
    values = enum_values(schema)
    return values[0] if values is not None and len(values) == 1 else None


def number_range(schema: Any) -> NumberRange | None:
    """The numeric bounds of an ``integer``/``number`` schema (draft 4 boolean exclusives too)."""
    kinds = types_of(schema)
    if "integer" not in kinds and "number" not in kinds:
        return None
    low, low_exclusive = _bound(schema, "minimum", "exclusiveMinimum")
    high, high_exclusive = _bound(schema, "maximum", "exclusiveMaximum")
    return NumberRange(low, high, low_exclusive, high_exclusive, integer="number" not in kinds)


def _bound(schema: Schema, inclusive: str, exclusive: str) -> tuple[float | None, bool]:
    value = schema.get(exclusive)
    if _is_number(value):
        return _exact(value), True
    bound = schema.get(inclusive)
    if _is_number(bound):
        return _exact(bound), value is True
    return None, False


def _exact(value: float) -> float:
    """An int bound stays an int: 2**63 - 1 as a float is 2**63, outside the range."""
    return value if isinstance(value, int) else float(value)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_free_object(schema: Any) -> bool:
    """An object that says nothing about its keys (``parameters``, ``json_schema.schema``)."""
    return isinstance(schema, Mapping) and "object" in types_of(schema) and not schema.get("properties")


def merge_parts(view: SchemaView, schema: Schema, parts: list[Schema]) -> dict[str, Any]:
    """One flat schema for ``schema`` and its (resolved) ``allOf`` parts.

    Properties are merged (a property two parts declare gets both schemas as
    an ``allOf``), ``required`` is the union, ``type`` the intersection,
    ``enum`` the intersection; a ``oneOf``/``anyOf`` of one part is kept, and
    any other keyword takes the last part's value.
    """
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in parts:
        for key, value in part.items():
            if key == "properties" and isinstance(value, Mapping):
                props = dict(merged.get("properties") or {})
                for name, sub in value.items():
                    props[name] = {"allOf": [props[name], sub]} if name in props else sub
                merged["properties"] = props
            elif key == "required" and isinstance(value, list):
                merged["required"] = list(dict.fromkeys([*(merged.get("required") or []), *value]))
            elif key == "type" and "type" in merged:
                both = [t for t in types_of(merged) if t in types_of(part)] or list(types_of(part))
                merged["type"] = both[0] if len(both) == 1 else both
            elif key == "enum" and isinstance(merged.get("enum"), list) and isinstance(value, list):
                merged["enum"] = [v for v in merged["enum"] if v in value]
            elif key in COMBINATORS and key in merged and merged[key] != value:
                merged.setdefault("allOf", []).append({key: value})
            elif key not in ANNOTATIONS or key not in merged:
                merged[key] = value
    if "allOf" in merged:  # two parts with their own anyOf/oneOf: both must hold; generation keeps the first
        merged["x-unmerged"] = merged.pop("allOf")
    return merged
