"""Where the generator cannot build a keyword, filter with the validator, and say so once.

The compiler builds values to satisfy ``type``, ``enum``/``const``, bounds,
lengths, ``pattern``, ``required``, ``properties``, ``items``, ``anyOf``/
``oneOf``, ``allOf`` and the ``format`` values of ``knowledge.formats``. A
document using other assertions (``not``, ``if``/``then``/``else``,
``contains``, ``uniqueItems``, a ``format`` such as ``idn-email``...) still gets valid
cases: each generated request is checked by the contract's validator and a
failing one is discarded, so nothing invalid is ever produced silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from contract_kit.contract import Contract
from contract_kit.errors import GenerationFallbackWarning
from contract_kit.strategies.knowledge import formats

__all__ = ["UNBUILT_KEYWORDS", "guarded", "unbuilt_keywords"]

UNBUILT_KEYWORDS = frozenset(
    {
        "not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies", "contains",
        "minContains", "maxContains", "patternProperties", "unevaluatedProperties", "unevaluatedItems",
        "propertyNames", "prefixItems", "uniqueItems", "multipleOf", "minProperties", "maxProperties", "x-unmerged",
    }
)  # fmt: skip
ASSERTED_FORMATS = frozenset(
    {
        "date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
        "iri", "iri-reference", "uri", "uri-reference", "uri-template", "uuid", "json-pointer",
        "relative-json-pointer", "regex",
    }
)  # fmt: skip
"""The formats the request validator asserts (JSON Schema 2020-12's defined formats); others are notes."""
BUILT_FORMATS = frozenset(formats())
DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "description"})
NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_WARNED: set[int] = set()


def unbuilt_keywords(schema: Any) -> list[str]:
    """The assertion keywords of ``schema`` the compiler does not build (``not: {type: null}`` is built)."""
    return sorted(set(_keywords(schema)))


def _keywords(node: Any) -> Iterator[str]:
    """Walk schemas only: the names in a ``properties`` map are data, so a property called
    ``format`` or ``not`` is not mistaken for the keyword."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key in DATA_KEYWORDS:
                continue
            if key in UNBUILT_KEYWORDS and not (key == "not" and value == {"type": "null"}):
                yield key
            if key == "format" and isinstance(value, str):
                if value in ASSERTED_FORMATS and value not in BUILT_FORMATS:
                    yield f"format {value}"
            elif key in NAME_MAPS and isinstance(value, dict):
                stack.extend(value.values())
            else:
                stack.append(value)


def guarded(
    strategy: st.SearchStrategy[dict[str, Any]], contract: Contract
) -> st.SearchStrategy[dict[str, Any]]:
    """``strategy`` as is when the compiler builds every keyword; else filtered by the validator, warned once."""
    unbuilt = unbuilt_keywords(contract.request_schema)
    if not unbuilt:
        return strategy
    if id(contract) not in _WARNED:
        _WARNED.add(id(contract))
        warnings.warn(
            f"{contract.files.document.name}: the request schema uses {', '.join(unbuilt)}, which the generator "
            "does not build; generated requests are filtered by the validator instead (slower, never invalid)",
            GenerationFallbackWarning,
            stacklevel=3,
        )
    check = contract.request_check()
    return strategy.filter(check.is_valid)
