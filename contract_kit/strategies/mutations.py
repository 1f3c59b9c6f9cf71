"""Where a valid request can be broken in exactly one way, and what a validator then reports.

:func:`find_sites` walks a valid request alongside the request schema and
lists every single-rule break it allows: a required key removed, a value of
the wrong JSON type, a number past a bound, a string outside an enum, a key a
closed role does not take, a content part another role uses. Each
:class:`Site` carries the violation the contract's validator reports first,
``(path, rule)``, derived from the schema alone:

- the broken keyword at the broken place, as a rule;
- except where ``anyOf``/``oneOf`` branches stand between: a value of a type
  no branch takes is reported as the combinator at that place, and a
  discriminator (``role``, a part's ``type``) outside its enum is reported at
  the discriminator when every branch has one, else as the combinator.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from contract_kit.strategies.compile import INT64
from contract_kit.strategies.schema import (
    COMBINATORS,
    Schema,
    SchemaView,
    enum_values,
    number_range,
    single_value,
    types_of,
)
from contract_kit.validation import SubschemaValidators, json_path

Path = tuple[str | int, ...]
MISSING_REQUIRED, WRONG_TYPE, OUT_OF_RANGE, NOT_IN_ENUM = (
    "missing-required",
    "wrong-type",
    "out-of-range",
    "not-in-enum",
)
MALFORMED_PART, WRONG_ROLE_SHAPE = "malformed-content-part", "wrong-role-shape"
_SAMPLES: tuple[tuple[str, Any], ...] = (
    ("integer", 7),
    ("string", "7"),
    ("boolean", True),
    ("array", []),
    ("object", {}),
    ("null", None),
)
_REMOVE = object()


@dataclass(frozen=True)
class Site:
    """One single-rule break: set ``path`` to ``value`` (or remove it) and expect ``expected``.

    A site with a ``part_schema`` puts a list of one part drawn from that schema at ``path``.
    """

    kind: str
    path: Path
    value: Any
    expected_path: Path
    expected_rule: str
    description: str
    part_schema: Schema | None = None

    @property
    def removes(self) -> bool:
        return self.value is _REMOVE

    def apply(self, request: Any, value: Any = None) -> Any:
        """A copy of ``request`` with the break made (``value`` overrides a deferred value)."""
        if not self.path:
            return copy.deepcopy(self.value)
        broken = copy.deepcopy(request)
        *parents, last = self.path
        target = broken
        for key in parents:
            target = target[key]
        if self.removes:
            del target[last]
        else:
            target[last] = copy.deepcopy(self.value if value is None else value)
        return broken


@dataclass
class Node:
    """A value of the request, the schema it was checked against, and how that schema was chosen."""

    path: Path
    value: Any
    schema: Schema
    outer: Schema
    combinator: str | None = None
    chosen_from: list[Schema] = field(default_factory=list)
    parent: Node | None = None


class SiteFinder:
    """Lists the single-rule breaks of requests valid under one request schema."""

    def __init__(self, view: SchemaView) -> None:
        self.view = view
        self._validators = SubschemaValidators(self.view.root)

    def sites(self, request: dict[str, Any]) -> list[Site]:
        found: list[Site] = []
        for node in self.nodes(self.view.root, request, (), None):
            found.extend(self._node_sites(node))
        found.extend(self._absent_parameter_sites(request))
        return found

    # -- walking -----------------------------------------------------------------------------------
    def nodes(self, schema: Any, value: Any, path: Path, parent: Node | None) -> Iterator[Node]:
        outer = self.view.resolve(schema)
        node = Node(path, value, outer, outer, parent=parent)
        self._choose_branch(node)
        yield node
        if isinstance(value, dict):
            for key, sub in value.items():
                sub_schema = self.view.prop(node.schema, key)
                if sub_schema is not None:
                    yield from self.nodes(sub_schema, sub, (*path, key), node)
        elif isinstance(value, list):
            items = self.view.items(node.schema)
            if items is not None:
                for index, sub in enumerate(value):
                    yield from self.nodes(items, sub, (*path, index), node)

    def _choose_branch(self, node: Node) -> None:
        """Descend through ``anyOf``/``oneOf`` into the branch that accepts the value."""
        while any(keyword in node.schema for keyword in COMBINATORS):
            keyword = next(k for k in COMBINATORS if k in node.schema)
            branches = self.view.branches(node.schema)
            node.combinator = node.combinator or keyword
            node.chosen_from = branches
            node.schema = next((b for b in branches if self.accepts(b, node.value)), branches[0])

    def accepts(self, schema: Schema, value: Any) -> bool:
        return self._validators.accepts(schema, value)

    # -- sites of one node -------------------------------------------------------------------------
    def _node_sites(self, node: Node) -> Iterator[Site]:
        yield from self._wrong_type(node.path, node.outer, node.schema, node.combinator)
        yield from self._outside_enum(node)
        yield from self._out_of_range(node.path, node.schema)
        if isinstance(node.value, dict):
            yield from self._missing_required(node)
            yield from self._closed_role_keys(node)
            yield from self._foreign_parts(node)

    def _wrong_type(
        self, path: Path, outer: Schema, schema: Schema, combinator: str | None
    ) -> Iterator[Site]:
        if combinator is not None:
            taken = {kind for branch in self.view.branches(outer) for kind in types_of(branch)}
            rule = combinator
        elif enum_values(schema) is None and types_of(schema):
            taken, rule = set(types_of(schema)), "type"
        else:
            return
        if "number" in taken:
            taken.add("integer")
        # A branch without ``type`` (``stop``'s bare ``{"nullable": true}``) may take every type: ask the schema.
        judged = outer if combinator is not None else schema
        sample = next(
            (
                (kind, value)
                for kind, value in _SAMPLES
                if kind not in taken and not self.accepts(judged, value)
            ),
            None,
        )
        if sample is not None:
            yield Site(
                WRONG_TYPE,
                path,
                sample[1],
                path,
                rule,
                f"{json_path(path)} is a {sample[0]} ({sample[1]!r}); the schema takes {sorted(taken)}",
            )

    def _outside_enum(self, node: Node) -> Iterator[Site]:
        values = enum_values(node.schema)
        if not values or not all(isinstance(v, str) for v in values):
            return
        value = "not-" + "-".join(values)[:40]
        rule = "const" if "const" in node.schema else "enum"
        expected_path, expected_rule = node.path, rule
        parent = node.parent
        if (
            parent is not None
            and parent.chosen_from
            and not _discriminates(self.view, parent.chosen_from, node.path[-1])
        ):
            expected_path, expected_rule = parent.path, str(parent.combinator)
        elif parent is not None and parent.chosen_from:
            expected_rule = "enum"
        kind = self._kind(node.path, NOT_IN_ENUM)
        yield Site(
            kind,
            node.path,
            value,
            expected_path,
            expected_rule,
            f"{json_path(node.path)} is {value!r}, not one of {values}",
        )

    def _out_of_range(self, path: Path, schema: Schema) -> Iterator[Site]:
        bounds = number_range(schema)
        if bounds is None:
            return
        step = 1
        if bounds.low is not None and bounds.low - step >= INT64[0]:  # past int64 no JSON stack carries it
            value = bounds.low if bounds.low_exclusive else bounds.low - step
            rule = "exclusiveMinimum" if bounds.low_exclusive else "minimum"
            yield Site(
                self._kind(path, OUT_OF_RANGE),
                path,
                _as_number(value, bounds.integer),
                path,
                rule,
                f"{json_path(path)} = {value} is below the {rule} {bounds.low}",
            )
        if bounds.high is not None and bounds.high + step <= INT64[1]:
            value = bounds.high if bounds.high_exclusive else bounds.high + step
            rule = "exclusiveMaximum" if bounds.high_exclusive else "maximum"
            yield Site(
                self._kind(path, OUT_OF_RANGE),
                path,
                _as_number(value, bounds.integer),
                path,
                rule,
                f"{json_path(path)} = {value} is above the {rule} {bounds.high}",
            )

    def _missing_required(self, node: Node) -> Iterator[Site]:
        kind = WRONG_ROLE_SHAPE if _is_message(node.path) else self._kind(node.path, MISSING_REQUIRED)
        for key in self.view.required(node.schema):
            if key in node.value:
                yield Site(
                    kind,
                    (*node.path, key),
                    _REMOVE,
                    node.path,
                    "required",
                    f"{json_path(node.path)} lacks the required {key!r}",
                )

    def _closed_role_keys(self, node: Node) -> Iterator[Site]:
        """A key another role takes, on a message whose role's schema allows no others."""
        if not _is_message(node.path) or node.schema.get("additionalProperties") is not False:
            return
        own = set(self.view.properties(node.schema))
        for branch in node.chosen_from:
            for key in self.view.properties(branch):
                if key not in own and key not in node.value:
                    own.add(key)
                    yield Site(
                        WRONG_ROLE_SHAPE,
                        (*node.path, key),
                        "x",
                        node.path,
                        "additionalProperties",
                        f"{json_path(node.path)} is a {node.value.get('role')!r} message with {key!r}, "
                        "which that role does not take",
                    )

    def _foreign_parts(self, node: Node) -> Iterator[Site]:
        """A content part of a type only other roles use (an image in an assistant message)."""
        if not _is_message(node.path):
            return
        own = self._part_types(node.schema)
        if own is None:
            return
        foreign = {
            t: shape for branch in node.chosen_from for t, shape in (self._part_types(branch) or {}).items()
        }
        path = (*node.path, "content")
        for part_type, shape in foreign.items():
            if part_type not in own and own:
                yield Site(
                    WRONG_ROLE_SHAPE,
                    path,
                    None,
                    (*path, 0, "type"),
                    "enum",
                    f"{json_path(path)} holds a {part_type!r} part, which a {node.value.get('role')!r} "
                    "message does not take",
                    part_schema=shape,
                )

    def _part_types(self, message: Schema) -> dict[str, Schema] | None:
        """Part type -> part schema, when this role's parts are told apart by ``type``; else None."""
        content = self.view.prop(message, "content")
        array = self.view.array_branch(content) if content is not None else None
        items = self.view.items(array) if array is not None else None
        if items is None:
            return None
        branches = self.view.branches(items)
        if len(branches) < 2 or not _discriminates(self.view, branches, "type"):
            return None
        return self.view.tagged_branches(items, "type")

    def _absent_parameter_sites(self, request: dict[str, Any]) -> Iterator[Site]:
        """Top-level parameters the request left out can still be sent broken."""
        for name, schema in self.view.properties(self.view.root).items():
            if name in request:
                continue
            node = Node((name,), None, schema, schema)
            combinator = next((k for k in COMBINATORS if k in schema), None)
            yield from self._wrong_type(node.path, schema, schema, combinator)
            yield from self._out_of_range(node.path, schema)
            if enum_values(schema):
                yield from self._outside_enum(node)

    @staticmethod
    def _kind(path: Path, kind: str) -> str:
        return MALFORMED_PART if _in_part(path) else kind


def _discriminates(view: SchemaView, branches: Sequence[Schema], key: Any) -> bool:
    """Every branch pins ``key`` to one value: the validator reports a miss at the key itself."""
    return all(single_value(view.prop(branch, str(key))) is not None for branch in branches)


def _is_message(path: Path) -> bool:
    return len(path) == 2 and path[0] == "messages" and isinstance(path[1], int)


def _in_part(path: Path) -> bool:
    return len(path) >= 4 and path[0] == "messages" and path[2] == "content" and isinstance(path[3], int)


def _as_number(value: float, integer: bool) -> float | int:
    return int(value) if integer or float(value).is_integer() else value
