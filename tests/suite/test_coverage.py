"""contract_kit.suite.coverage: the request schema's locations, which ones requests touch, and the suite's figure."""

from __future__ import annotations

from typing import Any

import pytest

from contract_kit import load_contract
from contract_kit.suite import MockTarget, SchemaCoverage
from contract_kit.suite.properties import ContractSuite
from contract_kit.suite.results import AGREEMENT, VALID

MODEL = "alibaba/qwen3-vl-32b-thinking"
MINIMAL = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def coverage_names() -> dict[str, str]:
    coverage = SchemaCoverage(load_contract("observed").request_schema)
    return {name: location.kind for name, location in coverage.locations.items()}


def hits(*requests: dict[str, Any]) -> set[str]:
    coverage = SchemaCoverage(load_contract("observed").request_schema)
    coverage.record_all(requests)
    return coverage.hits


def test_locations_name_properties_branches_enum_values_types_and_bounds(
    coverage_names: dict[str, str],
) -> None:
    assert coverage_names["$.messages[]{role=tool}.tool_call_id"] == "property"
    assert coverage_names["$.messages[]{role=tool}"] == "branch"
    assert coverage_names["$.tool_choice{object}"] == "branch"
    assert coverage_names['$.tool_choice{string} = "required"'] == "enum"
    assert (
        coverage_names['$.messages[]{role=user}.content{array}[]{type=image_url}.image_url.detail = "low"']
        == "enum"
    )
    assert coverage_names["$.frequency_penalty : null"] == "type"
    assert coverage_names["$.temperature = maximum 2"] == "bound"
    assert coverage_names["$.top_p = minimum 0.01"] == "bound"
    assert not any(name.startswith("$.tools[].function.parameters.") for name in coverage_names)


def test_a_minimal_request_touches_only_its_own_locations() -> None:
    assert hits(MINIMAL) == {
        "$.model",
        '$.model = "alibaba/qwen3-vl-32b-thinking"',
        "$.messages",
        "$.messages[]{role=user}",
        "$.messages[]{role=user}.role",
        '$.messages[]{role=user}.role = "user"',
        "$.messages[]{role=user}.content",
        "$.messages[]{role=user}.content{string}",
    }


def test_branches_types_and_bounds_are_recorded_by_the_value_sent() -> None:
    request = {
        **MINIMAL,
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "temperature": 2,
        "top_p": 0.5,
        "frequency_penalty": None,
        "stop": ["x"],
    }
    found = hits(request)
    assert {
        "$.tool_choice{object}",
        "$.tool_choice{object}.function.name",
        "$.temperature = maximum 2",
        "$.frequency_penalty : null",
        "$.stop{array}",
    } <= found
    assert "$.tool_choice{string}" not in found
    assert not any(name.startswith("$.top_p =") for name in found)
    assert "$.frequency_penalty : number" not in found


def test_the_report_counts_by_kind_and_lists_what_was_missed() -> None:
    coverage = SchemaCoverage(load_contract("observed").request_schema)
    coverage.record(MINIMAL)
    report = coverage.report()
    assert report.hit == 8 and report.total == len(coverage.locations)
    assert sum(hit for hit, _ in report.by_kind.values()) == report.hit
    assert "$.tools" in {location.name for location in report.missed}
    assert report.summary().startswith(
        f"request schema coverage: {report.percent:.1f}% (8/{report.total} locations;"
    )
    assert "not exercised:" in report.format()


@pytest.mark.parametrize(("profile", "seed"), [("observed", 1), ("documented", 2)])
def test_the_default_example_count_covers_at_least_95_percent(profile: str, seed: int) -> None:
    """What ``contract-kit check`` reports with its defaults: 100 examples per property."""
    contract = load_contract(profile)
    suite = ContractSuite(contract, MockTarget(contract, seed=seed), examples=100, seed=seed, database=False)
    report = suite.run([VALID, AGREEMENT])
    assert report.ok
    assert report.coverage.percent >= 95.0, report.coverage.format()
