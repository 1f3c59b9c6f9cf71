"""The strategies over several documents: across them, or for one model from its own document."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from openapi_core import OpenAPI
from two_pages import B_MAX_TOKENS, MODEL_A, MODEL_B, PAGE_B, oracle, oracle_request, write_two_pages

from contract_kit.contract import ContractSet, load_contracts
from contract_kit.errors import SpecError
from contract_kit.strategies import (
    chat_requests,
    chat_responses,
    chat_streams,
    invalid_chat_requests,
    raw_request_violations,
)

FEW = settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
FOLDER = write_two_pages(Path(tempfile.mkdtemp(prefix="two-pages-")))  # built at import: @given needs it
atexit.register(shutil.rmtree, FOLDER, True)
DOCUMENTS = load_contracts("observed", FOLDER)
B = DOCUMENTS.for_model(MODEL_B)
ORACLE_B: OpenAPI = oracle(FOLDER / PAGE_B)


@FEW
@given(chat_requests(DOCUMENTS, model=MODEL_B))
def test_requests_for_one_model_only_name_it_and_keep_its_document(request: dict[str, Any]) -> None:
    assert request["model"] == MODEL_B
    assert B is not None and [v for v in B.validate_request(request) if v.severity == "error"] == []
    assert not isinstance(request.get("max_tokens"), (int, float)) or request["max_tokens"] <= B_MAX_TOKENS
    ORACLE_B.validate_request(oracle_request(request))  # openapi-core on B's own document agrees


def test_requests_across_documents_reach_every_model() -> None:
    for model in (MODEL_A, MODEL_B):
        found = find(chat_requests(DOCUMENTS), lambda r, m=model: r["model"] == m, settings=FEW)
        document = DOCUMENTS.for_request(found)
        assert document.models == [model]
        assert [v for v in document.validate_request(found) if v.severity == "error"] == []


@FEW
@given(chat_responses(DOCUMENTS, model=MODEL_B), chat_streams(DOCUMENTS, model=MODEL_B))
def test_responses_and_streams_for_one_model_keep_its_document(body: dict[str, Any], stream: Any) -> None:
    assert B is not None
    assert [v for v in B.validate_response(body) if v.severity == "error"] == []
    assert [
        v for v in B.validate_stream(stream.raw, stream.request).violations if v.severity == "error"
    ] == []


@FEW
@given(invalid_chat_requests(DOCUMENTS, model=MODEL_B))
def test_invalid_requests_for_one_model_break_its_document(case: Any) -> None:
    assert B is not None
    first = raw_request_violations(B, case.body, case.content_type)[0]
    assert (first.path, first.rule) == (case.expected_path, case.expected_rule)


def test_a_model_no_document_lists_is_an_error_naming_the_listed_ones() -> None:
    with pytest.raises(SpecError, match="nobody/else") as caught:
        chat_requests(DOCUMENTS, model="nobody/else")
    assert MODEL_A in str(caught.value) and MODEL_B in str(caught.value)


def test_one_contract_draws_from_the_same_strategy_as_before() -> None:
    single = DOCUMENTS.primary
    assert chat_requests(ContractSet((single,))) is chat_requests(single)
