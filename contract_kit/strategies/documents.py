"""Strategies over several documents: draw across them, or from the one document of a model.

A thin layer over the per-contract builders: each document's strategy is
built (and cached) exactly as for a single contract, and this module only
chooses among them, so a single contract draws exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from contract_kit.contract import Contract, ContractSet
from contract_kit.errors import SpecError

Build = Callable[[Contract], st.SearchStrategy[Any]]


def across(target: Contract | ContractSet, model: str | None, build: Build) -> st.SearchStrategy[Any]:
    """``build`` for the contract of ``model``; without one, for each document, drawn from any of them."""
    if model is not None:
        return build(document_of(target, model))
    if isinstance(target, ContractSet):
        return build(target.primary) if len(target) == 1 else st.one_of([build(c) for c in target])
    return build(target)


def document_of(target: Contract | ContractSet, model: str) -> Contract:
    """The contract whose document lists ``model`` (or the first that allows any model name)."""
    contracts = list(target) if isinstance(target, ContractSet) else [target]
    listed = next((c for c in contracts if model in c.models), None)
    found = listed or next((c for c in contracts if not c.models), None)
    if found is None:
        known = ", ".join(m for c in contracts for m in c.models)
        raise SpecError(f"no loaded document lists the model {model!r}; the documents list: {known}")
    return found


def with_model(model: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A request of the model's document, naming that model (its document may list several)."""

    def pin(request: dict[str, Any]) -> dict[str, Any]:
        return request if request.get("model") == model else {**request, "model": model}

    return pin
