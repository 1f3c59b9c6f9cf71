"""Several documents at once: ``load_contracts`` on a folder or several files, and ``ContractSet``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from two_pages import B_MAX_TOKENS, MODEL_A, MODEL_B, PAGE_A, PAGE_B, chat, write_two_pages

import contract_kit
from contract_kit.contract import ContractSet, load_contract, load_contracts, spec_paths
from contract_kit.errors import ConfigError, DuplicateModelError, SpecError


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_two_pages(tmp_path_factory.mktemp("pages"))


def test_a_folder_loads_every_document_by_name_and_skips_what_is_not_one(folder: Path) -> None:
    documents = load_contracts("observed", folder)
    assert isinstance(documents, contract_kit.ContractSet)
    assert documents.documents == [PAGE_A, PAGE_B]  # notes.json is no OpenAPI document
    assert documents.models == [MODEL_A, MODEL_B]
    assert [c.files.document.name for c in documents] == [PAGE_A, PAGE_B]
    assert documents.for_model(MODEL_B) is documents.contracts[1]
    assert documents.for_model("nobody/else") is None
    assert documents.for_request({"model": "nobody/else"}) is documents.primary


def test_each_contract_is_the_one_load_contract_gives_its_file(folder: Path) -> None:
    documents = load_contracts("observed", folder)
    assert documents.contracts[1] is load_contract("observed", folder / PAGE_B)
    assert load_contracts("observed", folder) is documents  # cached: strategies built for it are reused


def test_each_document_keeps_its_own_request_schema(folder: Path) -> None:
    documents = load_contracts("observed", folder)
    big = chat(MODEL_B, max_tokens=B_MAX_TOKENS + 1)
    assert [v.rule for v in documents.validate_request(big) if v.severity == "error"] == ["maximum"]
    assert documents.validate_request(chat(MODEL_A, max_tokens=B_MAX_TOKENS + 1)) == []
    with pytest.raises(AssertionError, match="maximum"):
        documents.assert_request(big)


def test_several_files_by_list_or_os_pathsep(folder: Path) -> None:
    joined = os.pathsep.join(str(folder / name) for name in (PAGE_B, PAGE_A))
    assert load_contracts("observed", joined).documents == [PAGE_B, PAGE_A]  # in the order given
    assert load_contracts("observed", [folder / PAGE_A, str(folder / PAGE_B)]).models == [MODEL_A, MODEL_B]
    assert spec_paths(None) == [None]
    assert spec_paths([folder, folder / PAGE_A]) == [folder / PAGE_A, folder / PAGE_B]  # each once


def test_a_folder_with_one_document_is_that_document(tmp_path: Path, folder: Path) -> None:
    shutil.copy(folder / PAGE_B, tmp_path / PAGE_B)
    documents = load_contracts("observed", tmp_path)
    assert len(documents) == 1
    assert documents.primary is load_contract("observed", tmp_path)


def test_load_contract_on_a_folder_of_several_points_to_load_contracts(folder: Path) -> None:
    with pytest.raises(SpecError, match="load_contracts"):
        load_contract("observed", folder)


def test_two_documents_listing_one_model_is_an_error_naming_both_files(tmp_path: Path, folder: Path) -> None:
    shutil.copy(folder / PAGE_A, tmp_path / "first.json")
    shutil.copy(folder / PAGE_A, tmp_path / "second.json")
    with pytest.raises(DuplicateModelError) as caught:
        load_contracts("observed", tmp_path)
    assert isinstance(caught.value, ConfigError)
    assert "first.json" in str(caught.value) and "second.json" in str(caught.value)
    assert MODEL_A in str(caught.value)


def test_an_empty_folder_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text(json.dumps({"no": "openapi"}))
    with pytest.raises(SpecError, match="no OpenAPI document"):
        load_contracts("observed", tmp_path)
    with pytest.raises(SpecError, match="at least one"):
        ContractSet(())
