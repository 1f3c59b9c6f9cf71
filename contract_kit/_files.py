"""Parsing the JSON and YAML files users hand the kit: one place, one kind of error.

Specs, overlays and cassettes are all user files; a broken one must produce
one line naming the file and the place, never a traceback. PyYAML raises more
than ``YAMLError`` (``!!int x`` is a ``ValueError``, a deep document a
``RecursionError``), so every failure mode is caught here and re-raised as the
caller's error class.

YAML aliases are bounded before anything is built: a 1 KB "billion laughs"
document composes to a small graph of shared nodes but expands to billions of
values once anything walks it. ``parse_yaml`` counts the nodes the document
expands to (shared nodes counted once per use, in time linear in the
*composed* graph) and refuses more than ``MAX_EXPANDED_NODES``, or any alias
at all when the caller says ``aliases=False`` (cassettes, which the kit writes
without them). A recursive alias is refused too.

YAML is read with the safe loader minus the timestamp type: OpenAPI and our
files have no date type, so ``version: 2024-05-01`` stays a string (as
openapi-core's own loader reads it) instead of a ``date`` that breaks JSON
output later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml

from contract_kit.errors import SpecError

ErrorClass = Callable[..., Exception]  # SpecError, CassetteError: (message, *, source, location)
MAX_EXPANDED_NODES = 1_000_000  # about ten times the node count of the largest real OpenAPI documents

_PARSER_FAILURES = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
)


def parse_json(text: str, source: str, error: type[SpecError] = SpecError, *, what: str = "JSON") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"invalid {what}: {exc.msg}", source=source, location=f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise error(f"invalid {what}: nested too deeply to read", source=source) from None


def parse_yaml(text: str, source: str, error: ErrorClass = SpecError, *, aliases: bool = True) -> Any:
    """YAML text -> data; ``aliases=False`` refuses every alias, otherwise their expansion is bounded."""

    try:
        return load_yaml(text, source, error, aliases=aliases)
    except yaml.YAMLError as exc:
        raise error(
            f"invalid YAML: {_yaml_problem(exc)}", source=source, location=_yaml_location(exc)
        ) from None
    except _PARSER_FAILURES as exc:
        reason = (
            "nested too deeply to read"
            if isinstance(exc, RecursionError)
            else f"a value cannot be read ({exc})"
        )
        raise error(f"invalid YAML: {reason}", source=source) from None


def load_yaml(text: str, source: str, error: ErrorClass, *, aliases: bool = True) -> Any:
    """Compose, check the aliases (raising ``error``), construct; PyYAML's own errors pass through."""
    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # no anchor, no alias: nothing to check
            _check_expansion(node, source, error, aliases=aliases)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Any, source: str, error: ErrorClass, *, aliases: bool) -> None:
    """Refuse aliases (or an expansion past ``MAX_EXPANDED_NODES``) without expanding anything."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        if done:
            active.discard(ident)
            sizes[ident] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[ident] > MAX_EXPANDED_NODES:
                raise error(
                    f"YAML aliases expand this document to more than {MAX_EXPANDED_NODES:,} values "
                    "(an alias bomb?); write the repeated parts out or use $ref",
                    source=source,
                    location=_node_location(node),
                )
            continue
        if ident in active:
            raise error("a YAML alias refers to itself", source=source, location=_node_location(node))
        if ident in sizes:
            if not aliases:
                raise error(
                    "YAML anchors and aliases (&name / *name) are not allowed here; write the value out",
                    source=source,
                    location=_node_location(node),
                )
            continue
        active.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes or not aliases)


def _children(node: Any) -> list[Any]:
    value = node.value
    if not isinstance(value, list):
        return []
    return [part for pair in value for part in pair] if value and isinstance(value[0], tuple) else value


def _node_location(node: Any) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def parse_text(text: str, source: str, error: type[SpecError] = SpecError) -> Any:
    """JSON for ``*.json`` (YAML rejects some valid JSON, such as tab indentation), YAML otherwise."""
    if source.endswith(".json"):
        return parse_json(text, source, error)
    return parse_yaml(text, source, error)


@lru_cache(maxsize=1)
def yaml_loader() -> Any:
    """The C safe loader (pure-Python fallback) without YAML's timestamp type."""

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, regex) for tag, regex in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("NoTimestampLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def _yaml_location(exc: Any) -> str | None:
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None


def _yaml_problem(exc: Any) -> str:
    problem: str = getattr(exc, "problem", None) or str(exc)
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None:
        problem += f" ({context} started at line {start.line + 1}, column {start.column + 1})"
    return problem
