"""Where the generator cannot build a keyword, filter with the validator, and say so once.

The compiler builds values to satisfy ``type``, ``enum``/``const``, bounds,
lengths, ``pattern``, ``required``, ``properties``, ``items``, ``anyOf``/
``oneOf`` and ``allOf``. A document using other assertions (``not``,
``if``/``then``/``else``, ``contains``, ``uniqueItems``...) still gets valid
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

__all__ = ["UNBUILT_KEYWORDS", "guarded", "unbuilt_keywords"]

UNBUILT_KEYWORDS = frozenset(
    {
        "not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies", "contains",
        "minContains", "maxContains", "patternProperties", "unevaluatedProperties", "unevaluatedItems",
        "propertyNames", "prefixItems", "uniqueItems", "multipleOf", "minProperties", "maxProperties", "x-unmerged",
    }
)  # fmt: skip
DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "description"})
_WARNED: set[int] = set()


def unbuilt_keywords(schema: Any) -> list[str]:
    """The assertion keywords of ``schema`` the compiler does not build (``not: {type: null}`` is built)."""
    return sorted(set(_keywords(schema)))


def _keywords(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in DATA_KEYWORDS:
                    continue
                if key in UNBUILT_KEYWORDS and not (key == "not" and value == {"type": "null"}):
                    yield key
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


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
