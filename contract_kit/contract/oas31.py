"""OpenAPI 3.1 Schema Objects -> standalone JSON Schema 2020-12, in one place, once.

A 3.1 Schema Object already *is* JSON Schema 2020-12 (OAS dialect), so unlike
``oas30`` nothing is reinterpreted; the conversion only makes each body schema
standalone and follows the evident intent of leftover 3.0 syntax:

1.  Every local ``$ref``, under any keyword (``prefixItems``, ``if``/``then``/
    ``else``, ``dependentSchemas``, ``contains``, ``propertyNames``,
    ``unevaluated*``, ``$defs``...), is rewritten: ``#/components/schemas/X``
    -> ``#/$defs/X`` (X converted once, recursion-safe); any other local
    pointer is converted and hoisted into ``$defs`` as ``inline.<pointer>``.
    Targets are found by :func:`oas30.resolve_pointer`, the kit's one resolver.
2.  ``$ref`` siblings apply (2020-12), so they are kept as written.
3.  ``const``, ``enum``, ``default`` and ``examples`` are data and copied
    verbatim; ``type`` arrays pass through; ``example`` -> ``examples``.
4.  ``discriminator``, ``xml``, ``externalDocs`` and ``x-*`` are annotations
    and dropped: ``oneOf``/``anyOf`` alone decide validity.
5.  3.0 syntax in a 3.1 document (OpenAI's uses both) is followed by intent
    and noted for ``lint``: ``nullable: true`` adds ``"null"`` to ``type``
    (and ``None`` to ``enum``), or wraps a type-less schema in ``anyOf:
    [{"type": "null"}, ...]``; a boolean ``exclusiveMinimum``/``Maximum``
    takes the sibling ``minimum``/``maximum`` (``false`` is dropped).
6.  The input is never mutated; ``$defs`` keys are sorted.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_kit._json import escape_token, resolve_pointer, unescape_token
from contract_kit.errors import SpecError

__all__ = ["Oas31Conversion", "is_oas31", "to_json_schema_31"]

COMPONENT_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"
DROPPED = frozenset({"discriminator", "xml", "externalDocs", "nullable"})
DATA = frozenset({"const", "enum", "default", "examples"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SCHEMA_VALUES = frozenset(
    {
        "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema",
    }
)  # fmt: skip
NULL: dict[str, Any] = {"type": "null"}


def is_oas31(document: Mapping[str, Any]) -> bool:
    return str(document.get("openapi", "")).startswith("3.1")


@dataclass
class _Deps:
    """A converted ``$defs`` entry and the names it refers to (so each body schema takes only its closure)."""

    schema: Any
    uses: set[str]


@dataclass
class Oas31Conversion:
    """One document's conversion state: converted components and the 3.0-syntax notes for lint."""

    document: Mapping[str, Any]
    defs: dict[str, _Deps] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)  # pointer -> what was followed by intent

    def convert(self, schema: Any, at: str = "#") -> dict[str, Any] | bool:
        """A standalone 2020-12 schema: ``schema`` plus the ``$defs`` it reaches."""
        used: set[str] = set()
        out: dict[str, Any] | bool = self._node(schema, at, used)
        if not used:
            return out
        defs = self._closure(used)
        if isinstance(out, bool):
            out = {} if out else {"not": {}}
        return {**out, "$defs": {name: defs[name] for name in sorted(defs)}}

    # -- the walk ----------------------------------------------------------------------------
    def _node(self, schema: Any, at: str, used: set[str]) -> Any:
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, Mapping):
            raise SpecError(
                f"a schema must be an object or a boolean, got {type(schema).__name__}", location=at
            )
        out: dict[str, Any] = {}
        folded: set[str] = set()
        for key, value in schema.items():
            where = f"{at}/{escape_token(key)}"
            if key in DROPPED or key.startswith("x-"):
                continue
            if key == "$ref":
                out[key] = self._ref(value, where, used)
            elif key in DATA:
                out[key] = copy.deepcopy(value)
            elif key == "example":
                out["examples"] = [copy.deepcopy(value), *out.get("examples", [])]
            elif key in SCHEMA_MAPS and isinstance(value, Mapping):
                out[key] = {n: self._node(s, f"{where}/{escape_token(n)}", used) for n, s in value.items()}
            elif key in SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self._node(s, f"{where}/{i}", used) for i, s in enumerate(value)]
            elif key in SCHEMA_VALUES:
                out[key] = self._node(value, where, used)
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                folded |= self._boolean_bound(out, schema, key, value, where)
            else:
                out[key] = copy.deepcopy(value)
        for key in folded:
            out.pop(key, None)
        if schema.get("nullable") is True:
            self.notes[f"{at}/nullable"] = "3.0 'nullable' in a 3.1 document: read as allowing null"
            return _with_null(out)
        return out

    def _boolean_bound(
        self, out: dict[str, Any], schema: Mapping[str, Any], key: str, value: bool, at: str
    ) -> set[str]:
        """Rule 5: the 3.0 boolean bound; returns the sibling it folded in (to drop)."""
        sibling = "minimum" if key == "exclusiveMinimum" else "maximum"
        self.notes[at] = f"3.0 boolean '{key}' in a 3.1 document: read as exclusive of '{sibling}'"
        if value and sibling in schema:
            out[key] = copy.deepcopy(schema[sibling])
            return {sibling}
        return set()

    def _ref(self, ref: Any, at: str, used: set[str]) -> str:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SpecError(
                f"only local references are supported, got {ref!r}; bundle the document first", location=at
            )
        segment = ref[len(COMPONENT_PREFIX) :]
        name = (
            unescape_token(segment)
            if ref.startswith(COMPONENT_PREFIX) and "/" not in segment
            else _hoist_name(ref)
        )
        used.add(name)
        if name not in self.defs and name not in self.in_progress:
            self.in_progress.add(name)
            target = resolve_pointer(self.document, ref)
            inner: set[str] = set()
            self.defs[name] = _Deps(self._node(target, ref, inner), inner)
            self.in_progress.discard(name)
        return DEFS_PREFIX + escape_token(name)

    def _closure(self, used: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        pending = list(used)
        while pending:
            name = pending.pop()
            if name in out or name not in self.defs:
                continue
            entry = self.defs[name]
            out[name] = entry.schema
            pending.extend(entry.uses)
        return out


def to_json_schema_31(schema: Any, document: Mapping[str, Any]) -> dict[str, Any] | bool:
    """Convert one 3.1 schema of ``document`` (see the module rules)."""
    return Oas31Conversion(document).convert(schema)


def _with_null(out: dict[str, Any]) -> dict[str, Any]:
    if "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types if "null" in types else [*types, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [dict(NULL), out]}


def _hoist_name(ref: str) -> str:
    return "inline." + (re.sub(r"[^A-Za-z0-9._-]+", "_", ref.lstrip("#/")) or "root")
