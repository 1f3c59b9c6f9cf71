"""A keyword the generator does not build: requests are filtered by the validator, with one warning at load."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from contract_kit import _resources
from contract_kit.contract import load_contract
from contract_kit.errors import GenerationFallbackWarning
from contract_kit.strategies import chat_requests
from contract_kit.strategies.fallback import unbuilt_keywords


def test_unbuilt_keywords_are_found_but_a_null_exclusion_is_built() -> None:
    schema = {
        "properties": {"a": {"multipleOf": 7}, "b": {"not": {"type": "null"}}, "c": {"enum": [{"not": 1}]}}
    }
    assert unbuilt_keywords(schema) == ["multipleOf"]
    assert unbuilt_keywords(load_contract().request_schema) == []


def test_requests_stay_valid_and_the_fallback_is_announced_once(tmp_path: Path) -> None:
    document = json.loads(_resources.default_document().read_text(encoding="utf-8"))
    request = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]
    request["schema"]["properties"]["batch"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": 60,
        "multipleOf": 7,
    }
    request["schema"]["required"] = [*request["schema"].get("required", []), "batch"]
    spec = tmp_path / "multiple.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    contract = load_contract("observed", spec)
    with pytest.warns(GenerationFallbackWarning, match="multipleOf"):
        strategy = chat_requests(contract, tools=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GenerationFallbackWarning)
        chat_requests(contract, tools=True)  # the same contract: said once
    seen: list[Any] = []

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def check(body: dict[str, Any]) -> None:
        seen.append(body["batch"])
        assert contract.validate_request(body) == [] or all(
            v.severity != "error" for v in contract.validate_request(body)
        )

    check()
    assert seen and all(value % 7 == 0 for value in seen)
