"""Drift against a live stand-in: each planted deviation is one new finding of the right kind,
severity, where and path, and nothing else is new; plus the collector, the report and the proposal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from standin import PLANTS, chat_body, record, serve

from contract_kit.cassettes import Interaction, load_cassette
from contract_kit.contract import load_contract, load_overlay
from contract_kit.drift import propose, render_table, write_overlay
from contract_kit.drift.collector import DriftCollector
from contract_kit.drift.findings import DriftChecker, Finding, classify
from contract_kit.drift.infer import infer_schema
from contract_kit.validation import Violation

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checker() -> DriftChecker:
    return DriftChecker.for_spec()


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, Interaction]]:
    """One live interaction per plant, plus an unplanted JSON and stream baseline."""
    with serve() as (_, base):
        out = {
            plant: record(base, chat_body(f"plant:{plant} hello", stream=stream))
            for plant, (stream, _) in PLANTS.items()
        }
        out["baseline-json"] = record(base, chat_body("hello"))
        out["baseline-stream"] = record(
            base, chat_body("hello", stream=True, stream_options={"include_usage": True})
        )
    yield out


def _new(findings: list[Finding]) -> list[tuple[str, str, str, str]]:
    return [(f.kind, f.severity, f.where, f.path) for f in findings if not f.known]


def test_an_unplanted_answer_has_no_new_drift_only_known(
    recorded: dict[str, Interaction], checker: DriftChecker
) -> None:
    json_findings = checker.check(recorded["baseline-json"])
    assert _new(json_findings) == []
    assert sorted(f.path for f in json_findings) == [
        "$.choices[*].message.reasoning_content",
        "$.meta",
        "$.system_fingerprint",
        "$.usage.completion_tokens_details.text_tokens",
        "$.usage.prompt_tokens_details.text_tokens",
    ]
    stream_findings = checker.check(recorded["baseline-stream"])
    assert _new(stream_findings) == []
    assert {(f.kind, f.where, f.path) for f in stream_findings} >= {
        ("nullability", "chunk", "$.choices[*].finish_reason"),
        ("missing-required", "chunk", "$.choices[*].delta.role"),
        ("undocumented-field", "chunk", "$.choices[*].delta.reasoning_content"),
    }


@pytest.mark.parametrize("plant", list(PLANTS))
def test_each_planted_deviation_is_exactly_one_new_finding(
    plant: str, recorded: dict[str, Interaction], checker: DriftChecker
) -> None:
    stream, expected = PLANTS[plant]
    findings = checker.check(recorded[plant])
    assert _new(findings) == [expected]
    baseline = {f.key for f in checker.check(recorded["baseline-stream" if stream else "baseline-json"])}
    assert all(f.key in baseline or f.known is False for f in findings)  # nothing unexpected is known either


@pytest.mark.parametrize(
    ("path", "checked"),
    [("/v1/chat/completions", True), ("/proxy/v1/chat/completions?x=1", True), ("/v1/models", False)],
)
def test_only_the_contracts_operation_is_checked(checker: DriftChecker, path: str, checked: bool) -> None:
    from contract_kit.cassettes import RecordedRequest, RecordedResponse

    assert checker.applies_to(Interaction(RecordedRequest("GET", path), RecordedResponse(200))) is checked


def test_a_required_error_names_each_missing_field() -> None:
    violation = Violation(
        "$.choices[0].delta",
        "required",
        "'role' is a required property",
        "chunk 3",
        ["content", "role"],
        {"tool_calls": []},
    )
    findings = classify(violation)
    assert [(f.kind, f.severity, f.where, f.path) for f in findings] == [
        ("missing-required", "breaking", "chunk", "$.choices[*].delta.content"),
        ("missing-required", "breaking", "chunk", "$.choices[*].delta.role"),
    ]


def test_the_collector_counts_responses_dedupes_and_stays_bounded(
    recorded: dict[str, Interaction], checker: DriftChecker
) -> None:
    collector = DriftCollector(max_findings=12)
    for _ in range(3):
        collector.add(checker.check(recorded["baseline-json"]), "test_a")
    collector.add(checker.check(recorded["extra-field"]), "test_b")
    document = checker.observed.files.document.name  # each finding names the document it was checked against
    meta = collector.findings[("undocumented-field", "json", "200", "$.meta", document)]
    assert (meta.count, meta.known, collector.responses) == (4, True, 4)
    assert meta.sources == ["test_a", "test_b"]
    for plant in PLANTS:
        collector.add(checker.check(recorded[plant]), plant)
    assert len(collector.findings) == 12 and collector.dropped > 0
    report = collector.to_report(mode="test")
    assert report["dropped_findings"] == collector.dropped
    assert report["findings"][0]["seen"].endswith(f"of {collector.responses} responses")
    merged = DriftCollector()
    merged.merge_report(json.loads(json.dumps(report)))
    merged.merge_report(json.loads(json.dumps(report)))
    assert merged.responses == 2 * collector.responses
    assert merged.findings[meta.key].count == 2 * meta.count


def test_the_table_lists_new_before_known(recorded: dict[str, Interaction], checker: DriftChecker) -> None:
    collector = DriftCollector()
    collector.add(checker.check(recorded["type-change"]), "t")
    lines = render_table(collector)
    assert lines[0] == "contract drift: 1 new (1 breaking); 5 known (5 additive) in 1 checked response(s)"
    assert lines[1] == "seen: 0 json, 0 stream, 0 error"
    rows = [line for line in lines[3:] if not line.startswith(" ")]
    assert rows[0].split()[:6] == ["NEW", "breaking", "type-mismatch", "json", "200", "$.created"]
    assert all(line.startswith("known") for line in rows[1:])


def test_the_shipped_vendor_cassette_shows_the_known_deviations(checker: DriftChecker) -> None:
    cassette = load_cassette(ROOT / "fixtures" / "cassettes" / "vendor-example-response.yaml")
    request = json.loads((ROOT / "fixtures" / "examples" / "javascript_request.json").read_text())
    response = json.loads((ROOT / "fixtures" / "examples" / "example_response.json").read_text())
    assert cassette.interactions[0].request.body == request
    assert cassette.interactions[0].response.body == response
    assert "fixtures/examples/example_response.json" in cassette.meta["provenance"]
    findings = checker.check(cassette.interactions[0])
    assert sorted((f.kind, f.severity, f.known, f.path) for f in findings) == [
        ("undocumented-field", "additive", True, path)
        for path in (
            "$.choices[*].message.reasoning_content",
            "$.meta",
            "$.system_fingerprint",
            "$.usage.completion_tokens_details.text_tokens",
            "$.usage.prompt_tokens_details.text_tokens",
        )
    ]


# --- the proposed overlay --------------------------------------------------------------------


def test_the_proposed_overlay_makes_the_contract_accept_what_was_observed(
    recorded: dict[str, Interaction], checker: DriftChecker, tmp_path: Path
) -> None:
    collector = DriftCollector()
    for plant in PLANTS:
        collector.add(checker.check(recorded[plant]), f"test_{plant}")
    overlay = propose(collector.sorted(), checker.observed, responses=collector.responses)
    assert overlay is not None
    path = write_overlay(tmp_path / "proposed.yaml", overlay)
    parsed = load_overlay(path)
    assert all(
        "seen in 1 of 12 live responses" in action.description and "Evidence: test_" in action.description
        for action in parsed.actions
    )
    unaddressed = {(item["kind"], item["path"]) for item in overlay["x-contract-kit-unaddressed"]}
    assert unaddressed == {
        ("semantic", "$.usage.total_tokens"),
        ("stream-framing", "$"),
        ("stream-invariant", "$.id"),
    }
    patched = DriftChecker(load_contract("documented"), load_contract("observed", overlays=[path]))
    for plant, (_, (kind, _, _, _)) in PLANTS.items():
        new = _new(patched.check(recorded[plant]))
        if kind in ("semantic", "stream-framing", "stream-invariant"):
            assert len(new) == 1, plant
        else:
            assert new == [], (plant, new)


def test_nothing_to_propose_gives_no_overlay(recorded: dict[str, Interaction], checker: DriftChecker) -> None:
    assert propose(checker.check(recorded["baseline-json"]), checker.observed, responses=1) is None


def test_schemas_are_inferred_from_samples() -> None:
    assert infer_schema({"a": [1], "b": None, "c": "x", "d": 1.5, "e": True}) == {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"type": "integer"}},
            "b": {"nullable": True},
            "c": {"type": "string"},
            "d": {"type": "number"},
            "e": {"type": "boolean"},
        },
    }
