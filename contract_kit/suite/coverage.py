"""Which places of the request schema the generated requests exercised.

A contract suite that never sends ``tool_choice`` as an object, or never a
``null`` ``frequency_penalty``, has not tested those parts of the contract,
however many examples it ran. This module lists the schema's *locations* and
marks the ones a request touched:

- ``property``: a declared property was present (``$.tools[].function.strict``);
- ``branch``: a value matched an ``anyOf``/``oneOf`` branch
  (``$.messages[]{role=tool}``, ``$.stop{array}``);
- ``enum``: each allowed value was sent (``$.tool_choice{string} = "required"``);
- ``type``: each type of a type list was sent (``$.frequency_penalty : null``);
- ``bound``: a number sat exactly on an inclusive bound (``$.temperature = maximum 2``).

Names read as paths: ``.name`` for a property, ``[]`` for list items and
``{label}`` for a branch, labelled by its discriminator (``role=tool``) or
its type. Free-form objects (``parameters``, ``json_schema.schema``) have no
locations: the contract does not describe their insides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_kit.strategies.schema import (
    COMBINATORS,
    Schema,
    SchemaView,
    number_range,
    single_value,
    types_of,
)
from contract_kit.validation import SubschemaValidators

KINDS = ("property", "branch", "enum", "type", "bound")
MAX_DEPTH = 24


@dataclass(frozen=True)
class Location:
    kind: str
    name: str


@dataclass
class CoverageReport:
    """How many locations were exercised, in total and by kind, and which were not."""

    total: int
    hit: int
    by_kind: dict[str, tuple[int, int]]
    missed: list[Location] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.hit / self.total if self.total else 100.0

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {hit}/{total}" for kind, (hit, total) in self.by_kind.items() if total)
        return f"request schema coverage: {self.percent:.1f}% ({self.hit}/{self.total} locations; {kinds})"

    def format(self, max_missed: int = 10) -> str:
        lines = [self.summary()]
        if self.missed:
            shown = ", ".join(location.name for location in self.missed[:max_missed])
            more = len(self.missed) - max_missed
            lines.append(f"  not exercised: {shown}" + (f" (+{more} more)" if more > 0 else ""))
        return "\n".join(lines)


class SchemaCoverage:
    """The locations of one schema, and the ones the recorded instances touched."""

    def __init__(self, schema: Mapping[str, Any] | bool) -> None:
        self.view = SchemaView(schema)
        self.locations: dict[str, Location] = {}
        self.hits: set[str] = set()
        self._validators = SubschemaValidators(self.view.root)
        for location in self._enumerate(self.view.root, "$", 0):
            self.locations.setdefault(location.name, location)

    def record(self, instance: Any) -> None:
        self._record(self.view.root, instance, "$", 0)

    def record_all(self, instances: Iterable[Any]) -> None:
        for instance in instances:
            self.record(instance)

    def report(self) -> CoverageReport:
        by_kind = {kind: (0, 0) for kind in KINDS}
        for name, location in self.locations.items():
            hit, total = by_kind[location.kind]
            by_kind[location.kind] = (hit + (name in self.hits), total + 1)
        missed = [location for name, location in self.locations.items() if name not in self.hits]
        return CoverageReport(len(self.locations), len(self.locations) - len(missed), by_kind, missed)

    # -- the locations a schema has ----------------------------------------------------------------
    def _enumerate(self, schema: Any, path: str, depth: int) -> Iterator[Location]:
        schema = self.view.resolve(schema)
        if depth > MAX_DEPTH:
            return
        for branch_path, branch in self._labelled_branches(schema, path):
            yield Location("branch", branch_path)
            yield from self._enumerate(branch, branch_path, depth + 1)
        yield from self._value_locations(schema, path)
        for name, sub in self.view.properties(schema).items():
            yield Location("property", f"{path}.{name}")
            yield from self._enumerate(sub, f"{path}.{name}", depth + 1)
        items = self.view.items(schema)
        if items is not None:
            yield from self._enumerate(items, f"{path}[]", depth + 1)

    def _value_locations(self, schema: Schema, path: str) -> Iterator[Location]:
        for value in schema.get("enum") or []:
            yield Location("enum", f"{path} = {json.dumps(value)}")
        kinds = types_of(schema)
        if len(kinds) > 1:
            for kind in kinds:
                yield Location("type", f"{path} : {kind}")
        bounds = number_range(schema)
        if bounds is not None:
            for bound, rule in ((bounds.low, "minimum"), (bounds.high, "maximum")):
                if bound is not None and bound in bounds.inclusive_bounds():
                    yield Location("bound", f"{path} = {rule} {_number(bound)}")

    def _labelled_branches(self, schema: Schema, path: str) -> list[tuple[str, Schema]]:
        keyword = next((k for k in COMBINATORS if isinstance(schema.get(k), list)), None)
        if keyword is None:
            return []
        branches = self.view.branches(schema)
        labels = [_label(self.view, branches, index) for index in range(len(branches))]
        return [
            (f"{path}{{{label if labels.count(label) == 1 else f'{label}#{index}'}}}", branch)
            for index, (label, branch) in enumerate(zip(labels, branches, strict=True))
        ]

    # -- the locations an instance touches -----------------------------------------------------------
    def _record(self, schema: Any, value: Any, path: str, depth: int) -> None:
        schema = self.view.resolve(schema)
        if depth > MAX_DEPTH:
            return
        for branch_path, branch in self._labelled_branches(schema, path):
            if self._accepts(branch, value):
                self.hits.add(branch_path)
                self._record(branch, value, branch_path, depth + 1)
        self._record_value(schema, value, path)
        if isinstance(value, dict):
            properties = self.view.properties(schema)
            for key, sub in value.items():
                if key in properties:
                    self.hits.add(f"{path}.{key}")
                    self._record(properties[key], sub, f"{path}.{key}", depth + 1)
        elif isinstance(value, list):
            items = self.view.items(schema)
            if items is not None:
                for element in value:
                    self._record(items, element, f"{path}[]", depth + 1)

    def _record_value(self, schema: Schema, value: Any, path: str) -> None:
        if schema.get("enum") and any(_same(value, allowed) for allowed in schema["enum"]):
            self.hits.add(f"{path} = {json.dumps(value)}")
        kinds = types_of(schema)
        if len(kinds) > 1:
            self.hits.add(f"{path} : {_json_type(value, kinds)}")
        bounds = number_range(schema)
        if bounds is not None and _is_number(value):
            for bound, rule in ((bounds.low, "minimum"), (bounds.high, "maximum")):
                if bound is not None and value == bound:
                    self.hits.add(f"{path} = {rule} {_number(bound)}")

    def _accepts(self, schema: Schema, value: Any) -> bool:
        return self._validators.accepts(schema, value)


def _label(view: SchemaView, branches: list[Schema], index: int) -> str:
    """``role=tool`` when the branches share a discriminator, else the branch's type."""
    branch = branches[index]
    for name in view.properties(branch):
        value = single_value(view.prop(branch, name))
        if value is not None and all(single_value(view.prop(b, name)) is not None for b in branches):
            return f"{name}={value}"
    kinds = types_of(branch)
    return "|".join(kinds) if kinds else str(index)


def _json_type(value: Any, allowed: tuple[str, ...]) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and "integer" in allowed):
        return "integer" if "integer" in allowed else "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(value: Any, allowed: Any) -> bool:
    return type(value) is type(allowed) and value == allowed


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
