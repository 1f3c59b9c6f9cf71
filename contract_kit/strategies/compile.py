"""Turn a JSON Schema into a Hypothesis strategy, built to satisfy it rather than filtered into it.

This is the generic half of request generation: any property the contract
declares gets values from here, so a parameter that only another model's
document has is generated without code. Constraints are built in
(``sampled_from`` for enums, bounded ``integers``/``floats``, fixed keys for
``required``), never reached with ``filter``, so generation stays fast and
every example shrinks toward the smallest valid value: optional keys vanish,
lists empty, the first enum value and the first branch win.

The semantic half (images, names, tool-call coherence) plugs in through
``overrides``: a location such as ``tools[].function.name`` mapped to a
function that, given the schema there, returns a better strategy (or ``None``
to keep the generic one). Locations name properties with dots and list items
with ``[]``; ``anyOf``/``oneOf`` branches share their parent's location.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from hypothesis import strategies as st

from contract_kit.strategies import pools
from contract_kit.strategies.schema import (
    NumberRange,
    Schema,
    SchemaView,
    enum_values,
    number_range,
    types_of,
)

T = TypeVar("T")
Override = Callable[[Schema], "st.SearchStrategy[Any] | None"]
OPEN_RANGE_WIDTH = 1024
"""How far an open numeric range reaches from its one bound (or from 0 when both are open)."""
DEFAULT_MAX_ITEMS = 3
MAX_OPTIONAL_KEYS = 4
"""At most this many optional keys per object: the values, not the key choices, cost the draws."""
INT64 = (-(2**63), 2**63 - 1)
"""Integers stay in the signed 64-bit range every JSON stack carries (OpenAI writes ``seed`` bounds past it)."""


def child(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name


def item(location: str) -> str:
    return f"{location}[]"


class Compiler:
    """Strategies for the values one schema accepts, cached per (schema node, location)."""

    def __init__(
        self,
        view: SchemaView,
        *,
        text: st.SearchStrategy[str] | None = None,
        overrides: Mapping[str, Override] | None = None,
        formats: Mapping[str, st.SearchStrategy[str]] | None = None,
        max_items: int = DEFAULT_MAX_ITEMS,
        pool: bool = False,
    ) -> None:
        self.view = view
        self.text = text if text is not None else pools.remember(st.text(max_size=20), ("", "a"))
        self.pool = pool
        self.overrides = dict(overrides or {})
        self.formats = dict(formats or {})
        self.max_items = max_items
        self._cache: dict[tuple[int, str], st.SearchStrategy[Any]] = {}

    def value(self, schema: Any, location: str = "") -> st.SearchStrategy[Any]:
        """Any value ``schema`` accepts, at ``location`` (which picks the overrides)."""
        key = (id(schema), location)
        strategy = self._cache.get(key)
        if strategy is None:
            strategy = self._build(self.view.resolve(schema), location)
            self._cache[key] = strategy
        return strategy

    def pooled(self, strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
        """``strategy`` drawn from its samples most of the time, when this compiler pools (see :mod:`pools`)."""
        return pools.pooled(strategy) if self.pool else strategy

    def _build(self, schema: Schema, location: str) -> st.SearchStrategy[Any]:
        values = enum_values(schema)
        if values is not None:
            return pools.choice(values)
        branches = self.view.branches(schema)
        if len(branches) > 1 or branches[0] is not schema:
            return self.pooled(pools.one_of([self.value(branch, location) for branch in branches]))
        kinds = types_of(schema) or _implied_types(schema)
        if len(kinds) == 1:
            return self._typed(schema, kinds[0], location)
        return self.pooled(pools.one_of([self._typed(schema, kind, location) for kind in kinds]))

    def _typed(self, schema: Schema, kind: str, location: str) -> st.SearchStrategy[Any]:
        override = self.overrides.get(location)
        if override is not None and kind != "null":
            strategy = override({**schema, "type": kind})
            if strategy is not None:
                return strategy
        if kind == "object":
            return self.object(schema, location)
        if kind == "array":
            return self.array(schema, location)
        if kind == "string":
            return self.string(schema)
        if kind in ("integer", "number"):
            return self.pooled(numbers(number_range({**schema, "type": kind})))
        if kind == "boolean":
            return pools.choice((False, True))
        return pools.constant(None)

    def object(
        self,
        schema: Any,
        location: str = "",
        *,
        fixed: Mapping[str, st.SearchStrategy[Any]] | None = None,
        optional: Mapping[str, st.SearchStrategy[Any]] | None = None,
        omit: Collection[str] = (),
    ) -> st.SearchStrategy[dict[str, Any]]:
        """An object of ``schema``: required keys always, optional keys sometimes.

        ``fixed`` keys are always present with the given strategy, ``optional``
        replaces the strategy of an optional key, ``omit`` leaves keys out; that
        is how the semantic layer ties fields together.
        """
        schema = self.view.resolve(schema)
        props = self.view.properties(schema)
        if not props and not fixed:
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and extra:  # a map whose values the schema describes
                keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
                values = self.value(extra, item(location))
                entries = pools.samples_of(values)
                return pools.remember(
                    st.dictionaries(keys, values, max_size=3),
                    None if entries is None else ({}, *({"key": entry} for entry in entries)),
                )
            return free_objects(self.text) if extra is not False else pools.constant({})
        fixed, optional = dict(fixed or {}), dict(optional or {})
        required = set(self.view.required(schema)) - set(omit)
        always = {name: self.value(props[name], child(location, name)) for name in props if name in required}
        extra = schema.get("additionalProperties")
        for name in sorted(required - set(props) - set(fixed)):  # required, yet not declared (Azure has one)
            always[name] = (
                self.value(extra, child(location, name)) if isinstance(extra, Mapping) else self.text
            )
        always.update(fixed)
        sometimes = {
            name: optional[name] if name in optional else self.value(sub, child(location, name))
            for name, sub in props.items()
            if name not in always and name not in omit
        }
        return self.pooled(records(always, sometimes))

    def array(self, schema: Schema, location: str) -> st.SearchStrategy[list[Any]]:
        items = self.view.items(schema)
        elements = self.value(items, item(location)) if items is not None else json_scalars(self.text)
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, self.max_items)))
        return self.pooled(pools.lists(elements, low, high))

    def string(self, schema: Schema) -> st.SearchStrategy[str]:
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in self.formats:
            return self.formats[fmt]
        if isinstance(schema.get("pattern"), str):
            return st.from_regex(str(schema["pattern"]), fullmatch=True)
        low, high = schema.get("minLength"), schema.get("maxLength")
        if low is None and high is None:
            return self.text
        low_size, high_size = int(low or 0), None if high is None else int(high)
        return pools.remember(
            st.text(min_size=low_size, max_size=high_size), _sized_texts(low_size, high_size)
        )


def _sized_texts(low: int, high: int | None) -> tuple[str, ...] | None:
    """One string of a length the bounds allow (``None`` when they allow none)."""
    if high is not None and low > high:
        return None
    return ("x" * (low if high == 0 else max(low, 1)),)


def records(
    always: Mapping[str, st.SearchStrategy[Any]],
    sometimes: Mapping[str, st.SearchStrategy[Any]] | None = None,
    *,
    most: int = MAX_OPTIONAL_KEYS,
) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with every ``always`` key and up to ``most`` of the ``sometimes`` keys.

    Like ``st.fixed_dictionaries(always, optional=sometimes)`` at a fraction of
    the draws: it picks a count and then keys by index, where Hypothesis draws a
    yes/no per optional key and shuffles every dict's keys. Shrinks to ``always`` alone.
    """
    fixed = tuple(always.items())
    names = tuple(sometimes or ())
    values = tuple((sometimes or {}).values())
    samples = pools.record_samples(
        {name: pools.samples_of(value) for name, value in always.items()},
        {name: pools.samples_of(value) for name, value in (sometimes or {}).items()},
    )
    if not names:
        keys = tuple(always)
        fixed_only = st.tuples(*always.values()).map(lambda drawn: dict(zip(keys, drawn, strict=True)))
        return pools.remember(fixed_only, samples, exhaustive=_every_record(always))
    count = st.integers(0, min(most, len(names)))
    index = st.integers(0, len(names) - 1)
    for value in (*always.values(), *values):
        value.validate()  # now rather than in the first draw: a composite's arguments are checked only when drawn
    return pools.remember(_record(fixed, names, values, count, index), samples)


@st.composite
def _record(
    draw: st.DrawFn,
    fixed: tuple[tuple[str, st.SearchStrategy[Any]], ...],
    names: tuple[str, ...],
    values: tuple[st.SearchStrategy[Any], ...],
    count: st.SearchStrategy[int],
    index: st.SearchStrategy[int],
) -> dict[str, Any]:
    """The draw of :func:`records`, made once at import (``st.composite`` is slow to make)."""
    record = {name: draw(value) for name, value in fixed}
    for _ in range(draw(count)):
        chosen = draw(index)
        if names[chosen] not in record:
            record[names[chosen]] = draw(values[chosen])
    return record


def _every_record(always: Mapping[str, st.SearchStrategy[Any]]) -> bool:
    """Whether :func:`~pools.record_samples` lists every record: every key lists all its values, one has several."""
    if not all(pools.is_exhaustive(value) for value in always.values()):
        return False
    return sum(len(pools.samples_of(value) or ()) > 1 for value in always.values()) <= 1


def numbers(bounds: NumberRange | None) -> st.SearchStrategy[Any]:
    """Numbers inside the range, with its inclusive bounds as explicit, likely choices.

    A ``number`` range also yields integers, since that is what clients mostly send.
    """
    if bounds is None:
        bounds = NumberRange(None, None)
    low, high = _closed_range(bounds)
    choices: list[st.SearchStrategy[Any]] = []
    edges = [e for e in bounds.inclusive_bounds() if INT64[0] <= e <= INT64[1]]
    samples: list[Any] = list(edges)
    if edges:
        choices.append(st.sampled_from(edges))
    first_int = math.floor(low) + 1 if bounds.low_exclusive and float(low).is_integer() else math.ceil(low)
    last_int = math.ceil(high) - 1 if bounds.high_exclusive and float(high).is_integer() else math.floor(high)
    first_int, last_int = max(first_int, INT64[0]), min(last_int, INT64[1])
    if first_int <= last_int:
        choices.append(st.integers(first_int, last_int))
        samples.append((first_int + last_int) // 2)
    if not bounds.integer and low < high:
        samples.append(low + (high - low) / 2)
    if not bounds.integer:
        choices.append(
            st.floats(
                low,
                high,
                exclude_min=bounds.low_exclusive,
                exclude_max=bounds.high_exclusive,
                allow_nan=False,
                allow_infinity=False,
            )
        )
    return pools.remember(st.one_of(choices), dict.fromkeys(samples) or None)


def _closed_range(bounds: NumberRange) -> tuple[float, float]:
    low, high = bounds.low, bounds.high
    if low is None and high is None:
        return 0, OPEN_RANGE_WIDTH
    if low is None:
        assert high is not None
        return high - OPEN_RANGE_WIDTH, high
    if high is None:
        return low, low + OPEN_RANGE_WIDTH
    return low, high


def json_scalars(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return pools.remember(
        st.one_of(text, st.integers(-1000, 1000), st.booleans(), st.none()), ("a", 1, True, None)
    )


def free_objects(text: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A small JSON object, for an object schema that declares no properties."""
    keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    return pools.remember(st.dictionaries(keys, json_scalars(text), max_size=3), ({}, {"a": "ok", "n": 1}))


def _implied_types(schema: Schema) -> tuple[str, ...]:
    """A schema without ``type`` that still says what it is (``properties`` means object)."""
    if "properties" in schema or "required" in schema:
        return ("object",)
    if "items" in schema:
        return ("array",)
    return ("string",) if schema else ("string", "integer", "boolean")


def warmed(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``strategy``, validated now: Hypothesis then does not pay for it during the first draw."""
    strategy.validate()
    return strategy


__all__ = [
    "Compiler",
    "Override",
    "child",
    "free_objects",
    "item",
    "json_scalars",
    "numbers",
    "records",
    "warmed",
]
