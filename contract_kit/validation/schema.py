"""Fast schema checks with detailed reports only when something is wrong.

Each body schema is compiled once with ``jsonschema_rs`` (Rust) for the hot
path: a valid payload costs one ``is_valid`` call. Only an invalid payload pays
for ``jsonschema``'s detailed errors, which we turn into ``Violation``s. A
separate walk reports fields the schema does not declare (``info`` severity),
because OpenAPI objects accept extra keys silently and drift hides there.

``check`` asks a closed copy of the schema first (unknown keys rejected): it
is stricter than the open schema, so when it accepts the payload there is no
schema error and no undocumented field, and that single Rust call is the
whole cost of a good payload.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import relevance

from contract_kit.validation.violations import Violation, json_path

_ANNOTATION_ONLY = {
    "description",
    "title",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
}


class SchemaCheck:
    """One compiled body schema: ``is_valid`` fast, ``violations`` detailed, ``undocumented`` walk."""

    def __init__(self, schema: dict[str, Any] | bool, *, name: str = "body", formats: bool = False) -> None:
        self.schema = schema
        self.name = name
        self.formats = formats  # assert ``format`` (uri, date-time, email, ...): requests, not answers
        self._fast = jsonschema_rs.validator_for(schema, validate_formats=formats)
        self._detailed: Any = None
        self._closed: Any = None
        self._subschemas = SubschemaValidators(schema)
        self._declared_cache: dict[int, tuple[Any, set[str]]] = {}

    def is_valid(self, instance: Any) -> bool:
        return bool(self._fast.is_valid(instance))

    def check(self, instance: Any, where: str) -> tuple[list[Violation], list[Violation]]:
        """(schema errors, undocumented fields); one Rust call when the payload is valid and documented."""
        closed = self._closed if self._closed is not None else self._closed_validator()
        if closed.is_valid(instance):
            return [], []
        return self.violations(instance, where), self._undocumented_walk(instance, where)

    def violations(self, instance: Any, where: str) -> list[Violation]:
        """All schema errors, most relevant first; empty when valid."""
        if self.is_valid(instance):
            return []
        found = [_to_violation(err, where) for err in self._sorted_errors(instance)]
        return found or self._format_violations(instance, where)

    def _format_violations(self, instance: Any, where: str) -> list[Violation]:
        """What only the Rust validator asserts: jsonschema checks ``uri`` only when the
        optional ``rfc3987`` package is installed, so its detailed pass can find nothing."""
        return [_rs_violation(err, where) for err in self._fast.iter_errors(instance)]

    def _sorted_errors(self, instance: Any) -> list[Any]:

        if self._detailed is None:
            checker = Draft202012Validator.FORMAT_CHECKER if self.formats else None
            self._detailed = Draft202012Validator(self.schema, format_checker=checker)
        errors = sorted(self._detailed.iter_errors(instance), key=relevance, reverse=True)
        return [_most_relevant_leaf(err) for err in errors]

    def undocumented(self, instance: Any, where: str) -> list[Violation]:
        """Keys present in the payload but declared nowhere in the schema.

        A closed copy of the schema (``unevaluatedProperties: false`` on every
        open object) is checked first in Rust: when it accepts the payload
        there is nothing undocumented and the Python walk is skipped.
        """
        if self._closed_validator().is_valid(instance):
            return []
        return self._undocumented_walk(instance, where)

    def _closed_validator(self) -> Any:
        if self._closed is None:
            self._closed = jsonschema_rs.validator_for(close_objects(self.schema), validate_formats=False)
        return self._closed

    def _undocumented_walk(self, instance: Any, where: str) -> list[Violation]:
        hits: list[tuple[tuple[str | int, ...], str, Any]] = []
        self._walk(self.schema, instance, (), hits)
        found = []
        for path, key, value in hits:
            text_path, rule, message = _undocumented_text(path, key)
            found.append(
                Violation(
                    text_path, rule, message, where, "a declared property", value, "undocumented", "info"
                )
            )
        return found

    # The walk follows the schema alongside the instance. For anyOf/oneOf it
    # descends into the first branch that accepts the value, so a key declared
    # in the matching branch is not reported. Scalars have no keys: skipped.
    def _walk(
        self,
        schema: Any,
        instance: Any,
        path: tuple[str | int, ...],
        hits: list[tuple[tuple[str | int, ...], str, Any]],
    ) -> None:
        if not isinstance(instance, (dict, list)):
            return
        schema = self._deref(schema)
        if not isinstance(schema, dict):
            return
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                branch = self._accepting_branch(schema[keyword], instance)
                if branch is not None:
                    self._walk(branch, instance, path, hits)
        for sub in schema.get("allOf", ()):
            self._walk(sub, instance, path, hits)
        if isinstance(instance, dict):
            self._walk_object(schema, instance, path, hits)
        elif isinstance(schema.get("items"), dict):
            items = schema["items"]
            for index, item in enumerate(instance):
                self._walk(items, item, (*path, index), hits)

    def _walk_object(
        self,
        schema: dict[str, Any],
        instance: dict[str, Any],
        path: tuple[str | int, ...],
        hits: list[tuple[tuple[str | int, ...], str, Any]],
    ) -> None:
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        report_unknown = properties is not None and extra is None and "patternProperties" not in schema
        declared: Any = self._declared(schema) if report_unknown else properties
        for key, value in instance.items():
            if properties is not None and key in properties:
                if value.__class__ is dict or value.__class__ is list:
                    self._walk(properties[key], value, (*path, key), hits)
            elif isinstance(extra, dict):
                self._walk(extra, value, (*path, key), hits)
            elif report_unknown and key not in declared:
                hits.append((path, key, value))

    def _declared(self, schema: dict[str, Any]) -> set[str]:
        cached = self._declared_cache.get(id(schema))
        if cached is None:
            cached = (schema, _declared_keys(schema, self._deref))
            self._declared_cache[id(schema)] = cached
        return cached[1]

    def _deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema and isinstance(self.schema, dict):
            ref = str(schema["$ref"])
            if not ref.startswith("#/$defs/"):
                return schema
            schema = self.schema.get("$defs", {}).get(ref[len("#/$defs/") :])
        return schema

    def _accepting_branch(self, branches: Sequence[Any], instance: Any) -> Any:
        for branch in branches:
            if self._subschemas.accepts(branch, instance):
                return branch
        return None


class SubschemaValidators:
    """Compiled validators for the sub-schemas of one root schema, each compiled once.

    A sub-schema (an ``anyOf`` branch, a property) may point into the root's
    ``$defs``, so it is compiled with them attached. Entries are keyed by the
    sub-schema's identity and keep it alive, so an id is never reused.
    """

    def __init__(self, root: Any) -> None:
        self._defs = root.get("$defs") if isinstance(root, dict) else None
        self._cache: dict[int, tuple[Any, Any]] = {}

    def accepts(self, schema: Any, value: Any) -> bool:
        cached = self._cache.get(id(schema))
        if cached is None:
            standalone = (
                {**schema, "$defs": self._defs} if isinstance(schema, dict) and self._defs else schema
            )
            cached = (schema, jsonschema_rs.validator_for(standalone, validate_formats=False))
            self._cache[id(schema)] = cached
        return bool(cached[1].is_valid(value))


@lru_cache(maxsize=4096)
def _undocumented_text(path: tuple[str | int, ...], key: str) -> tuple[str, str, str]:
    """(JSONPath, rule, message) of an undocumented field; the same fields recur in every response."""
    return json_path((*path, key)), "undocumented", f"field {key!r} is not declared in the schema"


_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SUBSCHEMA_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
# Keywords that evaluate properties in place: with none of them beside ``properties``,
# ``additionalProperties: false`` means what ``unevaluatedProperties: false`` means,
# and jsonschema-rs checks it about twice as fast.
_IN_PLACE = frozenset(
    ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$dynamicRef", "dependentSchemas")
)


def close_objects(schema: Any) -> Any:
    """A copy where every object schema that lists properties and says nothing about
    others rejects unknown keys. Used only as a fast "nothing undocumented" gate."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [close_objects(s) for s in out[key]]
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: close_objects(s) for name, s in out[key].items()}
    for key in _SUBSCHEMA_SINGLE:
        if isinstance(out.get(key), dict):
            out[key] = close_objects(out[key])
    if (
        "properties" in out
        and not {"additionalProperties", "patternProperties", "unevaluatedProperties"} & out.keys()
    ):
        closing = "unevaluatedProperties" if _IN_PLACE & out.keys() else "additionalProperties"
        out[closing] = False
    return out


def _declared_keys(schema: dict[str, Any], deref: Any) -> set[str]:
    keys = set(schema.get("properties") or ())
    for sub in schema.get("allOf", ()):
        sub = deref(sub)
        if isinstance(sub, dict):
            keys |= set(sub.get("properties") or ())
    return keys


def _most_relevant_leaf(error: Any) -> Any:
    """Descend from an ``anyOf``/``oneOf`` failure into the branch the payload was meant for.

    A branch is ruled out when the payload misses its discriminating
    ``enum``/``const`` one level down (e.g. ``role: user``) or the branch's own
    ``type`` (a number is not meant for the array branch). Among the branches
    left, the one with the fewest errors is meant. When every branch misses
    the same discriminator, the report is that field with every allowed value
    (``'robot' is not one of ['user', 'system', ...]``). Without a clear winner
    the combinator error itself is kept, since it is then the honest summary.
    """
    while error.context and error.validator in ("anyOf", "oneOf"):
        branches: dict[int, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        plausible = [errs for errs in branches.values() if not any(_rules_out(e, error) for e in errs)]
        if not plausible:
            merged = _merged_discriminator(error, list(branches.values()))
            return merged if merged is not None else error
        best = min(plausible, key=len)
        ties = [errs for errs in plausible if len(errs) == len(best)]
        if len(ties) > 1 and not _same_leaf(ties):
            return error
        error = sorted(best, key=lambda e: len(e.absolute_path))[0]
    return error


def _rules_out(sub: Any, parent: Any) -> bool:
    wrong_type = sub.validator == "type" and len(sub.absolute_path) == len(parent.absolute_path)
    return wrong_type or _is_discriminator_miss(sub, parent)


def _merged_discriminator(parent: Any, branches: list[list[Any]]) -> Any:
    """One ``enum`` error listing every branch's value, when all branches miss at the same field; else None."""

    misses = []
    for errs in branches:
        miss = next((e for e in errs if _is_discriminator_miss(e, parent)), None)
        if miss is None:
            return None
        misses.append(miss)
    if len({tuple(m.absolute_path) for m in misses}) != 1:
        return None
    allowed: list[Any] = []
    for miss in misses:
        for value in miss.validator_value if miss.validator == "enum" else [miss.validator_value]:
            if value not in allowed:
                allowed.append(value)
    merged = copy.copy(misses[0])
    merged.validator, merged.validator_value = "enum", allowed
    merged.message = f"{merged.instance!r} is not one of {allowed!r}"
    return merged


def _same_leaf(groups: list[list[Any]]) -> bool:
    firsts = {(e[0].validator, tuple(e[0].absolute_path), str(e[0].message)) for e in groups if e}
    return len(firsts) == 1


def _is_discriminator_miss(sub: Any, parent: Any) -> bool:
    return sub.validator in ("enum", "const") and len(sub.absolute_path) == len(parent.absolute_path) + 1


def _to_violation(error: Any, where: str) -> Violation:
    instance = error.instance
    return Violation(
        path=json_path(error.absolute_path),
        rule=str(error.validator),
        message=_short_message(error),
        where=where,
        expected=_expected(error),
        observed=instance,
        kind="schema",
        severity="error",
    )


def _rs_violation(error: Any, where: str) -> Violation:
    rule = str(error.schema_path[-1]) if error.schema_path else "schema"
    return Violation(
        path=json_path(tuple(error.instance_path)),
        rule=rule,
        message=_short_message(error),
        where=where,
        expected=None,
        observed=error.instance,
        kind="schema",
        severity="error",
    )


def _short_message(error: Any) -> str:
    message = str(error.message)
    if len(message) > 200:
        message = message[:197] + "..."
    return message


def _expected(error: Any) -> Any:
    value = error.validator_value
    if error.validator in ("anyOf", "oneOf", "allOf"):
        return f"{error.validator} of {len(value)} schemas"
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in _ANNOTATION_ONLY}
    return value


def schema_errors_first(violations: Sequence[Violation]) -> list[Violation]:
    """Errors before infos, stable otherwise: the first entry is what a 400 should name."""
    return sorted(violations, key=lambda v: v.severity != "error")
