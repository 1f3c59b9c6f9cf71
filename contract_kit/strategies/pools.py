"""Precompiled choices: a whole sub-object drawn in one choice from values made when the strategy is built.

Hypothesis pays for every choice a test case makes (recording, replaying,
mutating, shrinking), and a request drawn key by key and branch by branch
made about 70 of them. So a compiled strategy also carries *samples*:
concrete values it accepts that, together, exercise every place of its schema
(each enum value, each type of a type list, each inclusive bound, each union
branch, each optional property), simplest first. The samples of an object
are made from its properties' samples, so they cost nothing per example.

:func:`pooled` draws one index: most of the time (:data:`POOL_SHARE`) it
picks a sample, a whole object in one choice; otherwise it draws from the
general strategy, whose parts are themselves pooled, so the distribution
keeps its variety. The index shrinks toward 0, the simplest sample, and a
failure that needs the general path still shrinks inside it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
Samples = tuple[Any, ...]
POOL_SHARE = 0.75
"""How often a pooled strategy returns one of its samples rather than drawing a fresh value."""
MAX_SAMPLES = 512
"""More samples than this and a node is drawn the general way (they grow with the schema, linearly)."""

_SAMPLES: dict[int, tuple[weakref.ref[st.SearchStrategy[Any]], Samples, bool]] = {}
"""Samples (and whether they are all the values) by strategy identity: strategies compare by value,
which is slow to hash and not what we mean."""


def remember(
    strategy: st.SearchStrategy[T], samples: Iterable[Any] | None, *, exhaustive: bool = False
) -> st.SearchStrategy[T]:
    """``strategy``, known to accept ``samples`` (``None``: values it cannot list, such as a pattern's).

    ``exhaustive``: the samples are every value the strategy makes, so drawing them is drawing it.
    """
    if samples is not None:
        listed = tuple(samples)
        if 0 < len(listed) <= MAX_SAMPLES:
            key = id(strategy)
            _SAMPLES[key] = (weakref.ref(strategy, lambda _: _SAMPLES.pop(key, None)), listed, exhaustive)
    return strategy


def samples_of(strategy: st.SearchStrategy[Any]) -> Samples | None:
    known = _SAMPLES.get(id(strategy))
    return known[1] if known is not None and known[0]() is strategy else None


def is_exhaustive(strategy: st.SearchStrategy[Any]) -> bool:
    """Whether the samples of ``strategy`` are every value it makes."""
    known = _SAMPLES.get(id(strategy))
    return known is not None and known[0]() is strategy and known[2]


def constant(value: T) -> st.SearchStrategy[T]:
    """``st.just(value)`` that knows its one sample."""
    return remember(st.just(value), (value,), exhaustive=True)


def choice(values: Sequence[T]) -> st.SearchStrategy[T]:
    """``st.sampled_from(values)`` that knows its samples (every value)."""
    return remember(st.sampled_from(values), values, exhaustive=True)


def pooled(strategy: st.SearchStrategy[T], share: float = POOL_SHARE) -> st.SearchStrategy[T]:
    """One choice: a sample of ``strategy`` (a fresh copy) most of the time, else a value drawn from it."""
    samples = samples_of(strategy)
    if samples is None:
        return strategy
    if is_exhaustive(strategy):  # nothing else to draw: one choice among them, none for a single value
        return remember(st.sampled_from(samples).map(fresh), samples, exhaustive=True)
    slots = math.ceil(len(samples) / share)
    strategy.validate()  # now, while the strategy is built: a composite's arguments are checked only when drawn
    return remember(_pooled(samples, st.integers(0, slots - 1), strategy), samples)


@st.composite
def _pooled(
    draw: st.DrawFn, samples: Samples, index: st.SearchStrategy[int], strategy: st.SearchStrategy[T]
) -> T:
    """Made once at import: ``st.composite`` reads its function's source, too slow to do per strategy."""
    chosen = draw(index)
    if chosen < len(samples):
        return fresh(samples[chosen])  # type: ignore[no-any-return]
    return draw(strategy)


def one_of(strategies: Sequence[st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``st.one_of`` whose samples are every branch's, when every branch lists them."""
    exhaustive = all(is_exhaustive(s) for s in strategies)
    return remember(st.one_of(strategies), joined(samples_of(s) for s in strategies), exhaustive=exhaustive)


def lists(elements: st.SearchStrategy[Any], low: int, high: int) -> st.SearchStrategy[list[Any]]:
    """``st.lists`` whose samples are the shortest lists and one list per element sample."""
    strategy = st.lists(elements, min_size=low, max_size=max(low, high))
    items = samples_of(elements)
    return remember(strategy, None if items is None else list_samples(items, low, high))


def fresh(value: Any) -> Any:
    """A copy of a JSON-like sample: the pool is shared, and a test may edit what it was given."""
    if isinstance(value, dict):
        return {key: fresh(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [fresh(sub) for sub in value]
    return value


def joined(groups: Iterable[Samples | None]) -> Samples | None:
    """The samples of a union: every branch's in turn; ``None`` when a branch cannot list its own."""
    found: list[Any] = []
    for group in groups:
        if group is None:
            return None
        found.extend(group)
    return tuple(found)


def record_samples(
    always: Mapping[str, Samples | None], sometimes: Mapping[str, Samples | None]
) -> Samples | None:
    """Few objects that, together, carry every sample of every key; the smallest first.

    The smallest has the ``always`` keys with their first samples; then each
    ``sometimes`` key alone on top of it, with its first sample (so a failure
    that needs one key shrinks to an object with that key only). Then rows
    until every sample has been shown: each ``always`` key cycles through its
    samples, and about half the ``sometimes`` keys (another half every few
    rows) cycle through theirs. So the rows grow with the longest key rather
    than with all of them together, and a pool of them is small enough for
    every sample to come up within a hundred examples.
    """
    if any(samples is None for samples in (*always.values(), *sometimes.values())):
        return None
    fixed = {name: samples for name, samples in always.items() if samples}
    optional = {name: samples for name, samples in sometimes.items() if samples}
    smallest = {name: samples[0] for name, samples in fixed.items()}
    rows = [smallest, *({**smallest, name: samples[0]} for name, samples in optional.items())]
    shown = dict.fromkeys(optional, 0)
    row = 0
    while row < max((len(samples) for samples in fixed.values()), default=1) - 1 or any(
        shown[name] < len(samples) for name, samples in optional.items()
    ):
        record = {name: samples[(row + 1) % len(samples)] for name, samples in fixed.items()}
        for place, (name, samples) in enumerate(optional.items()):
            if (row + place + row // 4) % 2 == 0:  # about half the keys, a different half every few rows
                record[name] = samples[shown[name] % len(samples)]
                shown[name] += 1
        rows.append(record)
        row += 1
    return tuple(rows)


def list_samples(items: Samples, low: int, high: int) -> Samples | None:
    """Lists of ``low`` items (empty when allowed), then a list of each item sample, within the bounds."""
    high = max(low, high)
    if high == 0:
        return ([],)
    size = max(low, 1)
    found: list[list[Any]] = [[]] if low == 0 else []
    found += [[sample] * size for sample in items]
    return tuple(found)


__all__ = [
    "MAX_SAMPLES",
    "POOL_SHARE",
    "choice",
    "constant",
    "fresh",
    "is_exhaustive",
    "joined",
    "list_samples",
    "lists",
    "one_of",
    "pooled",
    "record_samples",
    "remember",
    "samples_of",
]
