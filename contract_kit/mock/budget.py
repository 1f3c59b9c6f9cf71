"""Refuse, before any work, a request whose own schemas ask the mock for unbounded work.

The mock writes values that validate against the client's ``response_format``
JSON schema and its tools' ``parameters``. Those schemas are the client's
data: ``minLength: 1e300``, a ReDoS pattern or ten thousand nested levels
would otherwise freeze the server. :func:`check_request_budget` walks them
once, iteratively (no recursion a client can exhaust), and raises
:class:`~contract_kit.errors.WorkBudgetError` (a 400 naming the keyword and its
path) for anything past :mod:`contract_kit.mock.limits`. What it lets through
is bounded again while generating (``instances``: values and wall-clock time).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from contract_kit.errors import WorkBudgetError
from contract_kit.mock.limits import (
    MAX_MIN_ITEMS,
    MAX_MIN_LENGTH,
    MAX_MIN_PROPERTIES,
    MAX_SCHEMA_DEPTH,
    MAX_SCHEMA_NODES,
)
from contract_kit.mock.strings import pattern_hazard

_LOWER_BOUNDS = {"minLength": MAX_MIN_LENGTH, "minItems": MAX_MIN_ITEMS, "minProperties": MAX_MIN_PROPERTIES}
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
"""Keywords whose values are data, not schemas: never read as limits."""


def client_schemas(request: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(OpenAI-style param path, schema) of every schema the client sent."""
    response_format = request.get("response_format")
    spec = response_format.get("json_schema") if isinstance(response_format, Mapping) else None
    if isinstance(spec, Mapping) and "schema" in spec:
        yield "response_format.json_schema.schema", spec["schema"]
    tools = request.get("tools")
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and "parameters" in function:
            yield f"tools[{index}].function.parameters", function["parameters"]


def check_request_budget(request: Mapping[str, Any]) -> None:
    """Raise :class:`WorkBudgetError` when a client schema is past the mock's limits."""
    nodes = 0
    for root_path, schema in client_schemas(request):
        stack: list[tuple[Any, str, int]] = [(schema, root_path, 0)]
        while stack:
            node, path, depth = stack.pop()
            if not isinstance(node, (dict, list)):
                continue
            nodes += 1
            if nodes > MAX_SCHEMA_NODES:
                _refuse(
                    root_path, f"the request's schemas have more than {MAX_SCHEMA_NODES} objects and arrays"
                )
            if depth > MAX_SCHEMA_DEPTH:
                _refuse(path, f"the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep")
            if isinstance(node, dict):
                _check_keywords(node, path)
                children = [
                    (value, f"{path}.{key}") for key, value in node.items() if key not in _DATA_KEYWORDS
                ]
            else:
                children = [(value, f"{path}[{index}]") for index, value in enumerate(node)]
            stack.extend((value, child_path, depth + 1) for value, child_path in children)


def _check_keywords(node: dict[str, Any], path: str) -> None:
    for keyword, limit in _LOWER_BOUNDS.items():
        value = node.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > limit:
            _refuse(f"{path}.{keyword}", f"{keyword} is {value:g}; the mock generates at most {limit}")
    patterns = [(f"{path}.pattern", node["pattern"])] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        patterns += [(f"{path}.patternProperties", key) for key in node["patternProperties"]]
    for where, pattern in patterns:
        hazard = pattern_hazard(pattern)
        if hazard is not None:
            shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
            _refuse(where, f"the pattern {shown!r} is refused: {hazard}")


def _refuse(param: str, reason: str) -> NoReturn:
    shown = param if len(param) <= 120 else f"{param[:60]}...{param[-40:]}"
    raise WorkBudgetError(
        f"Invalid schema for {shown}: {reason}. The mock's limits are listed in its README "
        '("The mock\'s limits"); simplify the schema.',
        param=param,
    )
