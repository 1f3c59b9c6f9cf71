"""``contract_kit.contract.lint``: validity problems with their repairs, the page's examples, schema smells."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_kit import _resources
from contract_kit.contract.lint import LintReport, lint, render_text
from contract_kit.errors import OverlayError, SpecError

OPERATION = "#/paths/~1v1~1chat~1completions/post"  # document-absolute JSON pointers
RESPONSE_200 = "#/paths/~1v1~1chat~1completions/post/responses/200"
SMELLS = (
    "chunk-finish-reason-not-nullable",
    "message-content-not-nullable",
    "no-error-responses",
    "no-security-scheme",
)
ERRORS_AND_WARNINGS = {
    ("openapi-invalid", RESPONSE_200),
    ("example-schema", "python_request.json $.messages[0]"),
    *((code, OPERATION) for code in SMELLS),
}
DOCUMENTED_INFOS = {
    ("example-undocumented", "example_response.json " + path)
    for path in (
        "$.choices[0].message.reasoning_content",
        "$.usage.prompt_tokens_details.text_tokens",
        "$.usage.completion_tokens_details.text_tokens",
        "$.system_fingerprint",
        "$.meta",
    )
}


@pytest.fixture(scope="module")
def observed_report() -> LintReport:
    return lint(profile="observed")


@pytest.fixture(scope="module")
def documented_report() -> LintReport:
    return lint(profile="documented")


def _by_severity(report: LintReport, *severities: str) -> set[tuple[str, str]]:
    return {(f.code, f.location) for f in report.findings if f.severity in severities}


# -- the bundled document: exact findings, no false alarm ----------------------------------
@pytest.mark.parametrize("profile", ["observed", "documented"])
def test_exact_errors_and_warnings(
    profile: str, observed_report: LintReport, documented_report: LintReport
) -> None:
    report = observed_report if profile == "observed" else documented_report
    assert _by_severity(report, "error", "warning") == ERRORS_AND_WARNINGS
    assert len([f for f in report.findings if f.severity != "info"]) == len(ERRORS_AND_WARNINGS)
    assert report.exit_code == 1
    assert report.profile == profile
    assert report.document == str(_resources.default_document())
    assert report.examples == str(_resources.examples_dir())


def test_infos_are_the_example_responses_undocumented_fields(
    observed_report: LintReport, documented_report: LintReport
) -> None:
    assert _by_severity(observed_report, "info") == set()
    assert _by_severity(documented_report, "info") == DOCUMENTED_INFOS


@pytest.mark.parametrize("profile", ["observed", "documented"])
def test_missing_description_names_its_repair(
    profile: str, observed_report: LintReport, documented_report: LintReport
) -> None:
    report = observed_report if profile == "observed" else documented_report
    [finding] = [f for f in report.findings if f.family == "validity"]
    assert finding.severity == "error"
    assert finding.message == "'description' is a required property"
    assert finding.resolution == (
        "repaired by repairs.yaml action #0 ($.paths['/v1/chat/completions'].post.responses['200'])"
    )
    assert finding.resolved


def test_python_sample_misses_role(observed_report: LintReport) -> None:
    [finding] = [f for f in observed_report.findings if f.family == "examples"]
    assert finding.location == "python_request.json $.messages[0]"
    assert finding.message == "'role' is a required property (rule: required)"
    assert finding.severity == "error"
    assert finding.resolution is None


def test_javascript_sample_and_example_response_raise_no_error(
    observed_report: LintReport, documented_report: LintReport
) -> None:
    for report in (observed_report, documented_report):
        locations = [f.location for f in report.findings if f.severity != "info"]
        assert not any(
            loc.startswith(("javascript_request.json", "example_response.json")) for loc in locations
        )
        assert not any(f.location.startswith("javascript_request.json") for f in report.findings)


def test_smells_are_resolved_under_observed_only(
    observed_report: LintReport, documented_report: LintReport
) -> None:
    observed_smells = {f.code: f for f in observed_report.findings if f.family == "smells"}
    documented_smells = {f.code: f for f in documented_report.findings if f.family == "smells"}
    assert set(observed_smells) == set(documented_smells) == set(SMELLS)
    for code in SMELLS:
        assert observed_smells[code].severity == documented_smells[code].severity == "warning"
        assert observed_smells[code].resolution == "addressed in the 'observed' profile by its overlays"
        assert documented_smells[code].resolution is None


def test_report_as_dict(observed_report: LintReport, documented_report: LintReport) -> None:
    data = observed_report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["summary"] == {"error": 2, "warning": 4, "info": 0, "resolved": 5}
    assert data["exit_code"] == 1
    assert {(f["code"], f["location"]) for f in data["findings"]} == ERRORS_AND_WARNINGS
    assert all(
        {"family", "code", "severity", "location", "message", "resolution", "resolved"} <= set(f)
        for f in data["findings"]
    )
    assert documented_report.to_dict()["summary"] == {"error": 2, "warning": 4, "info": 5, "resolved": 1}


def test_text_rendering(observed_report: LintReport) -> None:
    text = render_text(observed_report)
    lines = text.splitlines()
    assert lines[0] == f"contract-kit lint: {_resources.default_document()} (profile: observed)"
    assert f"  error   {RESPONSE_200}: 'description' is a required property" in lines
    assert (
        "          -> repaired by repairs.yaml action #0 ($.paths['/v1/chat/completions'].post.responses['200'])"
        in lines
    )
    assert (
        "  error   python_request.json $.messages[0]: 'role' is a required property (rule: required)" in lines
    )
    assert "The page's examples: 1 finding" in lines
    assert "Schema smells: 4 findings" in lines
    assert lines[-1] == "2 error(s), 4 warning(s), 0 info; 5 resolved by overlays. Exit 1."


# -- the same document, named explicitly -----------------------------------------------
@pytest.mark.parametrize("spec", [_resources.default_document(), _resources.openapi_dir()])
def test_explicit_bundled_spec_still_checks_the_page_examples(spec: Path) -> None:
    report = lint(spec, "observed")
    assert _by_severity(report, "error", "warning") == ERRORS_AND_WARNINGS
    assert report.examples == str(_resources.examples_dir())


# -- other documents ----------------------------------------------------------------------
def _clean_document() -> dict[str, Any]:
    """An OpenAI-compatible document with none of the vendor document's defects."""
    message = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {"role": {"type": "string"}, "content": {"type": "string", "nullable": True}},
    }
    chunk = {
        "type": "object",
        "properties": {
            "choices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"finish_reason": {"type": "string", "nullable": True}},
                },
            }
        },
    }
    completion = {
        "type": "object",
        "properties": {
            "choices": {"type": "array", "items": {"type": "object", "properties": {"message": message}}}
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "clean", "version": "1"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "security": [{"key": []}],
        "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/chat/completions": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"messages": {"type": "array", "items": message}},
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": completion},
                                "text/event-stream": {"schema": chunk},
                            },
                        },
                        "4XX": {"description": "client error"},
                    },
                }
            }
        },
    }


def test_clean_document_has_no_findings(tmp_path: Path) -> None:
    spec = tmp_path / "clean.yaml"
    spec.write_text(yaml.safe_dump(_clean_document()), encoding="utf-8")
    report = lint(spec, "documented")
    assert report.findings == []
    assert report.exit_code == 0
    assert report.examples is None


@pytest.mark.parametrize("nullable", [False, True])
def test_smells_are_found_through_refs(tmp_path: Path, nullable: bool) -> None:
    """Another vendor's document built on $ref is smelled like an inline one."""
    document = _clean_document()
    content: dict[str, Any] = {"type": "string", "nullable": True} if nullable else {"type": "string"}
    finish: dict[str, Any] = {"type": "string", "nullable": True} if nullable else {"type": "string"}
    document["components"]["schemas"] = {
        "Message": {"type": "object", "properties": {"role": {"type": "string"}, "content": content}},
        "Choice": {"type": "object", "properties": {"message": {"$ref": "#/components/schemas/Message"}}},
        "Completion": {
            "type": "object",
            "properties": {"choices": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}}},
        },
        "ChunkChoice": {"type": "object", "properties": {"finish_reason": finish}},
        "Chunk": {
            "type": "object",
            "properties": {
                "choices": {"type": "array", "items": {"$ref": "#/components/schemas/ChunkChoice"}}
            },
        },
    }
    ok = document["paths"]["/chat/completions"]["post"]["responses"]["200"]["content"]
    ok["application/json"]["schema"] = {"$ref": "#/components/schemas/Completion"}
    ok["text/event-stream"]["schema"] = {"$ref": "#/components/schemas/Chunk"}
    spec = tmp_path / "refs.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    codes = {f.code for f in lint(spec, "documented").findings}
    assert codes == (
        set() if nullable else {"message-content-not-nullable", "chunk-finish-reason-not-nullable"}
    )


def test_invalid_document_is_reported_not_refused(tmp_path: Path) -> None:
    document = _clean_document()
    del document["paths"]["/chat/completions"]["post"]["responses"]["200"]["description"]
    spec = tmp_path / "invalid.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    report = lint(spec, "documented")
    assert [(f.code, f.location, f.resolution) for f in report.findings] == [
        ("openapi-invalid", "#/paths/~1chat~1completions/post/responses/200", None)
    ]
    assert report.exit_code == 1


def test_examples_beside_a_copied_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_clean_document()), encoding="utf-8")
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "bad_request.json").write_text('{"messages": [{"role": "user"}]}', encoding="utf-8")
    (examples / "good_request.json").write_text('{"messages": []}', encoding="utf-8")
    (examples / "notes.json").write_text("not even json", encoding="utf-8")
    (examples / "broken_response.json").write_text('{\n  "choices": [,\n}', encoding="utf-8")
    report = lint(spec, "documented")
    assert report.examples == str(examples)
    assert [(f.code, f.location) for f in report.findings] == [
        ("example-schema", "bad_request.json $.messages[0]"),
        ("example-invalid-json", "broken_response.json line 2, column 15"),
    ]


def test_examples_option_overrides_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "a_request.json").write_text(
        json.dumps(
            {"model": "alibaba/qwen3-vl-32b-thinking", "messages": [{"role": "user", "content": "hi"}]}
        ),
        encoding="utf-8",
    )
    report = lint(None, "observed", tmp_path)
    assert [f for f in report.findings if f.family == "examples"] == []
    with pytest.raises(SpecError, match="examples folder not found") as info:
        lint(None, "observed", tmp_path / "missing")
    assert info.value.source == str(tmp_path / "missing")


def test_malformed_overlay_beside_a_copied_spec(tmp_path: Path) -> None:
    shutil.copy(_resources.default_document(), tmp_path)
    (tmp_path / "repairs.yaml").write_text(
        "overlay: 1.0.0\nactions:\n  - target: [unclosed\n", encoding="utf-8"
    )
    with pytest.raises(OverlayError) as info:
        lint(tmp_path / _resources.DOCUMENT_NAME, "documented")
    assert info.value.source == str(tmp_path / "repairs.yaml")
    assert info.value.location is not None and info.value.location.startswith("line ")
