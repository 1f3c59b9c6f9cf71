"""OpenAPI 3.0 Schema Objects -> JSON Schema draft 2020-12, in one place, once.

Both validators of the kit (``jsonschema_rs`` for speed, ``jsonschema`` for
detailed reports) speak 2020-12; the vendor document speaks OpenAPI 3.0.
Converting here and only here keeps the two from ever disagreeing. These rules
are the single source of truth; ``tests/contract/test_oas30.py`` tests each of them
through both libraries.

1.  ``nullable: true`` + ``type: T`` -> ``type: [T, "null"]`` (a list ``type``
    gets ``"null"`` appended once).
2.  ``nullable: true`` + ``enum`` also appends ``None`` to the enum. OAS 3.0.3
    wants a nullable enum to list null itself, but this vendor's
    ``service_tier`` plainly means "nullable" and real responses send null:
    we follow the author's intent over the letter.
3.  ``nullable: true`` without ``type``. *Bare* means no keys but annotations
    (title, description, default, example(s), deprecated, readOnly,
    writeOnly, $comment) and keys rules 7-8 drop. OAS 3.0.3 says ``nullable``
    "adds "null" to the allowed types specified by the ``type`` keyword, only
    if ``type`` is explicitly defined within the same Schema Object"; without
    ``type`` every value is already allowed (the OAI's clarification,
    proposal 003, answers: "an untyped schema allows null values, in addition
    to all other types. ``nullable: true`` has no effect"). So a bare one is
    "any value", wherever it stands:
    a. Bare, as a branch of ``anyOf``/``oneOf``: ``{}`` plus annotations. The
       third form of ``stop`` makes the whole ``stop`` "any value" (``stop:
       {}`` is valid by the document; whether the live API agrees is a drift
       probe, ``drift/probes.py``, not a converter rule). In a ``oneOf`` the
       branch is an ordinary any-value branch (rule 4).
    b. Bare, as ``additionalProperties``: ``true`` (free-form objects:
       function ``parameters``, ``json_schema.schema``).
    c. Bare, anywhere else: ``{}`` plus annotations.
    d. Otherwise: ``{"anyOf": [{"type": "null"}, REST]}``, REST being the
       schema without ``nullable``, annotations lifted to the wrapper. Beyond
       the brief: this also applies when ``type`` sits next to ``$ref``,
       ``allOf``, ``anyOf``, ``oneOf`` or ``not``, which would otherwise still
       reject null and silently undo ``nullable``.
4.  ``oneOf`` branches are converted one by one. If two or more then accept
    null (null in ``type``/``enum``, bare, ``true``, a nullable ``$ref``...),
    null matches several branches and ``oneOf`` *rejects* it. So null is
    taken out of those branches (out of ``type``/``enum``; ``{"type":
    "null"}`` dropped; else ``"not": {"type": "null"}`` added) and a single
    ``{"type": "null"}`` branch is appended. ``anyOf`` needs no such care.
5.  ``nullable: false`` is dropped.
6.  Boolean ``exclusiveMinimum``/``exclusiveMaximum``: ``true`` -> the numeric
    2020-12 form, taking the sibling ``minimum``/``maximum`` (then dropped;
    missing sibling is a ``SpecError``); ``false`` -> dropped. Numbers pass.
7.  ``example`` -> ``examples: [example]``. ``discriminator``, ``xml`` and
    ``externalDocs`` are dropped. ``readOnly``, ``writeOnly``, ``deprecated``,
    ``description``, ``title``, ``default`` and ``format`` are kept; format
    is an annotation in 2020-12 and nothing here turns assertion on.
8.  ``x-*`` keywords are dropped (property *names* like ``x-trace`` are kept).
9.  Recursion into ``properties``, ``patternProperties``,
    ``additionalProperties`` and ``items`` (schema forms), ``allOf``,
    ``anyOf``, ``oneOf`` and ``not``. Boolean subschemas pass through; other
    keywords, OAS 3.0 or foreign, are deep-copied verbatim.
10. The input is never mutated and shares nothing with the output; equal
    inputs give equal outputs (``$defs`` keys are sorted).

References: ``#/components/schemas/X`` -> ``#/$defs/X``; each reachable
component (transitively, recursion-safe) is converted once, standalone, into
the result's top-level ``$defs``. Any other ref goes to ``resolver`` and its
target is inlined; a ref that recurses into itself is hoisted into ``$defs``
(``inline.<ref>``) instead of inlined forever. Without a resolver, refs below
``#/components/schemas/`` resolve in ``components``; others are a
``SpecError``. OAS 3.0 ignores ``$ref`` siblings: we keep annotations, honour
``nullable: true`` (rule 3d) and drop the rest.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from contract_kit._json import escape_token, resolve_pointer, unescape_token
from contract_kit.errors import SpecError

__all__ = ["document_schema", "resolve_pointer", "to_json_schema"]

Resolver = Callable[[str], Any]
Place = Literal["additional", "other"]

ANNOTATIONS = frozenset(
    {"title", "description", "default", "example", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
)  # fmt: skip
DROPPED = frozenset({"discriminator", "xml", "externalDocs"})
COMPOSITION = frozenset({"$ref", "allOf", "anyOf", "oneOf", "not"})
# Keywords that never reject null: they only constrain one other JSON type,
# or they only annotate. Used to decide whether a converted schema accepts null.
NULL_NEUTRAL = ANNOTATIONS | frozenset(
    {
        "format", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "items",
        "maxProperties", "minProperties", "required", "properties", "patternProperties",
        "additionalProperties", "$defs",
    }
)  # fmt: skip
NULL: dict[str, Any] = {"type": "null"}
COMPONENT_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"


@dataclass
class _Context:
    """State shared by one conversion: where refs go and what is already done."""

    components: Mapping[str, Any]
    resolver: Resolver | None
    defs: dict[str, dict[str, Any] | bool] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    inline_stack: list[str] = field(default_factory=list)
    hoisted: dict[str, str] = field(default_factory=dict)


def to_json_schema(
    schema: Any,
    *,
    components: Mapping[str, Any] | None = None,
    resolver: Resolver | None = None,
) -> dict[str, Any] | bool:
    """Convert one OpenAPI 3.0 schema to draft 2020-12 (see the module rules).

    ``components`` is ``document["components"]["schemas"]``; ``resolver``
    returns the target of any other ref so it can be inlined.
    """
    ctx = _Context(components=components or {}, resolver=resolver)
    result = _convert(schema, ctx, "other", "#")
    if ctx.defs and isinstance(result, dict):
        defs = dict(result.get("$defs", {}))
        defs.update(ctx.defs)
        result["$defs"] = {name: defs[name] for name in sorted(defs)}
    return result


def document_schema(document: Mapping[str, Any], pointer: str) -> dict[str, Any] | bool:
    """Convert the schema at ``pointer`` with the document's components and refs.

    ``pointer`` is a JSON pointer, with or without the leading ``#``.
    """
    components = (document.get("components") or {}).get("schemas") or {}

    def resolver(ref: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"external ref {ref!r} is not supported; bundle the document first")
        return resolve_pointer(document, ref)

    return to_json_schema(resolve_pointer(document, pointer), components=components, resolver=resolver)


# --- the recursive walk -------------------------------------------------------------------------


def _convert(schema: Any, ctx: _Context, place: Place, at: str) -> dict[str, Any] | bool:
    """Convert one schema; ``place`` is what the parent uses it as (rule 3)."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, Mapping):
        raise _error(f"a schema must be an object, got {type(schema).__name__}", at)
    nullable = schema.get("nullable", False)
    if not isinstance(nullable, bool):
        raise _error(f"'nullable' must be true or false, got {nullable!r}", at)
    if nullable and _is_bare(schema):
        return _bare_nullable(schema, place)
    if "$ref" in schema:
        ref_out = _convert_ref(schema, ctx, at)
        return _null_or(ref_out) if nullable else ref_out
    out = _convert_keywords(schema, ctx, at)
    if not nullable:
        return out
    if "type" not in schema or COMPOSITION & schema.keys():
        return _null_or(out)
    return _add_null(out)


def _is_bare(schema: Mapping[str, Any]) -> bool:
    """True when nothing but annotations and dropped keywords is left (rule 3)."""
    return all(key == "nullable" or key in ANNOTATIONS or _is_dropped(key) for key in schema)


def _is_dropped(key: str) -> bool:
    return key in DROPPED or key.startswith("x-")


def _bare_nullable(schema: Mapping[str, Any], place: Place) -> dict[str, Any] | bool:
    """Rules 3a-3c: a bare nullable has no ``type`` to widen, so it means any value."""
    return True if place == "additional" else _annotations(schema)


def _annotations(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The annotation keywords of ``schema``, converted (rule 7)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            _copy_keyword(out, key, value)
    return out


def _copy_keyword(out: dict[str, Any], key: str, value: Any) -> None:
    """Copy one non-schema keyword, turning ``example`` into ``examples``."""
    existing = out.get("examples")
    if key == "example":
        out["examples"] = [copy.deepcopy(value), *(existing if isinstance(existing, list) else [])]
    elif key == "examples" and isinstance(existing, list) and isinstance(value, list):
        out["examples"] = [*existing, *copy.deepcopy(value)]
    else:
        out[key] = copy.deepcopy(value)


def _convert_keywords(schema: Mapping[str, Any], ctx: _Context, at: str) -> dict[str, Any]:
    """Convert every keyword of a non-ref schema (rules 5-9)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        where = f"{at}/{escape_token(key)}"
        if key == "nullable" or _is_dropped(key):
            continue
        if key in ("properties", "patternProperties"):
            out[key] = _convert_map(value, ctx, where)
        elif key == "additionalProperties":
            out[key] = _convert(value, ctx, "additional", where)
        elif key == "items":
            if isinstance(value, list):
                raise _error("'items' must be one schema in OpenAPI 3.0, not a list", where)
            out[key] = _convert(value, ctx, "other", where)
        elif key == "not":
            out[key] = _convert(value, ctx, "other", where)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = _convert_union(key, value, ctx, where)
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            _exclusive_bound(out, schema, key, value, where)
        elif key in ("minimum", "maximum") and schema.get(f"exclusive{key.title()}") is True:
            continue  # folded into the numeric exclusive bound (rule 6)
        else:
            _copy_keyword(out, key, value)
    return out


def _convert_map(value: Any, ctx: _Context, at: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _error("expected a map from names to schemas", at)
    return {name: _convert(sub, ctx, "other", f"{at}/{escape_token(name)}") for name, sub in value.items()}


def _convert_union(key: str, value: Any, ctx: _Context, at: str) -> list[Any]:
    """Convert ``allOf``/``anyOf``/``oneOf`` branches; ``oneOf`` gets rule 4."""
    if not isinstance(value, list) or not value:
        raise _error(f"'{key}' must be a non-empty list of schemas", at)
    branches = [_convert(sub, ctx, "other", f"{at}/{i}") for i, sub in enumerate(value)]
    return _single_null_branch(branches, ctx) if key == "oneOf" else branches


def _exclusive_bound(out: dict[str, Any], schema: Mapping[str, Any], key: str, value: Any, at: str) -> None:
    """Rule 6: OAS 3.0's boolean exclusive bounds become 2020-12 numbers."""
    if value is True:
        sibling = "minimum" if key == "exclusiveMinimum" else "maximum"
        if sibling not in schema:
            raise _error(f"'{key}: true' needs a '{sibling}' to be exclusive of", at)
        value = schema[sibling]
    if value is not False:
        out[key] = copy.deepcopy(value)


def _error(message: str, at: str) -> SpecError:
    """A ``SpecError`` naming the place inside the document."""
    return SpecError(message, location=at)


# --- nullability helpers (rules 1, 2, 3d, 4) -----------------------------------------------------


def _add_null(out: dict[str, Any]) -> dict[str, Any]:
    """Rules 1-2: widen ``type`` (and ``enum``) to admit null."""
    types = out["type"] if isinstance(out["type"], list) else [out["type"]]
    if "null" not in types:
        out["type"] = [*types, "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _null_or(out: dict[str, Any] | bool) -> dict[str, Any]:
    """Rule 3d: ``anyOf: [null, REST]`` with annotations lifted to the wrapper."""
    if isinstance(out, bool):
        return {"anyOf": [dict(NULL), out]}
    notes = {key: value for key, value in out.items() if key in ANNOTATIONS}
    rest = {key: value for key, value in out.items() if key not in ANNOTATIONS}
    return {"anyOf": [dict(NULL), rest], **notes}


def _is_null_wrapper(schema: dict[str, Any]) -> bool:
    branches = schema.get("anyOf")
    wrapped = isinstance(branches, list) and len(branches) == 2 and branches[0] == NULL
    return wrapped and not (schema.keys() - ANNOTATIONS - {"anyOf"})


def _single_null_branch(branches: list[Any], ctx: _Context) -> list[Any]:
    """Rule 4: at most one ``oneOf`` branch may accept null, or null fails."""
    takers = {i for i, branch in enumerate(branches) if _accepts_null(branch, ctx, frozenset())}
    if len(takers) < 2:
        return branches
    kept = [_reject_null(branch, ctx) if i in takers else branch for i, branch in enumerate(branches)]
    return [branch for branch in kept if branch is not None] + [dict(NULL)]


def _accepts_null(schema: Any, ctx: _Context, seen: frozenset[str]) -> bool:
    """Whether a *converted* schema surely accepts null; unknown counts as no.

    Erring towards "no" is safe: rule 4 then leaves the ``oneOf`` as written.
    """
    if isinstance(schema, bool):
        return schema
    return all(_keyword_admits_null(key, value, ctx, seen) for key, value in schema.items())


def _keyword_admits_null(key: str, value: Any, ctx: _Context, seen: frozenset[str]) -> bool:
    if key in NULL_NEUTRAL:
        return True
    if key == "type":
        return value == "null" or (isinstance(value, list) and "null" in value)
    if key == "enum":
        return isinstance(value, list) and None in value
    if key == "const":
        return value is None
    if key == "$ref":
        return _ref_accepts_null(value, ctx, seen)
    if key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
        hits = [_accepts_null(sub, ctx, seen) for sub in value]
        return all(hits) if key == "allOf" else any(hits) if key == "anyOf" else hits.count(True) == 1
    return False  # "not", or a keyword we do not reason about


def _ref_accepts_null(ref: Any, ctx: _Context, seen: frozenset[str]) -> bool:
    if not isinstance(ref, str) or not ref.startswith(DEFS_PREFIX):
        return False
    name = unescape_token(ref[len(DEFS_PREFIX) :])
    if name in seen or name not in ctx.defs:
        return False
    return _accepts_null(ctx.defs[name], ctx, seen | {name})


def _reject_null(schema: Any, ctx: _Context) -> dict[str, Any] | None:
    """Narrow a converted branch so it rejects null; ``None`` if nothing is left."""
    if isinstance(schema, bool):
        return {"not": dict(NULL)} if schema else None
    if _is_null_wrapper(schema):
        rest = _reject_null(schema["anyOf"][1], ctx)
        notes = {key: value for key, value in schema.items() if key != "anyOf"}
        return None if rest is None else {**rest, **notes}
    out = dict(schema)
    if "type" in out:
        types = [t for t in (out["type"] if isinstance(out["type"], list) else [out["type"]]) if t != "null"]
        if not types:
            return None
        out["type"] = types[0] if len(types) == 1 else types
    if isinstance(out.get("enum"), list):
        out["enum"] = [v for v in out["enum"] if v is not None]
        if not out["enum"]:
            return None
    if "const" in out and out["const"] is None:
        return None
    if not _accepts_null(out, ctx, frozenset()):
        return out
    if "not" not in out:
        return {**out, "not": dict(NULL)}
    return {"allOf": [out, {"not": dict(NULL)}]}


# --- references -------------------------------------------------------------------------------


def _convert_ref(schema: Mapping[str, Any], ctx: _Context, at: str) -> dict[str, Any] | bool:
    """A ``$ref``: components go to ``$defs``, other targets are inlined."""
    ref = schema["$ref"]
    if not isinstance(ref, str):
        raise _error(f"'$ref' must be a string, got {ref!r}", at)
    segment = ref[len(COMPONENT_PREFIX) :]
    if ref.startswith(COMPONENT_PREFIX) and "/" not in segment:
        _define_component(segment, ctx, ref, at)
        out: dict[str, Any] | bool = {"$ref": DEFS_PREFIX + segment}
    else:
        out = _inline(ref, ctx, at)
    notes = _annotations(schema)
    return {**out, **notes} if notes and isinstance(out, dict) else out


def _define_component(segment: str, ctx: _Context, ref: str, at: str) -> None:
    """Convert a component once, on first use; recursion meets ``in_progress``."""
    name = unescape_token(segment)
    if name in ctx.defs or name in ctx.in_progress:
        return
    if name not in ctx.components:
        known = ", ".join(sorted(ctx.components)) or "none"
        raise _error(f"{ref!r} names no component schema (known: {known})", at)
    ctx.in_progress.add(name)
    ctx.defs[name] = _convert(ctx.components[name], ctx, "other", f"{COMPONENT_PREFIX}{segment}")
    ctx.in_progress.discard(name)


def _inline(ref: str, ctx: _Context, at: str) -> dict[str, Any] | bool:
    """Inline a non-component ref; a self-recursive one is hoisted into ``$defs``."""
    if ref in ctx.inline_stack and ref not in ctx.hoisted:
        ctx.hoisted[ref] = _hoist_name(ref, ctx)
    if ref in ctx.hoisted:
        return {"$ref": DEFS_PREFIX + escape_token(ctx.hoisted[ref])}
    target = _lookup(ref, ctx, at)
    ctx.inline_stack.append(ref)
    try:
        out = _convert(target, ctx, "other", ref)
    finally:
        ctx.inline_stack.pop()
    if ref not in ctx.hoisted:
        return out
    ctx.defs[ctx.hoisted[ref]] = out
    return {"$ref": DEFS_PREFIX + escape_token(ctx.hoisted[ref])}


def _lookup(ref: str, ctx: _Context, at: str) -> Any:
    if ctx.resolver is not None:
        return ctx.resolver(ref)
    if ref.startswith(COMPONENT_PREFIX):
        return resolve_pointer({"components": {"schemas": ctx.components}}, ref)
    raise _error(f"cannot resolve {ref!r}: pass resolver= (document_schema does)", at)


def _hoist_name(ref: str, ctx: _Context) -> str:
    """A readable, unique ``$defs`` name for a recursive inline ref."""
    base = "inline." + (re.sub(r"[^A-Za-z0-9._-]+", "_", ref.lstrip("#/")) or "root")
    taken = set(ctx.components) | set(ctx.defs) | set(ctx.hoisted.values())
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}.{n}"
    return name
