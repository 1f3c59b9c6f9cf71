"""Deterministic JSON values that validate against a JSON Schema.

The mock fills tool-call ``arguments`` and ``response_format: json_schema``
content with these, because a client's real failure modes live there: a
missing required key, an enum it does not handle, a nested array it forgot.
A value that is merely JSON would hide them; a value that is *valid* for the
caller's own schema exercises the happy path their code was written for.

How: walk the schema and build a value with choices drawn from the engine's
RNG, then check it with ``jsonschema`` (formats included) — the validator the
caller would use. A walk can guess wrong (``oneOf`` matching two branches,
``uniqueItems``, a ``\\b`` in a pattern), so it is retried with fresh choices,
the last attempt minimal (no optional properties, fewest items).

Supported keywords: ``type`` (lists, so ``["string", "null"]``), ``properties``,
``required``, ``additionalProperties``, ``patternProperties`` (checked only),
``min/maxProperties``, ``enum``, ``const``, ``items``, ``prefixItems``,
``contains``, ``min/maxItems``, ``uniqueItems``, ``minimum``, ``maximum``,
``exclusiveMinimum/Maximum`` (numeric and draft-4 boolean forms), ``multipleOf``,
``min/maxLength``, ``pattern``, ``format`` (date, date-time, time, email,
uri/url, uuid, hostname, ipv4, ipv6), ``anyOf``, ``oneOf``, ``allOf`` (merged)
and ``$ref`` into the schema's own ``$defs``/``definitions``. OpenAPI's
``nullable`` is ignored (plain JSON Schema validators ignore it too).

Patterns come from :mod:`contract_kit.mock.strings` (a regex subset; no
lookarounds or backreferences). Fallback when a schema cannot be satisfied:
``strict=True`` raises :class:`InstanceError`; otherwise the last candidate is
returned (a plain word string where the pattern was), which is what a real
model that ignores the pattern would send.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from collections.abc import Callable
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

from contract_kit._json import resolve_pointer
from contract_kit.errors import InstanceError, SpecError, WorkBudgetError
from contract_kit.mock.content import words
from contract_kit.mock.limits import (
    CLOCK_AFTER_VALUES,
    GENERATION_TIME_BUDGET,
    MAX_GENERATED_NODES,
    PAUSE_GRACE,
)
from contract_kit.mock.schema_merge import merge_schemas, numbers
from contract_kit.mock.strings import Unsatisfiable, format_string, pattern_string

ATTEMPTS = 12
MAX_DEPTH = 6
HARD_DEPTH = 24
_TYPE_HINTS = (
    ("object", ("properties", "required", "additionalProperties", "minProperties", "patternProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems", "contains")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_KNOWN_METASCHEMAS = frozenset(
    f"{scheme}://json-schema.org/{name}"
    for scheme in ("http", "https")
    for name in (
        "draft-04/schema",
        "draft-06/schema",
        "draft-07/schema",
        "draft/2019-09/schema",
        "draft/2020-12/schema",
    )
)


def generate_instance(
    schema: Any,
    rng: random.Random,
    *,
    minimal: bool = False,
    strict: bool = False,
    deadline: float | None = None,
) -> Any:
    """A value valid against ``schema``, the same one for the same RNG state.

    ``minimal`` asks for the smallest value (used when a token budget is
    tight). See the module docstring for the fallback when nothing validates.
    Past ``deadline`` (``time.monotonic()``; default: the generation budget
    from now) or past the value budget it raises :class:`WorkBudgetError`.
    """
    check = _checker(schema)
    candidate: Any = None
    reason = "no attempt made"
    deadline = generation_deadline() if deadline is None else deadline
    for attempt in range(ATTEMPTS):
        walker = _Walker(schema, rng, minimal=minimal or attempt == ATTEMPTS - 1, deadline=deadline)
        try:
            candidate = walker.value(schema, 0)
        except WorkBudgetError:
            raise  # over the budget: refuse the request (400) rather than retry
        except Unsatisfiable as exc:
            reason = str(exc)
            continue
        except RecursionError:
            reason = "the schema nests too deeply to generate"
            continue
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            reason = f"the schema has a shape the generator does not understand ({exc!r})"
            continue
        error = check(candidate)
        if error is None:
            return candidate
        reason = error
    if strict:
        raise InstanceError(
            f"no value satisfies the schema after {ATTEMPTS} attempts; last problem: {reason}"
        )
    return candidate


def generation_deadline() -> float:
    """When generating one answer's values must stop (see :data:`GENERATION_TIME_BUDGET`)."""
    return time.monotonic() + GENERATION_TIME_BUDGET


def is_valid_instance(schema: Any, value: Any) -> bool:
    """True when ``value`` validates against ``schema`` (formats included)."""
    return _checker(schema)(value) is None


def _checker(schema: Any) -> Callable[[Any], str | None]:
    """A function returning ``None`` for a valid value, else the best error's text."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    if not _valid_schema(schema):
        return lambda _value: None  # an invalid schema cannot be verified; take the walk as is
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)

    def check(value: Any) -> str | None:
        error = best_match(validator.iter_errors(value))
        return None if error is None else f"{error.json_path}: {error.message}"

    return check


def _valid_schema(schema: Any) -> bool:
    """Whether ``schema`` is a valid JSON Schema, by jsonschema-rs: ``check_schema`` of the
    Python package takes seconds on a client schema with a thousand properties."""
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    if declared is not None and str(declared).rstrip("#") not in _KNOWN_METASCHEMAS:
        return False  # never fetch a metaschema a client names: the mock makes no outbound request
    try:
        return bool(jsonschema_rs.meta.is_valid(schema))
    except Exception:  # an unknown $schema or a value jsonschema-rs cannot read: not verifiable
        return False


class _Walker:
    """One attempt at building a value; every choice comes from ``rng``."""

    def __init__(self, root: Any, rng: random.Random, *, minimal: bool, deadline: float) -> None:
        self.root = root
        self.rng = rng
        self.minimal = minimal
        self.deadline = deadline
        self.built = 0

    def _spend(self) -> None:
        """Count one value against the budget; a schema that multiplies past it is refused."""
        self.built += 1
        if self.built > MAX_GENERATED_NODES:
            raise WorkBudgetError(
                f"The schema asks for more than {MAX_GENERATED_NODES} values in one instance; "
                "the mock's limits are listed in its README (\"The mock's limits\"). Simplify the schema."
            )
        if self.built % 16 == 0:
            time.sleep(0)  # let other threads in (the served mock's event loop) between slices of work
        if self._past_deadline():
            raise WorkBudgetError(
                f"Generating a value for the schema took more than {GENERATION_TIME_BUDGET} s; "
                "the mock's limits are listed in its README (\"The mock's limits\"). Simplify the schema."
            )

    def _past_deadline(self) -> bool:
        """Past the budget after real work, or far past it (a pause) even for a small schema."""
        late = time.monotonic() - self.deadline
        return late > 0 and (self.built >= CLOCK_AFTER_VALUES or late > PAUSE_GRACE)

    def value(self, schema: Any, depth: int) -> Any:
        self._spend()
        if depth > HARD_DEPTH:
            raise Unsatisfiable("the schema recurses without a way out (required self-reference)")
        flat = self._flatten(schema)
        if flat is False:
            raise Unsatisfiable("a schema is `false`")
        if not isinstance(flat, dict):
            return words(self.rng, 1)
        if "const" in flat:
            return copy.deepcopy(flat["const"])
        if isinstance(flat.get("enum"), list):
            if not flat["enum"]:
                raise Unsatisfiable("an enum is empty (or two enums do not overlap)")
            return copy.deepcopy(self.rng.choice(flat["enum"]))
        kind = self._pick_type(flat, depth)
        build: Callable[[dict[str, Any], int], Any] = (
            getattr(self, f"_{kind}") if kind in _TYPES else self._string
        )
        return build(flat, depth)

    def _small(self, depth: int) -> bool:
        return self.minimal or depth >= MAX_DEPTH

    # --- combinators ------------------------------------------------------------------------

    def _flatten(self, schema: Any) -> Any:
        """Resolve ``$ref``, merge ``allOf`` and pick one ``anyOf``/``oneOf`` branch until none is left."""
        for _ in range(HARD_DEPTH):
            if not isinstance(schema, dict):
                return schema
            if "$ref" in schema:
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = merge_schemas(self._resolve(schema["$ref"]), rest)
            elif "allOf" in schema:
                merged: Any = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    merged = merge_schemas(merged, self._flatten(part))
                schema = merged
            elif "anyOf" in schema or "oneOf" in schema:
                key = "oneOf" if "oneOf" in schema else "anyOf"
                rest = {k: v for k, v in schema.items() if k != key}
                schema = merge_schemas(rest, self.rng.choice(schema[key]) if schema[key] else False)
            else:
                return schema
        raise Unsatisfiable("$ref/allOf nesting is too deep")

    def _resolve(self, ref: Any) -> Any:
        """Follow a local JSON Pointer (``#/$defs/Name``); other refs cannot be followed offline."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise Unsatisfiable(f"only local $ref into the schema itself is supported, got {ref!r}")
        try:
            return resolve_pointer(self.root, ref)
        except SpecError:
            raise Unsatisfiable(f"$ref {ref!r} points nowhere in the schema") from None

    def _pick_type(self, schema: dict[str, Any], depth: int) -> str:
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        if isinstance(declared, list) and declared:
            if "null" in declared and (self._small(depth) or len(declared) == 1 or self.rng.random() < 0.25):
                return "null"
            return str(self.rng.choice([t for t in declared if t != "null"]))
        for kind, hints in _TYPE_HINTS:
            if any(hint in schema for hint in hints):
                return kind
        return "string"

    # --- one builder per type -----------------------------------------------------------------

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        optional = [name for name in props if name not in required]
        chosen = [] if self._small(depth) else [name for name in optional if self.rng.random() < 0.6]
        room = schema.get("maxProperties")
        if isinstance(room, int):
            chosen = chosen[: max(0, room - len(required))]
        keys = required + chosen
        extra = schema.get("additionalProperties", True)
        while len(keys) < schema.get("minProperties", 0):
            spare = [name for name in optional if name not in keys]
            if spare:
                keys.append(spare[0])
            elif extra is False:
                raise Unsatisfiable("minProperties needs more keys than additionalProperties: false allows")
            else:
                keys.append(f"extra_{len(keys)}")
        order = {name: index for index, name in enumerate(props)}
        keys.sort(key=lambda name: order.get(name, len(order)))
        return {name: self.value(props.get(name, extra), depth + 1) for name in keys}

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems") or (items if isinstance(items, list) else [])
        rest = schema.get("additionalItems", True) if isinstance(items, list) else items
        low = int(schema.get("minItems", 0))
        count = low if self._small(depth) else self.rng.randint(low, low + 3)
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        if rest is False:
            count = min(count, len(prefix))
        if "contains" in schema:
            count = max(count, 1)
        values: list[Any] = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else rest
            if index == 0 and "contains" in schema:
                sub = merge_schemas(sub, schema["contains"])
            values.append(
                self._distinct(sub, depth, values)
                if schema.get("uniqueItems")
                else self.value(sub, depth + 1)
            )
        return values

    def _distinct(self, schema: Any, depth: int, taken: list[Any]) -> Any:
        """An item not already in ``taken`` (``uniqueItems``); the checker catches a failure."""
        seen = {json.dumps(item, sort_keys=True) for item in taken}
        candidate = self.value(schema, depth + 1)
        for _ in range(8):
            if json.dumps(candidate, sort_keys=True) not in seen:
                break
            candidate = self.value(schema, depth + 1)
        return candidate

    def _string(self, schema: dict[str, Any], depth: int) -> str:
        fmt, pattern = schema.get("format"), schema.get("pattern")
        shaped = format_string(fmt, self.rng) if isinstance(fmt, str) else None
        if shaped is not None:
            return shaped
        if isinstance(pattern, str):
            try:
                return pattern_string(pattern, self.rng)
            except Unsatisfiable:
                pass  # fall back to words; the checker reports the miss
        text = words(self.rng, 1 if self._small(depth) else self.rng.randint(1, 4))
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        while len(text) < low:
            text += " " + words(self.rng, 1)
        return text[:high] if isinstance(high, int) else text

    def _integer(self, schema: dict[str, Any], depth: int) -> int:
        step = schema.get("multipleOf", 1)
        step = int(step) if numbers(step) and step >= 1 and float(step).is_integer() else 1
        low, high = _integer_bounds(schema)
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            raise Unsatisfiable(f"no multiple of {step} lies in [{low}, {high}]")
        pick = min(max(0, first), last) if self._small(depth) else self.rng.randint(first, last)
        return pick * step

    def _number(self, schema: dict[str, Any], depth: int) -> float | int:
        if "multipleOf" in schema:
            return self._integer(schema, depth) if numbers(schema["multipleOf"]) else 0
        low, low_open, high, high_open = _bounds(schema)
        start = 0.0 if low is None else float(low)
        end = start + 100.0 if high is None else float(high)
        if low is None and high is not None:
            start = end - 100.0
        raw = self.rng.uniform(start, end)
        for value in (round(raw, 2), raw, (start + end) / 2):
            too_low = low is not None and (value < low or (low_open and value == low))
            too_high = high is not None and (value > high or (high_open and value == high))
            if not (too_low or too_high):
                return value
        raise Unsatisfiable(f"no number lies between {low} and {high}")

    def _boolean(self, schema: dict[str, Any], depth: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, schema: dict[str, Any], depth: int) -> None:
        return None


def _bounds(schema: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(low, low exclusive?, high, high exclusive?) from both draft-4 and 2020-12 spellings."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_open = high_open = False
    for key, is_low in (("exclusiveMinimum", True), ("exclusiveMaximum", False)):
        bound = schema.get(key)
        if isinstance(bound, bool):
            low_open, high_open = (bound, high_open) if is_low else (low_open, bound)
        elif numbers(bound) and is_low and (low is None or bound >= low):
            low, low_open = bound, True
        elif numbers(bound) and not is_low and (high is None or bound <= high):
            high, high_open = bound, True
    return low, low_open, high, high_open


def _integer_bounds(schema: dict[str, Any]) -> tuple[int, int]:
    low, low_open, high, high_open = _bounds(schema)
    first = None if low is None else (math.floor(low) + 1 if low_open else math.ceil(low))
    last = None if high is None else (math.ceil(high) - 1 if high_open else math.floor(high))
    if first is None and last is None:
        return 0, 100
    if first is None:
        return (last or 0) - 100, last or 0
    return first, first + 100 if last is None else last
