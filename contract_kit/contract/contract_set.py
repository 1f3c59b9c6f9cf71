"""Several documents at once: one contract per document, each model answered by its own.

The seed's vendor publishes one page, with one document, per model, all on the
same endpoint. A team that uses several models points ``--spec`` (or
``--contract-spec``) at a folder of those pages, or names several files;
:func:`load_contracts` loads each document as :func:`load_contract` does
(same profiles, overlays and cache) and :class:`ContractSet` picks, for a
request, the contract whose model list names the request's ``model``.

A model listed by two documents would be ambiguous: loading refuses it and
names both files.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_kit.contract.document import DEFAULT_PROFILE, documents_in_folder
from contract_kit.contract.effective import Contract
from contract_kit.contract.loading import load_contract
from contract_kit.errors import DuplicateModelError, SpecError
from contract_kit.validation import Violation

SpecsArgument = str | Path | Sequence[str | Path] | None

__all__ = ["ContractSet", "SpecsArgument", "load_contracts", "spec_paths"]


@dataclass(frozen=True, eq=False)
class ContractSet:
    """The contracts of several documents (at least one), in the order given; immutable."""

    contracts: tuple[Contract, ...]
    _by_model: dict[str, Contract] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.contracts:
            raise SpecError("a contract set needs at least one document; pass a file or a folder holding one")
        by_model: dict[str, Contract] = {}
        for contract in self.contracts:
            for model in contract.models:
                other = by_model.setdefault(model, contract)
                if other is not contract:
                    raise DuplicateModelError(
                        f"the model {model!r} is listed by two documents, {other.files.document} and "
                        f"{contract.files.document}; keep it in one of them (each model is answered "
                        "by exactly one document)"
                    )
        object.__setattr__(self, "_by_model", by_model)

    def __repr__(self) -> str:
        return f"ContractSet(documents={self.documents!r}, models={self.models!r})"

    def __iter__(self) -> Iterator[Contract]:
        return iter(self.contracts)

    def __len__(self) -> int:
        return len(self.contracts)

    @property
    def primary(self) -> Contract:
        """The first document's contract: it answers what names no model of another document."""
        return self.contracts[0]

    @property
    def profile(self) -> str:
        return self.primary.profile

    @property
    def documents(self) -> list[str]:
        """Each contract's document name (its file name), in order."""
        return [document_name(c) for c in self.contracts]

    @property
    def models(self) -> list[str]:
        """Every document's models, in document order, each once."""
        return list(self._by_model)

    def for_model(self, model: Any) -> Contract | None:
        """The contract whose document lists ``model``, else ``None``."""
        return self._by_model.get(model) if isinstance(model, str) else None

    @property
    def api_roots(self) -> list[str]:
        """Every document's API roots, in order, once each: what ``chat_mock`` routes by default."""
        return list(dict.fromkeys(root for contract in self.contracts for root in contract.api_roots))

    @property
    def api_root_path(self) -> str:
        """The first document's API root path: what ``chat_server.base_url`` ends with."""
        return self.primary.api_root_path

    def for_request(self, body: Any) -> Contract:
        """The contract of the request's ``model``; the first document's when no document lists it."""
        found = self.for_model(body.get("model")) if isinstance(body, Mapping) else None
        return found if found is not None else self.primary

    def validate_request(self, body: Any) -> list[Violation]:
        """Schema violations of a request body against its model's document."""
        return self.for_request(body).validate_request(body)

    def assert_request(self, body: Any) -> None:
        """Fail when ``body`` breaks its model's document."""
        __tracebackhide__ = True
        self.for_request(body).assert_request(body)


def document_name(contract: Contract) -> str:
    """The name a report gives a contract's document: its file name."""
    return contract.files.document.name


def spec_paths(specs: SpecsArgument) -> list[Path | None]:
    """Every document path ``specs`` names: a folder's documents (sorted by name), each file as given.

    A string may hold several paths joined by ``os.pathsep`` (``:`` on POSIX, ``;`` on Windows), the
    form an ini key or an environment variable takes; ``None`` (or nothing) is the bundled document.
    """
    entries: list[str | Path] = []
    for spec in [specs] if specs is None or isinstance(specs, (str, Path)) else list(specs):
        if isinstance(spec, str):
            entries.extend(part.strip() for part in spec.split(os.pathsep) if part.strip())
        elif spec is not None:
            entries.append(spec)
    if not entries:
        return [None]
    paths: list[Path | None] = []
    for entry in entries:
        path = Path(entry).expanduser()
        found = documents_in_folder(path) if path.is_dir() else [path]
        if not found:
            raise SpecError(
                "no OpenAPI document (a JSON or YAML file with an 'openapi' key) in the folder; "
                "put the documents there or pass their files",
                source=str(path),
            )
        paths.extend(p for p in found if p not in paths)
    return paths


_SETS: dict[tuple[Any, ...], ContractSet] = {}
_LOCK = threading.Lock()


def load_contracts(
    profile: str = DEFAULT_PROFILE,
    specs: SpecsArgument = None,
    *,
    overlays: Iterable[str | Path] = (),
    operation: str | None = None,
) -> ContractSet:
    """The contracts of every document ``specs`` names (see :func:`spec_paths`), each loaded by
    :func:`load_contract`; ``overlays`` (a team's own) apply to each document."""
    extra = tuple(overlays)
    contracts = tuple(
        load_contract(profile, path, overlays=extra, operation=operation) for path in spec_paths(specs)
    )
    key = tuple(id(c) for c in contracts)
    with _LOCK:  # the same contracts give the same set, so strategies built for it are reused
        found = _SETS.get(key)
        if found is None or any(a is not b for a, b in zip(found.contracts, contracts, strict=True)):
            found = _SETS[key] = ContractSet(contracts)
        return found
