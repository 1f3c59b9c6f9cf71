"""How a contract is made: ``load_contract(profile, spec)`` reads the documented document,
applies the profile's overlays, checks the operation's part of it is valid OpenAPI, finds the
chat-completions operation and converts every body schema once, by the document's version.

Contracts are cached per process, keyed by the files and their modification times, so a test
session loads a 3 MB document once and an edited overlay is seen at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from contract_kit._json import resolve_pointer
from contract_kit.contract.document import (
    DEFAULT_PROFILE,
    EffectiveDocument,
    SpecFiles,
    check_profile,
    deref,
    effective_document,
    operation_path,
    server_path_prefix,
    spec_files,
)
from contract_kit.contract.effective import JSON, Contract, media_type
from contract_kit.contract.oas30 import to_json_schema
from contract_kit.contract.oas31 import Oas31Conversion, is_oas31
from contract_kit.contract.servers import operation_servers
from contract_kit.contract.validity import ensure_valid


def build_contract(
    effective: EffectiveDocument, *, operation: str | None = None, validate_spec: bool = True
) -> Contract:
    """Turn an effective document into a Contract (schemas converted once, by the document's version)."""
    if validate_spec:
        ensure_valid(effective)
    document = effective.document
    path = operation_path(document, operation)
    op = document["paths"][path]["post"]
    convert, notes = _converter(document)

    body = deref(document, op.get("requestBody") or {})
    request_media = deref(document, (body.get("content") or {}).get(JSON) or {})
    request_schema = convert(request_media.get("schema", {}))
    responses: dict[str, dict[str, dict[str, Any] | bool]] = {}
    for status, response in (op.get("responses") or {}).items():
        response = deref(document, response)
        responses[str(status)] = {
            media_type(mtype): convert(deref(document, media).get("schema", {}))
            for mtype, media in (response.get("content") or {}).items()
        }
    return Contract(
        profile=effective.profile,
        files=effective.files,
        document=document,
        original=effective.original,
        path=path,
        base_path=server_path_prefix(document),
        request_schema=request_schema,
        responses=responses,
        skipped_actions=list(effective.skipped_actions),
        conversion_notes=dict(sorted(notes.items())),
        servers=operation_servers(document, path),
    )


def _converter(document: dict[str, Any]) -> tuple[Callable[[Any], dict[str, Any] | bool], dict[str, str]]:
    """3.1 documents are JSON Schema 2020-12 already (``oas31``); 3.0 ones go through ``oas30``."""

    if is_oas31(document):
        conversion = Oas31Conversion(document)
        return conversion.convert, conversion.notes
    components = (document.get("components") or {}).get("schemas") or {}

    def convert(schema: Any) -> dict[str, Any] | bool:
        return to_json_schema(
            schema, components=components, resolver=lambda ref: resolve_pointer(document, ref)
        )

    return convert, {}


_CACHE: dict[tuple[Any, ...], Contract] = {}
_LOCK = threading.Lock()


def load_contract(
    profile: str = DEFAULT_PROFILE,
    spec: str | Path | None = None,
    *,
    overlays: Iterable[str | Path] = (),
    operation: str | None = None,
) -> Contract:
    """Load (once per process) the contract of ``profile`` for ``spec`` (default: the bundled document)."""
    check_profile(profile)
    files = spec_files(spec, overlays)
    key = (profile, files, operation, _mtimes(files))
    with _LOCK:
        contract = _CACHE.get(key)
        if contract is None:
            contract = build_contract(effective_document(files, profile), operation=operation)
            _CACHE[key] = contract
    return contract


def _mtimes(files: SpecFiles) -> tuple[float, ...]:
    paths = [files.document, *(ref.path for ref in files.repairs + files.observed + files.extra)]
    return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)
