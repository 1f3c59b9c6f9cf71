"""Parsing the JSON and YAML files users hand the kit: one place, one kind of error.

Specs, overlays and cassettes are all user files; a broken one must produce
one line naming the file and the place, never a traceback. PyYAML raises more
than ``YAMLError`` (``!!int x`` is a ``ValueError``, a deep document a
``RecursionError``), so every failure mode is caught here and re-raised as the
caller's error class.

YAML is read with the safe loader minus the timestamp type: OpenAPI and our
files have no date type, so ``version: 2024-05-01`` stays a string (as
openapi-core's own loader reads it) instead of a ``date`` that breaks JSON
output later.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import yaml

from contract_kit.errors import SpecError

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


def parse_yaml(text: str, source: str, error: type[SpecError] = SpecError) -> Any:

    try:
        return yaml.load(text, Loader=yaml_loader())
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
