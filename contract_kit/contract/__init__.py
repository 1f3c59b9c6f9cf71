"""The effective contract: the documented OpenAPI document plus reviewed overlays, in one object.

``document`` reads the files and applies the overlays, ``oas30`` converts
schemas to JSON Schema, ``effective`` builds the :class:`Contract` every
other layer uses, and ``lint`` reports what the document gets wrong.
"""

from contract_kit._json import resolve_pointer
from contract_kit.contract.active import (
    ContractSettings,
    active_contract,
    active_contracts,
    active_settings,
    share_settings,
    unshare_settings,
)
from contract_kit.contract.assertions import assert_valid_request, assert_valid_response, assert_valid_stream
from contract_kit.contract.contract_set import ContractSet, load_contracts, spec_paths
from contract_kit.contract.document import EffectiveDocument, effective_document, spec_files
from contract_kit.contract.effective import Contract, media_type
from contract_kit.contract.jsonpath import compile_path, find
from contract_kit.contract.lint import LintFinding, LintReport, lint
from contract_kit.contract.lint import render_text as render_lint
from contract_kit.contract.loading import build_contract, load_contract
from contract_kit.contract.oas30 import document_schema, to_json_schema
from contract_kit.contract.overlay import (
    Action,
    Overlay,
    action_matches,
    apply_overlay,
    apply_overlays,
    load_overlay,
    parse_overlay,
)
from contract_kit.contract.page import PageExtract, extract_page
from contract_kit.contract.servers import Server, ServerVariable, api_root_suffix
from contract_kit.contract.sse_style import chunk_schema_of, event_schema, with_sse_style
from contract_kit.contract.wire import tool_call_json, whole_delta

__all__ = [
    "Action",
    "Contract",
    "ContractSet",
    "ContractSettings",
    "EffectiveDocument",
    "LintFinding",
    "LintReport",
    "Overlay",
    "PageExtract",
    "Server",
    "ServerVariable",
    "action_matches",
    "active_contract",
    "active_contracts",
    "active_settings",
    "api_root_suffix",
    "apply_overlay",
    "apply_overlays",
    "assert_valid_request",
    "assert_valid_response",
    "assert_valid_stream",
    "build_contract",
    "chunk_schema_of",
    "compile_path",
    "document_schema",
    "effective_document",
    "event_schema",
    "extract_page",
    "find",
    "lint",
    "load_contract",
    "load_contracts",
    "load_overlay",
    "media_type",
    "parse_overlay",
    "render_lint",
    "resolve_pointer",
    "share_settings",
    "spec_files",
    "spec_paths",
    "to_json_schema",
    "tool_call_json",
    "unshare_settings",
    "whole_delta",
    "with_sse_style",
]
