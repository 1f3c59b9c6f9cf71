"""A keyword the generator does not build: requests are filtered by the validator, with one warning at load."""

from __future__ import annotations

import datetime
import ipaddress
import json
import uuid
import warnings
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings

from contract_kit import _resources
from contract_kit.contract import load_contract
from contract_kit.errors import GenerationFallbackWarning
from contract_kit.strategies import chat_requests
from contract_kit.strategies.fallback import unbuilt_keywords
from contract_kit.strategies.knowledge import formats


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


def test_an_asserted_format_the_compiler_cannot_build_is_unbuilt_and_property_names_are_not_keywords() -> (
    None
):
    schema = {
        "type": "object",
        "properties": {
            "format": {"type": "string", "format": "idn-email"},  # a property named like a keyword
            "not": {"type": "string", "format": "uuid"},  # uuid is built
            "size": {"type": "integer", "format": "int64"},  # an OpenAPI note, not asserted
        },
    }
    assert unbuilt_keywords(schema) == ["format idn-email"]


@pytest.mark.parametrize("name", sorted(formats()))
def test_every_built_format_is_one_the_standard_library_parses(name: str) -> None:
    """The oracle is the standard library's own parser for each format, not the kit's validator."""
    parse = {
        "uuid": uuid.UUID,
        "date-time": datetime.datetime.fromisoformat,
        "date": datetime.date.fromisoformat,
        "time": datetime.time.fromisoformat,
        "ipv4": ipaddress.IPv4Address,
        "ipv6": ipaddress.IPv6Address,
        "email": lambda text: parseaddr(text)[1] == text and text.count("@") == 1,
        "hostname": lambda text: all(part.isalnum() for part in text.split(".")),
        "uri": lambda text: urlsplit(text).scheme in ("http", "https", "data"),
        "url": lambda text: urlsplit(text).scheme in ("http", "https", "data"),
    }[name]

    @settings(max_examples=60, deadline=None, database=None)
    @given(formats()[name])
    def check(text: str) -> None:
        assert parse(text) is not False, text

    check()
